#!/usr/bin/env node
// `npm start`: Peregrine on one machine with no configuration. Uses DATABASE_URL when set,
// otherwise an embedded Postgres kept under .peregrine/; migrates and seeds it, then runs the
// collector and the console and prints the console's URL. Ctrl-C stops everything cleanly.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedDemoOrganization } from '@peregrine/collector/seed';
import { createDb } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { localSensorKey } from './lib/local-sensor.mjs';
import { DATA_DIR, loadSecrets, openDatabase, ROOT } from './lib/runtime.mjs';

const log = (msg) => console.log(`[peregrine] ${msg}`);
const consolePort = Number(process.env.PORT ?? 3000);
const collectorPort = Number(process.env.COLLECTOR_PORT ?? 2801);
const publicUrl = (process.env.BETTER_AUTH_URL ?? `http://localhost:${consolePort}`).replace(/\/+$/, '');

const children = [];
let database;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  await database?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function run(name, command, args, options, { essential = true } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  child.on('exit', (code, signal) => {
    if (!stopping && !essential) {
      console.error(`[peregrine] ${name} exited (${signal ?? code}); the console and collector keep running`);
    } else if (!stopping) {
      console.error(`[peregrine] ${name} exited (${signal ?? code}); stopping`);
      void shutdown(code || 1);
    }
  });
  children.push(child);
  return child;
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

try {
  const secrets = await loadSecrets();
  database = await openDatabase(log);
  const applied = await migrateDatabase(database.url);
  if (applied.length) log(`migrations applied: ${applied.join(', ')}`);
  const db = createDb(database.url, { max: 2 });
  const seeded = await seedDemoOrganization(db);
  if (seeded.createdVersion) log('seeded the demo organisation with the default rules');
  const runSensor = process.env.PEREGRINE_LOCAL_SENSOR !== '0';
  const sensor = runSensor ? await localSensorKey(db, seeded.environments.staging) : undefined;
  await db.close();

  const env = {
    ...process.env,
    ...secrets,
    DATABASE_URL: database.url,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    COLLECTOR_PORT: String(collectorPort),
    PORT: String(consolePort),
    BETTER_AUTH_URL: publicUrl,
    PEREGRINE_COLLECTOR_URL: process.env.PEREGRINE_COLLECTOR_URL ?? `http://localhost:${collectorPort}`,
  };
  // A larger young generation: ingest allocates many short-lived event objects (measured: GC share
  // fell from 20% to 8% in the collector benchmark).
  run(
    'collector',
    process.execPath,
    ['--max-semi-space-size=64', path.join(ROOT, 'apps/collector/dist/main.js')],
    {
      env,
    },
  );
  const nextBin = createRequire(path.join(ROOT, 'apps/web/package.json')).resolve('next/dist/bin/next');
  run('console', process.execPath, [nextBin, 'start', '-p', String(consolePort)], {
    env,
    cwd: path.join(ROOT, 'apps/web'),
  });
  await Promise.all([
    waitFor(`http://127.0.0.1:${collectorPort}/readyz`, 'collector'),
    waitFor(`http://127.0.0.1:${consolePort}/api/health`, 'console'),
  ]);
  if (sensor) {
    // eBPF when this process may load it (root with bpftrace), else the unprivileged /proc
    // fallback; the sensor logs which one it chose.
    run(
      'local sensor',
      process.execPath,
      [path.join(ROOT, 'packages/sensor/dist/cli.js')],
      {
        env: {
          ...process.env,
          PEREGRINE_COLLECTOR_URL: `http://127.0.0.1:${collectorPort}`,
          PEREGRINE_SENSOR_KEY: sensor.apiKey,
          PEREGRINE_SENSOR_ID: sensor.sensorId,
          PEREGRINE_SPOOL_DIR: path.join(DATA_DIR, 'sensor-spool'),
        },
      },
      { essential: false },
    );
    log(`local sensor '${sensor.name}' reporting to the staging environment`);
  }
  log(`collector listening on :${collectorPort}`);
  log(`console ready: ${publicUrl}`);
} catch (err) {
  console.error(`[peregrine] start failed: ${err.message}`);
  await shutdown(1);
}
