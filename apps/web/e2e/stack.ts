import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { copyMigratedTemplate, TEST_SERVER_URL, reservePort } from '@peregrine/db/testing';
import {
  adminQuery,
  CONSOLE_SERVER,
  issueTestSetupToken,
  stopProcess as stopChild,
  waitUntilServing,
} from './console';

const APP_DIR = path.resolve(import.meta.dirname, '..');
export const COLLECTOR_MAIN = path.resolve(APP_DIR, '../collector/dist/main.js');
export const SENSOR_CLI = path.resolve(APP_DIR, '../../packages/sensor/dist/cli.js');
const ADMIN_URL = TEST_SERVER_URL;

/** A child process with its output kept for error messages. */
export interface Running {
  child: ChildProcess;
  logs: string[];
}

/** Starts `node <args>` with the outer environment minus the scale-out services. */
export function startNode(args: string[], env: Record<string, string>, cwd: string): Running {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  // The collector would otherwise join a NATS work queue or Redis adapter from the outer environment.
  delete merged.NATS_URL;
  delete merged.REDIS_URL;
  const child = spawn(process.execPath, args, {
    cwd,
    env: merged as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stdout?.on('data', (c: Buffer) => logs.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => logs.push(c.toString()));
  return { child, logs };
}

/** Resolves once `url` answers 2xx; fails at once, with the process's output, if it exits. */
export async function waitForUrl(url: string, proc: Running, ms = 90_000): Promise<void> {
  try {
    await waitUntilServing(url, proc.child, ms);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${proc.logs.join('')}`);
  }
}

/** Stops a process started by `startNode` (SIGTERM, SIGKILL after a 5 s grace period). */
export function stopProcess(proc: Running | undefined): Promise<void> {
  return stopChild(proc?.child);
}

/** A console and the real collector (apps/collector/dist) on one fresh database. */
export interface Stack {
  baseUrl: string;
  collectorUrl: string;
  databaseUrl: string;
  setupToken: string;
  /** The secret both processes share (source secrets, realtime tokens). */
  secret: string;
  collector: Running;
  web: Running;
  /** Stops both processes and drops the database; the caller runs it when done. */
  stop: () => Promise<void>;
}

/**
 * Starts the built console and collector on a new database; `stop()` ends them and drops it
 * (the caller's afterAll: a hook registered from inside another hook would never run).
 * `consoleNodeOptions` go to the console's NODE_OPTIONS (a heap limit, for memory checks);
 * `collectorEnv` adds to the collector's settings (an outbound allowance for a local receiver).
 * Needs `npx turbo run build --filter=@peregrine/web --filter=@peregrine/collector`.
 */
export async function startStack(
  options: { consoleNodeOptions?: string; collectorEnv?: Record<string, string> } = {},
): Promise<Stack> {
  if (!existsSync(COLLECTOR_MAIN))
    throw new Error('build the collector first: npm run build -w @peregrine/collector');
  const database = `peregrine_web_e2e_stack_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  // A copy of the migrated template: migrating each file's database again took 5-10 s.
  await copyMigratedTemplate(database);
  const setupToken = await issueTestSetupToken(databaseUrl);
  const secret = randomBytes(32).toString('base64');
  const [webPort, collectorPort] = [await reservePort(), await reservePort()];
  const spoolDir = path.join(tmpdir(), `${database}-spool`);
  const baseUrl = `http://localhost:${webPort}`;
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const collector = startNode(
    [COLLECTOR_MAIN],
    {
      DATABASE_URL: databaseUrl,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      PEREGRINE_SECRET_KEY: secret,
      LOG_LEVEL: 'warn',
      // Its own spool: the default folder (under dist/) is locked by any other collector running.
      COLLECTOR_SPOOL_DIR: spoolDir,
      ...options.collectorEnv,
    },
    path.dirname(COLLECTOR_MAIN),
  );
  const web = startNode(
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
  const stop = async () => {
    await Promise.all([stopProcess(web), stopProcess(collector)]);
    await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await rm(spoolDir, { recursive: true, force: true });
  };
  try {
    await Promise.all([
      waitForUrl(`${collectorUrl}/healthz`, collector),
      waitForUrl(`${baseUrl}/api/health`, web),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, collectorUrl, databaseUrl, setupToken, secret, collector, web, stop };
}

/**
 * Seeds the demo organisation with the default rules active in staging and production, as
 * `npm start` does (scripts/db-seed.mjs), and returns the setup token it prints: the first
 * admin then takes over that organisation.
 */
export async function seedDefaults(stack: Pick<Stack, 'databaseUrl' | 'baseUrl'>): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.resolve(APP_DIR, '../../scripts/db-seed.mjs')],
    { env: { ...process.env, DATABASE_URL: stack.databaseUrl, BETTER_AUTH_URL: stack.baseUrl } },
  );
  const token = /setup\?token=(\S+)/.exec(stdout)?.[1];
  if (!token) throw new Error(`db-seed printed no setup link:\n${stdout}`);
  return token;
}
