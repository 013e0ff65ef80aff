/**
 * Collector benchmark: a load generator on loopback drives sensor ingest -> engine (upstream Falco
 * rules) -> Postgres -> socket.io, against the built collector running as its own process.
 *
 *   npm run bench -w apps/collector
 *
 * Knobs (env): BENCH_SECONDS (20), BENCH_CONCURRENCY (4 batches in flight), BENCH_BATCH (1000
 * events), BENCH_ALERT_SHARE (0.1), BENCH_COLLECTORS (1: processes sharing the load through
 * NATS when > 1), BENCH_RATE (0 = as fast as answers come; N = N events/s offered, for latency
 * at a given load), BENCH_WIRE (2: JSON batch bodies of version 2; 3: the binary version 3 the
 * sensor sends to a collector that reads it; 1: the version-1 bodies of older sensors, for
 * comparison), BENCH_SQL (SQL applied after migrating, e.g. the schema before a change, for an A/B),
 * TEST_DATABASE_URL. Prints a markdown table
 * for docs/BENCHMARKS.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { getEnvironmentAlertStats, createDb, registerSensor, seedDemo } from '@peregrine/db';
import { createMigratedTestDatabase, createTestPool } from '@peregrine/db/testing';
import { builtinSources, load } from '@peregrine/engine';
import { encodeBatch } from '@peregrine/sensor';
import { connectConsole, TEST_SECRET } from '../src/testing/world.js';
import { startCollectorProcess, type CollectorProcess } from '../src/testing/processes.js';
import { generateEvents } from './events.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const SECONDS = num('BENCH_SECONDS', 20);
const WARMUP_SECONDS = num('BENCH_WARMUP_SECONDS', 3);
const CONCURRENCY = num('BENCH_CONCURRENCY', 4);
const BATCH = num('BENCH_BATCH', 1000);
const ALERT_SHARE = num('BENCH_ALERT_SHARE', 0.1);
const WIRE_ASKED = num('BENCH_WIRE', 2);
const WIRE: 1 | 2 | 3 = WIRE_ASKED === 1 ? 1 : WIRE_ASKED === 3 ? 3 : 2;
/** Version 3: a placeholder batch id of fixed length, replaced per request. */
const V3_ID = 'bench-id-000000000000';

/** The repository root: the nearest folder up whose package.json declares workspaces. */
function repoRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in JSON.parse(readFileSync(pkg, 'utf8'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * CPU seconds (utime + stime from /proc) of each backend connected to `database`, by pid: the
 * Postgres side of the run, when the server runs on this host (else an empty map). A backend
 * that exits between two samples is not counted: the collector's pool keeps its connections
 * for the run.
 */
async function backendCpu(
  admin: ReturnType<typeof createTestPool>,
  database: string,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const r = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ]);
  const tick = 100; // USER_HZ on Linux
  for (const { pid } of r.rows) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / tick);
    } catch {
      // Not on this host, or gone.
    }
  }
  return out;
}

async function main(): Promise<void> {
  const root = repoRoot(HERE);
  const rulesPath = resolve(root, 'packages', 'engine', 'testdata', 'falco', 'rules', 'falco_rules.yaml');
  const rules = readFileSync(rulesPath, 'utf8');
  const check = load([{ name: 'falco_rules.yaml', content: rules }], { sources: builtinSources() });
  if (!check.ok) throw new Error('upstream rules do not load');

  const handle = await createMigratedTestDatabase('bench');
  if (process.env.BENCH_SQL) {
    // SQL applied after migrating (a schema variant for an A/B in one session).
    const setup = createTestPool(handle.url, { max: 1 });
    await setup.query(process.env.BENCH_SQL);
    await setup.end();
  }
  const db = createDb(handle.url, { max: 2 });
  const seeded = await seedDemo(db, {
    ruleSetName: 'Falco upstream',
    ruleSetDescription: 'falco_rules.yaml',
    files: [{ name: 'falco_rules.yaml', content: rules }],
    status: 'valid',
    diagnostics: [],
    summary: {},
  });
  const environmentId = Object.values(seeded.environments)[0]!;
  const sensor = await registerSensor(db, { environmentId, name: 'bench-node' });

  const main = join(HERE, '..', 'src', 'main.js');
  const processes: CollectorProcess[] = [];
  const collectors = num('BENCH_COLLECTORS', 1);
  const stream = `PEREGRINE_BENCH_${Date.now()}`;
  for (let i = 0; i < collectors; i++) {
    processes.push(
      await startCollectorProcess(
        {
          DATABASE_URL: handle.url,
          PEREGRINE_SECRET_KEY: TEST_SECRET,
          COLLECTOR_MAX_IN_FLIGHT: String(Math.max(50_000, BATCH * CONCURRENCY)),
          ...(collectors > 1
            ? { NATS_URL: 'nats://127.0.0.1:4222', NATS_STREAM: stream, REDIS_URL: 'redis://127.0.0.1:6379' }
            : {}),
        },
        main,
        // BENCH_PROFILE=<dir>: a V8 CPU profile per collector process, written when it stops.
        [
          // A larger young generation: ingest allocates many short-lived objects per batch, and
          // the default 16 MiB semi-space made scavenges the largest single cost in the profile.
          '--max-semi-space-size=64',
          ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
        ],
        // Loading the modules and the upstream rules took over 30 s at a load average of 20.
        120_000,
      ),
    );
  }
  const urls = processes.map((p) => p.url);

  // Pre-encode the batches so the generator spends its time sending, not gzipping: each body is
  // encoded by the sensor's own encoder, without its envelope head (sent per request below).
  const pool = Math.max(64, CONCURRENCY * 8);
  const bodies: Buffer[] = [];
  /** Version 3: the bytes after the batch id (gzip), `bodies` holding those before it. */
  const tails: Buffer[] = [];
  let rawBytes = 0;
  let gzipBytes = 0;
  for (let b = 0; b < pool; b++) {
    const events = generateEvents(b * BATCH, BATCH, ALERT_SHARE, 'bench-host');
    if (WIRE === 3) {
      // The id is a string of the string table: the body is cut around it, and each request
      // sends gzip(before) + gzip(its own id of the same length) + gzip(after).
      const bytes = Buffer.from(encodeBatch(3, { sensorId: 'bench', batchId: V3_ID, seq: 1 }, events));
      const at = bytes.indexOf(V3_ID);
      const before = gzipSync(bytes.subarray(0, at));
      const after = gzipSync(bytes.subarray(at + V3_ID.length));
      rawBytes += bytes.length;
      gzipBytes += before.length + after.length;
      bodies.push(before);
      tails.push(after);
      continue;
    }
    const json = encodeBatch(WIRE, { sensorId: 'bench', batchId: 'x', seq: 1 }, events);
    // `{"sensorId":"bench","batchId":"x","seq":1,` (and `"v":2,`) come first: drop them.
    const rest = json.slice(json.indexOf('"seq":1,') + '"seq":1,'.length);
    const body = gzipSync(rest);
    rawBytes += json.length;
    gzipBytes += body.length;
    bodies.push(body);
  }
  const alertsPerBatch = generateEvents(0, BATCH, ALERT_SHARE, 'x').filter(
    (e) => e.proc.name === 'bash' || e.fd?.name === '/etc/shadow',
  ).length;

  const client = await connectConsole(urls[0]!, {
    organizationId: seeded.organizationId,
    environmentIds: [environmentId],
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
  let measuring = false;
  const latencies: number[] = [];
  let delivered = 0;
  client.socket.on('alerts:new', (p: { alerts: { receivedAt: number }[] }) => {
    const now = Date.now();
    delivered += p.alerts.length;
    if (measuring) for (const a of p.alerts) latencies.push(now - a.receivedAt);
  });

  let seq = 0;
  let sentEvents = 0;
  let busy = 0;
  let failures = 0;
  let stop = false;
  // Open loop (BENCH_RATE events/s): batches start on a fixed schedule whatever the answers, at
  // most CONCURRENCY at once, so latency is measured at a given load instead of at saturation.
  const RATE = num('BENCH_RATE', 0);
  let slot = Date.now();
  async function paced(): Promise<void> {
    if (!RATE) return;
    slot += (BATCH / RATE) * 1000;
    const wait = slot - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  async function worker(w: number): Promise<void> {
    // Each body is three concatenated gzip members (envelope head, pre-compressed events, tail):
    // gunzip reads them as one stream, and only the small head differs per batch.
    while (!stop) {
      await paced();
      const n = seq++;
      let body: Buffer;
      if (WIRE === 3) {
        const id = `${V3_ID.slice(0, -12)}${String(n).padStart(12, '0')}`;
        body = Buffer.concat([bodies[n % pool]!, gzipSync(id), tails[n % pool]!]);
      } else {
        const version = WIRE === 2 ? '"v":2,' : '';
        const prefix = gzipSync(`{${version}"sensorId":"bench","batchId":"b${n}","seq":${n + 1},`);
        body = Buffer.concat([prefix, bodies[n % pool]!]);
      }
      const url = urls[(n + w) % urls.length]!;
      try {
        const res = await fetch(`${url}/v1/sensor/events`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${sensor.apiKey}`,
            'content-type': WIRE === 3 ? 'application/vnd.peregrine.batch.v3' : 'application/json',
            'content-encoding': 'gzip',
          },
          body,
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          if (measuring) sentEvents += BATCH;
        } else if (res.status === 429) {
          busy++;
          await new Promise((r) => setTimeout(r, 100));
        } else failures++;
      } catch {
        failures++;
      }
    }
  }
  const workers = Array.from({ length: CONCURRENCY }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  const cpuSeconds = async () => {
    let total = 0;
    for (const url of urls) {
      const text = await (await fetch(`${url}/metrics`)).text();
      total += Number(/^peregrine_collector_process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? 0);
    }
    return total;
  };
  const admin = createTestPool(handle.url, { max: 1 });
  const database = new URL(handle.url).pathname.slice(1);
  // The incident correlator runs behind the store (it places queued alerts in passes): what it
  // placed in the window, and what it still owed at the end, say whether it keeps up.
  const correlation = async () => {
    const r = await admin.query<{ placed: string; queued: string }>(
      'SELECT (SELECT count(*) FROM incident_alerts) AS placed, (SELECT count(*) FROM incident_queue) AS queued',
    );
    return { placed: Number(r.rows[0]?.placed ?? 0), queued: Number(r.rows[0]?.queued ?? 0) };
  };
  const pg0 = await backendCpu(admin, database);
  const cpu0 = await cpuSeconds();
  const corr0 = await correlation();
  const before = await getEnvironmentAlertStats(db, environmentId);
  measuring = true;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (Date.now() - t0) / 1000;
  const after = await getEnvironmentAlertStats(db, environmentId);
  const cpu1 = await cpuSeconds();
  const pg1 = await backendCpu(admin, database);
  const corr1 = await correlation();
  await admin.end();
  let pgCpu = 0;
  for (const [pid, s] of pg1) pgCpu += s - (pg0.get(pid) ?? 0);
  stop = true;
  await Promise.all(workers);
  await new Promise((r) => setTimeout(r, 1000));

  // Where a batch's time goes, from the collector's own histogram (mean ms from receipt).
  const stages: Record<string, number> = {};
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const stage of ['evaluate', 'commit']) {
      const sum = Number(new RegExp(`batch_seconds_sum\\{stage="${stage}"\\} (\\S+)`).exec(text)?.[1] ?? 0);
      const count = Number(
        new RegExp(`batch_seconds_count\\{stage="${stage}"\\} (\\S+)`).exec(text)?.[1] ?? 1,
      );
      stages[stage] = Math.round((sum / count) * 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const result = {
    seconds: Number(elapsed.toFixed(1)),
    batchSize: BATCH,
    offeredEventsPerSecond: RATE || 'saturation',
    concurrency: CONCURRENCY,
    batchVersion: WIRE,
    bodyBytesPerEvent: Math.round(rawBytes / (pool * BATCH)),
    gzipBytesPerEvent: Number((gzipBytes / (pool * BATCH)).toFixed(1)),
    collectors,
    alertSharePerBatch: alertsPerBatch / BATCH,
    eventsPerSecond: Math.round(sentEvents / elapsed),
    alertsPersistedPerSecond: Math.round((after.alerts - before.alerts) / elapsed),
    alertsCorrelatedPerSecond: Math.round((corr1.placed - corr0.placed) / elapsed),
    incidentQueueAtEnd: corr1.queued,
    deliveredAlerts: delivered,
    storedAlerts: after.alerts,
    latencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? null,
    },
    meanMsFromReceipt: stages,
    // Collector CPU per event (all its processes): what one uncontended core would sustain.
    collectorCpuMicrosPerEvent: sentEvents ? Number((((cpu1 - cpu0) * 1e6) / sentEvents).toFixed(1)) : null,
    collectorCpuShare: Number(((cpu1 - cpu0) / elapsed).toFixed(2)),
    // Postgres backends of the benchmark's database (store statements, correlator, pushes' reads).
    postgresCpuMicrosPerAlert:
      after.alerts > before.alerts ? Math.round((pgCpu * 1e6) / (after.alerts - before.alerts)) : null,
    postgresCpuShare: Number((pgCpu / elapsed).toFixed(2)),
    loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
    rejected429: busy,
    failures,
    cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? '?'}`,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    [
      '| batch version | events/s | alerts persisted/s | alerts correlated/s | incident queue at end | p50 ms | p99 ms | collector µs CPU/event | collector CPU (cores) | Postgres µs CPU/alert | Postgres CPU (cores) | load avg (1m) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| ${WIRE} | ${result.eventsPerSecond} | ${result.alertsPersistedPerSecond} | ${result.alertsCorrelatedPerSecond} | ${result.incidentQueueAtEnd} | ${result.latencyMs.p50} | ${result.latencyMs.p99} | ${result.collectorCpuMicrosPerEvent} | ${result.collectorCpuShare} | ${result.postgresCpuMicrosPerAlert} | ${result.postgresCpuShare} | ${result.loadAverage[0]} |`,
    ].join('\n'),
  );

  client.socket.disconnect();
  for (const p of processes) await p.stop();
  await db.close();
  await handle.drop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
