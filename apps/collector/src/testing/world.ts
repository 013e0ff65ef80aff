/**
 * Test support: a migrated throw-away database with the demo organisation, a rule set active in
 * its environments and a registered sensor, plus helpers to run collectors against it and talk to
 * them as a sensor and as a console client would.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  activateVersion,
  createDb,
  createRuleSetVersion,
  type Db,
  registerSensor,
  type RegisteredSensor,
  seedDemo,
} from '@peregrine/db';
import { createMigratedTestDatabase } from '@peregrine/db/testing';
import {
  type AlertsNewPayload,
  REALTIME_EVENTS,
  type SensorEventBatch,
  signRealtimeToken,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import { io, type Socket } from 'socket.io-client';
import { expect, vi } from 'vitest';
import { type Collector, type CollectorOptions, createCollector } from '../app.js';
import { type Env, loadEnv } from '../env.js';

export const TEST_SECRET = 'collector-test-secret-0123456789';

/** A small rule set: shells in containers, and a separate list override target. */
export const TEST_RULES = `
- list: shell_binaries
  items: [bash, sh, zsh]
- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=<)
- rule: Shell spawned
  desc: a shell was spawned
  condition: spawned_process and proc.name in (shell_binaries)
  output: Shell spawned (proc=%proc.name pid=%proc.pid host=%evt.hostname)
  priority: WARNING
  tags: [test, shell]
- rule: Sensitive file opened
  desc: a sensitive file was opened
  condition: evt.type in (open, openat) and evt.dir=< and fd.name startswith /etc/shadow
  output: Sensitive file opened (file=%fd.name proc=%proc.name)
  priority: ERROR
  tags: [test, file]
`;

export interface World {
  url: string;
  db: Db;
  organizationId: string;
  environments: Record<string, string>;
  environmentId: string;
  ruleSetId: string;
  sensor: RegisteredSensor;
  env(overrides?: Partial<Record<keyof Env, string>>): Env;
  /** Creates (not starts) a collector on a free port against this database. */
  collector(overrides?: Partial<Record<keyof Env, string>>, options?: CollectorOptions): Promise<Collector>;
  /** Activates a new version of the rule set with these files in the world's environment. */
  activate(files: { name: string; content: string }[]): Promise<string>;
  close(): Promise<void>;
}

/** Builds a world on a fresh database. */
export async function createWorld(label: string, rules = TEST_RULES): Promise<World> {
  const handle = await createMigratedTestDatabase(label);
  const db = createDb(handle.url, { max: 4 });
  const seeded = await seedDemo(db, {
    ruleSetName: 'Test rules',
    ruleSetDescription: 'collector tests',
    files: [{ name: 'rules.yaml', content: rules }],
    status: 'valid',
    diagnostics: [],
    summary: {},
  });
  const environments = seeded.environments;
  const environmentId = Object.values(environments)[0]!;
  const sensor = await registerSensor(db, { environmentId, name: 'node-1' });
  // Each collector its own spool folder (one collector per folder), removed with the world.
  const spools: string[] = [];
  const env = (overrides: Partial<Record<keyof Env, string>> = {}) => {
    const spool = path.join(tmpdir(), `peregrine-spool-${randomUUID()}`);
    // Its compiled rule sets beside it, removed with it (never the working directory's).
    const compileCache = `${spool}-compile-cache`;
    spools.push(spool, compileCache);
    return loadEnv({
      DATABASE_URL: handle.url,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: '0',
      LOG_LEVEL: 'silent',
      PEREGRINE_SECRET_KEY: TEST_SECRET,
      RULES_POLL_MS: '100',
      COLLECTOR_SPOOL_DIR: spool,
      COLLECTOR_COMPILE_CACHE_DIR: compileCache,
      ...overrides,
    });
  };
  return {
    url: handle.url,
    db,
    organizationId: seeded.organizationId,
    environments,
    environmentId,
    ruleSetId: seeded.ruleSetId,
    sensor,
    env,
    collector: (overrides, options) => createCollector(env(overrides), { defaultMetrics: false, ...options }),
    async activate(files) {
      const v = await createRuleSetVersion(
        db,
        {
          ruleSetId: seeded.ruleSetId,
          files,
          message: 'test',
          authorId: null,
          status: 'valid',
          diagnostics: [],
          summary: {},
        },
        { userId: null },
      );
      await activateVersion(db, { environmentId, versionId: v.id, action: 'activate' }, { userId: null });
      return v.id;
    },
    async close() {
      await db.close();
      await handle.drop();
      await Promise.all(spools.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

let pid = 1000;

/** A syscall exit event of `type` by process `name` (fd name for opens). */
export function syscallEvent(
  type: string,
  name: string,
  extra: { fd?: string; ts?: bigint; hostname?: string } = {},
): WireSyscallEvent {
  const ev: WireSyscallEvent = {
    ts: String(extra.ts ?? BigInt(Date.now()) * 1_000_000n),
    type,
    dir: '<',
    res: 0,
    args: [],
    hostname: extra.hostname ?? 'node-1',
    proc: { pid: pid++, name, exe: `/bin/${name}`, args: [], uid: 0, user: 'root' },
  };
  if (extra.fd) ev.fd = { num: 3, type: 'file', name: extra.fd };
  return ev;
}

/** POSTs a sensor batch (gzip JSON, as the sensor sends it). */
export async function postBatch(
  baseUrl: string,
  key: string,
  batch: SensorEventBatch | Record<string, unknown>,
  options: { gzip?: boolean; raw?: Buffer; contentType?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read whichever answer shape the status implies
): Promise<{ status: number; body: any; headers: Headers }> {
  const json = Buffer.from(JSON.stringify(batch));
  const gzip = options.gzip ?? true;
  const res = await fetch(`${baseUrl}/v1/sensor/events`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': options.contentType ?? 'application/json',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body: options.raw ?? (gzip ? gzipSync(json) : json),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Opens a console socket with a token for the given environments; resolves once it is ready. */
export async function connectConsole(
  baseUrl: string,
  claims: { organizationId: string; environmentIds: string[]; exp?: number; apiKeyId?: string },
  secret = TEST_SECRET,
): Promise<{
  socket: Socket;
  alerts: AlertsNewPayload[];
  /** Resolves once `n` alerts have been pushed (fails after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}> {
  const token = await signRealtimeToken(
    { userId: 'user-1', exp: Math.floor(Date.now() / 1000) + 60, ...claims },
    secret,
  );
  const socket = io(baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  const alerts: AlertsNewPayload[] = [];
  socket.on(REALTIME_EVENTS.alertsNew, (p: AlertsNewPayload) => alerts.push(p));
  await new Promise<void>((resolve, reject) => {
    socket.once(REALTIME_EVENTS.ready, () => resolve());
    socket.once('connect_error', (err) => reject(err));
    // Dropped before it was ready (a token that expired while connecting): say so, do not hang.
    socket.once('disconnect', (reason) => reject(new Error(`disconnected before ready: ${reason}`)));
  });
  const count = () => alerts.reduce((n, p) => n + p.alerts.length, 0);
  return {
    socket,
    alerts,
    async waitFor(n, timeoutMs = 10_000) {
      await vi.waitFor(() => expect(count(), `alerts pushed to the console`).toBeGreaterThanOrEqual(n), {
        timeout: timeoutMs,
        interval: 20,
      });
    },
  };
}
