import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createCloudSource, getDb } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import type { Page } from 'playwright-core';
import { adminQuery, CONSOLE_SERVER, freePort, issueTestSetupToken } from './console';

const APP_DIR = path.resolve(import.meta.dirname, '..');
const COLLECTOR_MAIN = path.resolve(APP_DIR, '../collector/dist/main.js');
const ADMIN_URL = process.env.PEREGRINE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Proc {
  child: ChildProcess;
  logs: string[];
}

function start(command: string[], env: Record<string, string>, cwd: string): Proc {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  // The collector would otherwise join a NATS work queue or Redis adapter from the outer environment.
  delete merged.NATS_URL;
  delete merged.REDIS_URL;
  const child = spawn(process.execPath, command, {
    cwd,
    env: merged as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stdout?.on('data', (c: Buffer) => logs.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => logs.push(c.toString()));
  return { child, logs };
}

async function waitReady(url: string, proc: Proc, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`exited ${proc.child.exitCode}\n${proc.logs.join('')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready\n${proc.logs.join('')}`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** The console and the real collector on one fresh database, sharing PEREGRINE_SECRET_KEY. */
export interface AlertsStack {
  baseUrl: string;
  collectorUrl: string;
  databaseUrl: string;
  setupToken: string;
  /** The console server's process id (its memory is read from /proc). */
  consolePid: number;
  consoleLogs: string[];
  collectorLogs: string[];
  stop: () => Promise<void>;
}

/**
 * Starts the stack for one e2e file; `stop` ends both processes and drops the database.
 * `consoleNodeOptions` go to the console's NODE_OPTIONS (a heap limit, for memory checks).
 */
export async function startAlertsStack(options: { consoleNodeOptions?: string } = {}): Promise<AlertsStack> {
  if (!existsSync(COLLECTOR_MAIN))
    throw new Error('build the collector first: npm run build -w @peregrine/collector');
  const secret = randomBytes(32).toString('base64');
  const database = `peregrine_web_e2e_stack_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  await adminQuery(`CREATE DATABASE "${database}"`);
  await migrateDatabase(databaseUrl);
  const setupToken = await issueTestSetupToken(databaseUrl);
  const [webPort, collectorPort] = [await freePort(), await freePort()];
  const baseUrl = `http://localhost:${webPort}`;
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const collector = start(
    [COLLECTOR_MAIN],
    {
      DATABASE_URL: databaseUrl,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      PEREGRINE_SECRET_KEY: secret,
      LOG_LEVEL: 'warn',
    },
    path.dirname(COLLECTOR_MAIN),
  );
  const web = start(
    [CONSOLE_SERVER],
    {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(webPort),
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
      BETTER_AUTH_URL: baseUrl,
      PEREGRINE_SECRET_KEY: secret,
      PEREGRINE_COLLECTOR_URL: collectorUrl,
      ...(options.consoleNodeOptions ? { NODE_OPTIONS: options.consoleNodeOptions } : {}),
    },
    APP_DIR,
  );
  try {
    await Promise.all([
      waitReady(`${collectorUrl}/healthz`, collector),
      waitReady(`${baseUrl}/api/health`, web),
    ]);
  } catch (error) {
    await Promise.all([stop(web.child), stop(collector.child)]);
    throw error;
  }
  return {
    baseUrl,
    collectorUrl,
    databaseUrl,
    setupToken,
    consolePid: web.child.pid ?? 0,
    consoleLogs: web.logs,
    collectorLogs: collector.logs,
    stop: async () => {
      await getDb(databaseUrl).close();
      await Promise.all([stop(web.child), stop(collector.child)]);
      await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    },
  };
}

/** First run through the real setup form: the admin, their organisation and its environments. */
export async function setUpAdmin(
  page: Page,
  stack: AlertsStack,
  admin: { name: string; email: string; password: string; org: string },
): Promise<void> {
  await page.goto(`${stack.baseUrl}/setup?token=${stack.setupToken}`);
  await page.getByLabel('Your name').fill(admin.name);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Confirm password').fill(admin.password);
  await page.getByLabel('Organisation name').fill(admin.org);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.waitForURL(`${stack.baseUrl}/`);
}

/** A Falco http_output source in `environment`, and a function posting alerts to it as Falco does. */
export async function falcoSource(
  stack: AlertsStack,
  environment: string,
): Promise<(alerts: Record<string, unknown>[]) => Promise<void>> {
  const db = getDb(stack.databaseUrl);
  const env = await db.prisma.environment.findFirstOrThrow({ where: { name: environment } });
  const created = await createCloudSource(db, {
    organizationId: env.organizationId,
    environmentId: env.id,
    kind: 'falco',
    name: `falco-${environment}`,
    issueToken: true,
  });
  const token = created.token as string;
  return async (alerts) => {
    for (const alert of alerts) {
      const res = await fetch(`${stack.collectorUrl}/?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco' },
        body: JSON.stringify(alert),
      });
      if (res.status !== 200) throw new Error(`the collector answered ${res.status}: ${await res.text()}`);
    }
  };
}

/** Peak resident memory (VmHWM) of a process, in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) * 1024;
}
