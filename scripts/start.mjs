#!/usr/bin/env node
// `npm start`: Peregrine on one machine with no configuration. Uses DATABASE_URL when set,
// otherwise an embedded PostgreSQL kept under .peregrine/; migrates and seeds it, then runs the
// collector, the console and a local sensor and prints the console's URL. Every process is
// supervised: one that dies is restarted with backoff. Ctrl-C stops everything cleanly, the
// sensor first and the database last.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedDemoOrganization } from '@peregrine/collector/seed';
import { createDb, issueSetupToken } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { localSensorKey } from './lib/local-sensor.mjs';
import { DATA_DIR, loadSecrets, openDatabase, ROOT } from './lib/runtime.mjs';
import { killRunning, processService, supervise } from './lib/supervise.mjs';

const log = (msg) => console.log(`[peregrine] ${msg}`);
const consolePort = Number(process.env.PORT ?? 3000);
const collectorPort = Number(process.env.COLLECTOR_PORT ?? 2801);
const publicUrl = (process.env.BETTER_AUTH_URL ?? `http://localhost:${consolePort}`).replace(/\/+$/, '');
// Loopback unless configured: until the first admin exists, whoever reaches the console could
// try to claim it (the setup token stops them), and a console is no one else's business anyway.
const consoleHost = process.env.PEREGRINE_CONSOLE_HOST?.trim() || '127.0.0.1';
/** Where this machine reaches the console (a wildcard address is reachable on loopback). */
const consoleLocal = ['0.0.0.0', '::', '[::]'].includes(consoleHost)
  ? '127.0.0.1'
  : consoleHost.includes(':')
    ? `[${consoleHost}]`
    : consoleHost;

/** Supervised services by name, stopped in the order `shutdown` gives. */
const services = {};
let opening;
let stopping = false;
/** The embedded PostgreSQL, when `npm start` runs one. */
let embeddedServer;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  // The sensor first, while the collector still takes its last batch (no needless spooling); the
  // database last, after everything that writes to it.
  await services.sensor?.stop();
  await Promise.all([services.collector?.stop(), services.console?.stop()]);
  await services.database?.stop();
  const database = await opening?.catch(() => undefined);
  await database?.stop();
  process.exit(code);
}
/** Ends now, leaving nothing behind: children killed, the embedded server shut down immediately. */
function forceExit(code) {
  killRunning('SIGKILL');
  // PostgreSQL's immediate shutdown (SIGQUIT): like a crash, recovered from its WAL at next start.
  const pid = embeddedServer?.pid;
  if (pid) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
  process.exit(code);
}
// Whatever ends this process, its children must not outlive it.
process.on('exit', () => killRunning('SIGKILL'));

let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) {
      // npm forwards the terminal's Ctrl-C to this process too, so one press can arrive twice:
      // only a second press a moment later means "stop waiting".
      if (Date.now() - firstSignalAt < 2000) return;
      log(`${signal} again: killing what is still running and exiting`);
      forceExit(1);
    }
    firstSignalAt = Date.now();
    void shutdown(0);
  });
}

async function waitFor(url, name, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(250);
  }
  throw new Error(`${name} did not become ready at ${url} (${last})`);
}

/** Supervises a service under `services[key]`, unless a shutdown has begun. */
function runService(key, name, start, first) {
  if (!stopping) services[key] = supervise(name, start, { log, first });
}

/** The embedded server as a supervised service: a crash brings `restart()` on the same port. */
function superviseEmbeddedDatabase(server) {
  embeddedServer = server;
  const instance = () => ({ exited: server.exited, stop: () => server.stop() });
  const restart = async () => {
    await server.restart();
    log(`embedded PostgreSQL is back on 127.0.0.1:${server.port}`);
    return instance();
  };
  runService('database', 'embedded PostgreSQL', restart, instance());
}

try {
  const secrets = await loadSecrets();
  opening = openDatabase(log);
  const database = await opening;
  if (database.server) superviseEmbeddedDatabase(database.server);
  const applied = await migrateDatabase(database.url);
  if (applied.length) log(`migrations applied: ${applied.join(', ')}`);
  const db = createDb(database.url, { max: 2 });
  const seeded = await seedDemoOrganization(db);
  if (seeded.createdVersion) log('seeded the demo organisation with the default rules');
  const runSensor = process.env.PEREGRINE_LOCAL_SENSOR !== '0';
  const sensor = runSensor ? await localSensorKey(db, seeded.environments.staging) : undefined;
  // While no admin exists: a fresh one-time token for first-run setup, printed below.
  const setup = await issueSetupToken(db);
  await db.close();

  const env = {
    ...process.env,
    ...secrets,
    DATABASE_URL: database.url,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    COLLECTOR_PORT: String(collectorPort),
    PORT: String(consolePort),
    PEREGRINE_CONSOLE_HOST: consoleHost,
    BETTER_AUTH_URL: publicUrl,
    PEREGRINE_COLLECTOR_URL: process.env.PEREGRINE_COLLECTOR_URL ?? `http://localhost:${collectorPort}`,
  };
  // A larger young generation: ingest allocates many short-lived event objects (measured: GC share
  // fell from 20% to 8% in the collector benchmark).
  runService(
    'collector',
    'collector',
    processService(
      process.execPath,
      ['--max-semi-space-size=64', path.join(ROOT, 'apps/collector/dist/main.js')],
      // Batches the collector cannot store while the database is away wait in its spool folder;
      // compiled rule sets are kept beside it for the next start.
      {
        env: {
          ...env,
          COLLECTOR_SPOOL_DIR: path.join(DATA_DIR, 'collector-spool'),
          COLLECTOR_COMPILE_CACHE_DIR:
            process.env.COLLECTOR_COMPILE_CACHE_DIR ?? path.join(DATA_DIR, 'compile-cache'),
        },
      },
    ),
  );
  // The console's own server (apps/web/server.mjs): it binds to PEREGRINE_CONSOLE_HOST and tells
  // the app each client's real address.
  runService(
    'console',
    'console',
    processService(process.execPath, [path.join(ROOT, 'apps/web/server.mjs')], {
      env,
      cwd: path.join(ROOT, 'apps/web'),
    }),
  );
  await Promise.all([
    waitFor(`http://127.0.0.1:${collectorPort}/readyz`, 'collector'),
    waitFor(`http://${consoleLocal}:${consolePort}/api/health`, 'console'),
  ]);
  if (sensor) {
    // eBPF when this process may load it (root with bpftrace), else the unprivileged /proc
    // fallback; the sensor logs which one it chose.
    runService(
      'sensor',
      'local sensor',
      processService(process.execPath, [path.join(ROOT, 'packages/sensor/dist/cli.js')], {
        env: {
          ...process.env,
          PEREGRINE_COLLECTOR_URL: `http://127.0.0.1:${collectorPort}`,
          PEREGRINE_SENSOR_KEY: sensor.apiKey,
          PEREGRINE_SENSOR_ID: sensor.sensorId,
          PEREGRINE_SPOOL_DIR: path.join(DATA_DIR, 'sensor-spool'),
        },
      }),
    );
    log(`local sensor '${sensor.name}' reporting to the staging environment`);
  }
  log(`collector listening on :${collectorPort}`);
  log(`console ready: ${publicUrl} (listening on ${consoleHost}:${consolePort})`);
  if (setup) {
    log(`no admin yet: open ${publicUrl}/setup?token=${setup.token} to create the first one`);
    log(`  (the token works once, until ${setup.expiresAt.toISOString()}; npm run db:seed prints a new one)`);
  }
} catch (err) {
  // A Ctrl-C during start-up ends the waits above; that is no failure to report.
  if (!stopping) {
    console.error(`[peregrine] start failed: ${err.message}`);
    await shutdown(1);
  }
}
