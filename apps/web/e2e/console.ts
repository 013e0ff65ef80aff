import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createDb, issueSetupToken } from '@peregrine/db';
import { copyMigratedTemplate, reservePort, TEST_SERVER_URL } from '@peregrine/db/testing';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, vi } from 'vitest';

const APP_DIR = path.resolve(import.meta.dirname, '..');
/** The console's own server (not `next start`): it binds to loopback and knows each client's address. */
export const CONSOLE_SERVER = path.join(APP_DIR, 'server.mjs');
const ADMIN_URL = TEST_SERVER_URL;

/** Runs one statement on the test server's admin database (CREATE/DROP DATABASE). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Waits until `url` answers and `ready` accepts the answer, failing at once if `server` exits
 * first (its output then says why), or after `timeoutMs`.
 */
export async function waitUntilServing(
  url: string,
  server: ChildProcess,
  timeoutMs: number,
  ready: (response: Response) => boolean | Promise<boolean> = (response) => response.ok,
): Promise<void> {
  if (server.exitCode !== null) throw new Error(`${url}: the server exited with code ${server.exitCode}`);
  let onExit: (code: number | null) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) => reject(new Error(`${url}: the server exited with code ${code}`));
    server.once('exit', onExit);
  });
  try {
    await Promise.race([
      vi.waitFor(
        async () => {
          // fetch throws while nothing listens yet; vi.waitFor tries again.
          const response = await fetch(url);
          if (!(await ready(response))) throw new Error(`${url} answered ${response.status}, not ready`);
        },
        { timeout: timeoutMs, interval: 250 },
      ),
      exited,
    ]);
  } finally {
    server.off('exit', onExit);
  }
}

/**
 * Stops a server: SIGTERM (it drains and exits), SIGKILL if it has not exited after a 5 s grace
 * period. The timer is a deadline, not a wait: a server that exits sooner ends it at once.
 */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let deadline: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (deadline = setTimeout(resolve, 5000)))]);
  clearTimeout(deadline);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** A console for one e2e file. */
export interface TestConsole {
  baseUrl: string;
  /** Empty when the tests drive an external console without database access. */
  databaseUrl: string;
  /** A one-time token that opens first-run setup, as the start log prints it. */
  setupToken: string;
}

/** Issues a setup token on `databaseUrl`, as `npm start` does before it prints the setup link. */
export async function issueTestSetupToken(databaseUrl: string): Promise<string> {
  const db = createDb(databaseUrl, { max: 1 });
  try {
    return (await issueSetupToken(db))?.token ?? '';
  } finally {
    await db.close();
  }
}

/**
 * Each e2e file gets its own console: a fresh, migrated database and the production build served
 * by server.mjs on a free loopback port, stopped (and the database dropped) after the file. No file
 * depends on which ran before it (first-run setup in particular closes once per database).
 * With PEREGRINE_E2E_BASE_URL the tests drive that already running console instead. `env` adds
 * configuration (PEREGRINE_OUTBOUND_ALLOW for a test Git server on loopback, say).
 */
export async function startConsole(options: { env?: Record<string, string> } = {}): Promise<TestConsole> {
  const external = process.env.PEREGRINE_E2E_BASE_URL;
  if (external) {
    return {
      baseUrl: external.replace(/\/+$/, ''),
      databaseUrl: process.env.PEREGRINE_E2E_DATABASE_URL ?? '',
      setupToken: process.env.PEREGRINE_E2E_SETUP_TOKEN ?? '',
    };
  }
  const database = `peregrine_web_e2e_${Date.now()}_${randomBytes(3).toString('hex')}`;
  // A copy of the migrated template: migrating each file's database again took 5-10 s.
  await copyMigratedTemplate(database);
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${database}`;
  const setupToken = await issueTestSetupToken(databaseUrl.toString());
  const port = await reservePort();
  const baseUrl = `http://localhost:${port}`;
  const server = spawn(process.execPath, [CONSOLE_SERVER], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
      BETTER_AUTH_URL: baseUrl,
      PEREGRINE_SECRET_KEY: randomBytes(32).toString('base64'),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  server.stdout?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  try {
    // Healthy means the database answers too, not just the HTTP server.
    await waitUntilServing(
      `${baseUrl}/api/health`,
      server,
      60_000,
      async (response) => response.ok && ((await response.json()) as { db: boolean }).db,
    );
  } catch (error) {
    server.kill('SIGTERM');
    throw new Error(`${(error as Error).message}\n--- console output ---\n${logs.join('')}`);
  }
  afterAll(async () => {
    await stopProcess(server);
    if (process.env.PEREGRINE_E2E_SERVER_LOG) console.log(logs.join(''));
    await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });
  return { baseUrl, databaseUrl: databaseUrl.toString(), setupToken };
}

/** The first admin a browser test creates through the setup form. */
export interface SetupAdmin {
  name: string;
  email: string;
  password: string;
  org: string;
}

/**
 * First run through the real setup form (the admin, their organisation and its environments),
 * ending signed in on the dashboard. first-run.e2e.ts tests the form itself.
 */
export async function completeSetup(
  page: Page,
  baseUrl: string,
  setupToken: string,
  admin: SetupAdmin,
): Promise<void> {
  await page.goto(`${baseUrl}/setup?token=${setupToken}`);
  await page.getByLabel('Your name').fill(admin.name);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Confirm password').fill(admin.password);
  await page.getByLabel('Organisation name').fill(admin.org);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.waitForURL(`${baseUrl}/`, { timeout: 60_000 });
}
