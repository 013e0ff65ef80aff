// `npm start` end to end: no DATABASE_URL, a fresh data folder. The console must come up on the
// embedded database, ask for the first admin, survive kill -9 of the collector and of the
// database, and the data must survive a restart.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { reservePort } from '@peregrine/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../lib/runtime.mjs';

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

/** Pid of the child of `parentPid` whose command line contains `needle` (Linux /proc). */
async function childPid(parentPid, needle) {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      if ((await readFile(`/proc/${name}/cmdline`, 'utf8')).includes(needle)) return Number(name);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

/** Local addresses of the sockets listening on TCP `port` (Linux /proc/net/tcp and tcp6). */
async function listeningAddresses(port) {
  const found = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ]) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':');
      if (Number.parseInt(portHex, 16) !== port) continue;
      if (!v6) {
        found.push(
          hex
            .match(/../g)
            .reverse()
            .map((b) => Number.parseInt(b, 16))
            .join('.'),
        );
      } else {
        found.push(
          hex === '00000000000000000000000000000000'
            ? '::'
            : hex === '00000000000000000000000001000000'
              ? '::1'
              : hex,
        );
      }
    }
  }
  return found;
}

/** HTTP status of `url`, or 0 while nothing answers. */
async function statusOf(url) {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
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
  let consolePort;
  let databaseUrl;
  let collectorPort;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'peregrine-start-'));
    const [port, pgPort] = [await reservePort(), await reservePort()];
    collectorPort = await reservePort();
    databaseUrl = `postgresql://postgres@127.0.0.1:${pgPort}/postgres?sslmode=disable`;
    consoleUrl = `http://localhost:${port}`;
    consolePort = port;
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
    if (!dataDir) return;
    // As root, mkdtemp's private folder sends the cluster to /var/lib/peregrine (linked from pgdata).
    const cluster = await realpath(path.join(dataDir, 'pgdata')).catch(() => undefined);
    if (cluster?.startsWith('/var/lib/peregrine/'))
      await rm(path.dirname(cluster), { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the console, asks for the first admin, and keeps its data across a restart', async () => {
    const first = await startPeregrine(env);
    try {
      expect(first.output()).toContain(`console ready: ${consoleUrl}`);
      expect(first.output()).toContain('seeded the demo organisation');
      // Loopback only unless configured: nothing listens on another interface.
      expect(await listeningAddresses(consolePort)).toEqual(['127.0.0.1']);
      const res = await fetch(`${consoleUrl}/`, { redirect: 'manual' });
      expect([302, 303, 307, 308]).toContain(res.status);
      expect(new URL(res.headers.get('location'), consoleUrl).pathname).toBe('/setup');
      // The start log carries the one-time setup link; the page opens with the token filled in.
      const link = new RegExp(`open (${consoleUrl}/setup\\?token=([A-Za-z0-9_-]{43})) `).exec(first.output());
      expect(link).not.toBeNull();
      const setup = await fetch(link[1]);
      expect(setup.status).toBe(200);
      const page = await setup.text();
      expect(page).toMatch(/admin/i);
      expect(page).toContain(`value="${link[2]}"`);
      // Without the token, setup is refused.
      const refused = await fetch(`${consoleUrl}/api/trpc/setup.createFirstAdmin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: consoleUrl },
        body: JSON.stringify({
          name: 'Mallory',
          email: 'mallory@example.test',
          password: 'mallory mallory mallory',
          confirmPassword: 'mallory mallory mallory',
          organizationName: 'Evil',
          setupToken: 'guessed',
        }),
      });
      expect(refused.status).toBe(403);
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

      // kill -9 of the collector: npm start keeps running and brings it back.
      const collectorPid = await childPid(first.child.pid, 'apps/collector/dist/main.js');
      expect(collectorPid).toBeGreaterThan(0);
      process.kill(collectorPid, 'SIGKILL');
      await expect
        .poll(first.output, { timeout: 10_000 })
        .toContain('[peregrine] collector exited (SIGKILL); restarting in 1 s (restart 1)');
      await expect
        .poll(() => statusOf(`http://127.0.0.1:${collectorPort}/readyz`), { timeout: 60_000, interval: 500 })
        .toBe(200);
      expect(await childPid(first.child.pid, 'apps/collector/dist/main.js')).not.toBe(collectorPid);

      // kill -9 of the embedded PostgreSQL: restarted on the same port, the console healthy again.
      const postmasterPid = Number(
        (await readFile(path.join(dataDir, 'pgdata/postmaster.pid'), 'utf8')).split('\n')[0],
      );
      expect(postmasterPid).toBeGreaterThan(0);
      process.kill(postmasterPid, 'SIGKILL');
      await expect
        .poll(first.output, { timeout: 10_000 })
        .toContain('[peregrine] embedded PostgreSQL exited (SIGKILL); restarting in 1 s (restart 1)');
      await expect.poll(first.output, { timeout: 60_000 }).toContain('embedded PostgreSQL is back on');
      await expect
        .poll(() => statusOf(`${consoleUrl}/api/health`), { timeout: 60_000, interval: 500 })
        .toBe(200);
      await expect
        .poll(() => statusOf(`http://127.0.0.1:${collectorPort}/readyz`), { timeout: 60_000, interval: 500 })
        .toBe(200);
      expect(first.child.exitCode).toBeNull();
    } finally {
      expect(await stopPeregrine(first.child)).toBe(0);
    }
    // Everything stopped: the database by a clean shutdown (which removes its pid file).
    await expect(stat(path.join(dataDir, 'pgdata/postmaster.pid'))).rejects.toThrow(/ENOENT/);
    expect(await statusOf(`http://127.0.0.1:${collectorPort}/readyz`)).toBe(0);
    expect(await statusOf(`${consoleUrl}/api/health`)).toBe(0);
    // Secrets are generated once, private to the owner, and reused.
    const secretsFile = path.join(dataDir, 'secrets.json');
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    const secrets = await readFile(secretsFile, 'utf8');

    const second = await startPeregrine(env);
    try {
      expect(second.output()).not.toContain('migrations applied');
      expect(second.output()).not.toContain('seeded the demo organisation');
      // Still no admin: a new setup link (printed just after "console ready", which the start waits for).
      await vi.waitFor(
        () => expect(second.output()).toMatch(/no admin yet: open http:\/\/localhost:\d+\/setup\?token=/),
        { timeout: 30_000, interval: 100 },
      );
      const health = await fetch(`${consoleUrl}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      // Ctrl-C in a terminal under `npm start`: the terminal signals the process group and npm
      // forwards the signal too, so one press arrives twice. It is one clean stop, not a forced one.
      const exited = new Promise((resolve) => second.child.once('exit', (code) => resolve(code)));
      second.child.kill('SIGINT');
      second.child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
    await expect(stat(path.join(dataDir, 'pgdata/postmaster.pid'))).rejects.toThrow(/ENOENT/);
    expect(await statusOf(`http://127.0.0.1:${collectorPort}/readyz`)).toBe(0);
    expect(await statusOf(`${consoleUrl}/api/health`)).toBe(0);
    expect(await readFile(secretsFile, 'utf8')).toBe(secrets);
  });
});
