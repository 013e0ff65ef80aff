/**
 * Notification benchmark: alerts stored by a real collector owe webhook notifications in the same
 * statement (the outbox); the collector's delivery worker sends them through the outbound policy
 * to a loopback receiver that answers at once. Measures notifications per second for a burst,
 * and the delay from stored (the outbox row's commit time) to delivered at a steady rate.
 *
 *   npm run bench -w apps/collector          (the other collector benchmarks, then this one)
 *   node apps/collector/dist-bench/bench/notify.js   (this one alone, after `npm run bench` built it)
 *
 * Knobs (env): BENCH_NOTIFY_BURST (5000 alerts at once), BENCH_NOTIFY_RATE (200 alerts/s for the
 * latency run), BENCH_NOTIFY_SECONDS (15), BENCH_NOTIFY_CONCURRENCY (NOTIFY_CONCURRENCY, 8),
 * BENCH_NOTIFY_RECEIVER_MS (0: the receiver's own delay per request), TEST_DATABASE_URL.
 * Prints a markdown table for docs/BENCHMARKS.md.
 */
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import {
  createDb,
  createNotificationChannel,
  createNotificationRoute,
  registerSensor,
  seedDemo,
} from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import pg from 'pg';
import { createCollector } from '../src/app.js';
import { loadEnv } from '../src/env.js';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const BURST = num('BENCH_NOTIFY_BURST', 5000);
const RATE = num('BENCH_NOTIFY_RATE', 200);
const SECONDS = num('BENCH_NOTIFY_SECONDS', 15);
const CONCURRENCY = num('BENCH_NOTIFY_CONCURRENCY', 8);
const RECEIVER_MS = num('BENCH_NOTIFY_RECEIVER_MS', 0);
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'peregrine_bench_notify';
const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

const RULES = `
- rule: Shell spawned
  desc: a shell was spawned
  condition: evt.type in (execve, execveat) and evt.dir=< and proc.name in (bash, sh, zsh)
  output: Shell spawned (proc=%proc.name pid=%proc.pid host=%evt.hostname)
  priority: WARNING
  tags: [bench, shell]
`;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const url = new URL(SERVER);
  url.pathname = `/${DATABASE}`;
  const dbUrl = url.toString();
  await migrateDatabase(dbUrl);
  const db = createDb(dbUrl, { max: 2 });
  const seeded = await seedDemo(db, {
    ruleSetName: 'Bench rules',
    ruleSetDescription: 'notification benchmark',
    files: [{ name: 'rules.yaml', content: RULES }],
    status: 'valid',
    diagnostics: [],
    summary: {},
  });
  const environmentId = Object.values(seeded.environments)[0]!;
  const sensor = await registerSensor(db, { environmentId, name: 'bench-node' });

  let received = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      setTimeout(() => res.end('ok'), RECEIVER_MS);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  const channel = await createNotificationChannel(
    db,
    {
      organizationId: seeded.organizationId,
      kind: 'webhook',
      name: 'bench',
      config: { url: `http://127.0.0.1:${port}/hook` },
      secrets: { hmacSecret: 'bench-signing-secret-0123456789' },
      secretKey: Buffer.from(SECRET_KEY, 'base64'),
    },
    { userId: null },
  );
  // Throttle 0: every alert is a notification of its own (the most the worker can be asked for).
  await createNotificationRoute(
    db,
    {
      organizationId: seeded.organizationId,
      name: 'all',
      enabled: true,
      filter: {},
      channelIds: [channel.id],
      overrides: {},
      throttleSeconds: 0,
      continue: false,
    },
    { userId: null },
  );
  const collector = await createCollector(
    loadEnv({
      DATABASE_URL: dbUrl,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: '0',
      LOG_LEVEL: 'warn',
      PEREGRINE_SECRET_KEY: SECRET_KEY,
      COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1',
      COLLECTOR_SPOOL_MAX_MB: '0',
      NOTIFY_CONCURRENCY: String(CONCURRENCY),
      BACKTEST_RUNNER: '0',
    }),
    { defaultMetrics: false },
  );
  const base = await collector.start();
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  let seq = 0;
  let pid = 1;
  const post = async (n: number) => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const events = Array.from({ length: n }, () => ({
      ts: String(now),
      type: 'execve',
      dir: '<',
      res: 0,
      args: [],
      hostname: 'bench-node',
      proc: { pid: pid++, name: 'bash', exe: '/bin/bash', args: [], uid: 0, user: 'root' },
    }));
    const res = await fetch(`${base}/v1/sensor/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sensor.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sensorId: 'bench', batchId: `b-${++seq}`, seq, events }),
    });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  };
  const waitDelivered = async (total: number, deadlineMs: number) => {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const r = await pool.query(
        `SELECT count(*)::int AS n FROM notification_outbox WHERE status = 'delivered'`,
      );
      if (r.rows[0].n >= total) return;
      if (Date.now() > until) throw new Error(`only ${r.rows[0].n} of ${total} delivered in time`);
      await new Promise((r2) => setTimeout(r2, 50));
    }
  };
  const delays = async (since: Date) =>
    (
      await pool.query(
        `SELECT extract(epoch FROM "deliveredAt" - "createdAt") * 1000 AS ms FROM notification_outbox
         WHERE status = 'delivered' AND "createdAt" >= $1 ORDER BY ms`,
        [since],
      )
    ).rows.map((r) => Number(r.ms));
  const rows: string[] = [];
  const cpu0 = process.cpuUsage();

  // Burst: BURST alerts stored in batches of 500 as fast as ingest takes them.
  const burstStart = new Date();
  const t0 = performance.now();
  for (let sent = 0; sent < BURST; sent += 500) await post(Math.min(500, BURST - sent));
  const stored = performance.now();
  await waitDelivered(BURST, 300_000);
  const burstMs = performance.now() - t0;
  const burstDelays = await delays(burstStart);
  rows.push(
    `| burst | ${BURST} | ${((BURST / burstMs) * 1000).toFixed(0)} | ${(burstMs / 1000).toFixed(2)} (stored in ${((stored - t0) / 1000).toFixed(2)}) | ${quantile(burstDelays, 0.5).toFixed(0)} | ${quantile(burstDelays, 0.99).toFixed(0)} | ${quantile(burstDelays, 1).toFixed(0)} |`,
  );

  // Steady: RATE alerts per second (batches of RATE/10 every 100 ms) for SECONDS.
  const steadyStart = new Date();
  const perTick = Math.max(1, Math.round(RATE / 10));
  const ticks = SECONDS * 10;
  const s0 = performance.now();
  for (let i = 0; i < ticks; i++) {
    await post(perTick);
    const next = s0 + (i + 1) * 100;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await waitDelivered(BURST + ticks * perTick, 120_000);
  const steadyDelays = await delays(steadyStart);
  rows.push(
    `| steady ${RATE}/s | ${ticks * perTick} | ${RATE} (offered) | ${SECONDS} | ${quantile(steadyDelays, 0.5).toFixed(0)} | ${quantile(steadyDelays, 0.99).toFixed(0)} | ${quantile(steadyDelays, 1).toFixed(0)} |`,
  );
  const cpu = process.cpuUsage(cpu0);
  const dead = (
    await pool.query(`SELECT count(*)::int AS n FROM notification_outbox WHERE status <> 'delivered'`)
  ).rows[0].n;

  console.log(
    `\nNotifications: webhook (HMAC-signed) to a loopback receiver (${RECEIVER_MS} ms per request), NOTIFY_CONCURRENCY=${CONCURRENCY}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${new Date().toISOString()}\n`,
  );
  console.log('| run | notifications | per second | wall s | stored->delivered p50 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log(
    `\nreceiver requests ${received} for ${BURST + ticks * perTick} notifications (not delivered: ${dead}); collector process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (ingest, evaluation and delivery)`,
  );
  if (received !== BURST + ticks * perTick || dead !== 0)
    throw new Error('a notification was lost or sent twice');

  await collector.stop();
  await pool.end();
  await db.close();
  receiver.close();
  const drop = new pg.Client({ connectionString: SERVER });
  await drop.connect();
  await drop.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await drop.end();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
