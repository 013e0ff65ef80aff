// `npm start` end to end: no DATABASE_URL, a fresh data folder. The console must come up on the
// embedded database, ask for the first admin, and the data must survive a restart.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../lib/runtime.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs scripts/start.mjs until it prints the console URL; returns the process and its output. */
async function startPeregrine(env) {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "console ready" within 180 s:\n${output}`)), 180_000);
    const check = () => {
      if (output.includes('console ready:')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code} before the console was ready:\n${output}`));
    });
  });
  return { child, output: () => output };
}

async function stopPeregrine(child) {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Counts stored alerts of `rule` after running `act` (the local sensor's detections). */
async function alertsFor(url, rule, act) {
  act();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM alerts WHERE rule = $1', [rule]);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('npm start on the embedded database', () => {
  let dataDir;
  let env;
  let consoleUrl;
  let databaseUrl;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'peregrine-start-'));
    const [port, collectorPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    databaseUrl = `postgresql://postgres@127.0.0.1:${pgPort}/postgres?sslmode=disable`;
    consoleUrl = `http://localhost:${port}`;
    env = {
      ...process.env,
      DATABASE_URL: '',
      PEREGRINE_DATA_DIR: dataDir,
      PORT: String(port),
      COLLECTOR_PORT: String(collectorPort),
      BETTER_AUTH_URL: consoleUrl,
      BETTER_AUTH_SECRET: '',
      PEREGRINE_SECRET_KEY: '',
      LOG_LEVEL: 'warn',
      PEREGRINE_EMBEDDED_PG_PORT: String(pgPort),
    };
    delete env.DATABASE_URL;
    delete env.BETTER_AUTH_SECRET;
    delete env.PEREGRINE_SECRET_KEY;
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the console, asks for the first admin, and keeps its data across a restart', async () => {
    const first = await startPeregrine(env);
    try {
      expect(first.output()).toContain(`console ready: ${consoleUrl}`);
      expect(first.output()).toContain('seeded the demo organisation');
      const res = await fetch(`${consoleUrl}/`, { redirect: 'manual' });
      expect([302, 303, 307, 308]).toContain(res.status);
      expect(new URL(res.headers.get('location'), consoleUrl).pathname).toBe('/setup');
      const setup = await fetch(`${consoleUrl}/setup`);
      expect(setup.status).toBe(200);
      expect(await setup.text()).toMatch(/admin/i);
      expect(first.output()).toMatch(/local sensor 'local-[^']+' reporting to the staging environment/);
      if (process.getuid?.() === 0) {
        // As root the local sensor uses eBPF: reading a credential file is an alert about this
        // machine, stored in the embedded database within a minute.
        await expect
          .poll(
            () =>
              alertsFor(databaseUrl, 'Sensitive File Opened for Reading', () => {
                execFileSync('/bin/cat', ['/etc/shadow'], { stdio: 'ignore' });
              }),
            { timeout: 60_000, interval: 2_000 },
          )
          .toBeGreaterThan(0);
      }
    } finally {
      expect(await stopPeregrine(first.child)).toBe(0);
    }
    // Secrets are generated once, private to the owner, and reused.
    const secretsFile = path.join(dataDir, 'secrets.json');
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    const secrets = await readFile(secretsFile, 'utf8');

    const second = await startPeregrine(env);
    try {
      expect(second.output()).not.toContain('migrations applied');
      expect(second.output()).not.toContain('seeded the demo organisation');
      const health = await fetch(`${consoleUrl}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      expect(await stopPeregrine(second.child)).toBe(0);
    }
    expect(await readFile(secretsFile, 'utf8')).toBe(secrets);
  });
});
