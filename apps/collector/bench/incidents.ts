/**
 * Incident correlator benchmark: alerts stored by the collector's store statement (with the
 * entities the engine reads from them), then placed into incidents by the correlator. Measures
 * the correlator's alerts per second against the store's own, in the same run (the baseline):
 * what the correlator adds to each stored alert.
 *
 *   npm run bench -w apps/collector          (every collector benchmark)
 *   node apps/collector/dist-bench/bench/incidents.js   (this one alone, after `npm run bench` built it)
 *
 * Knobs (env): BENCH_INCIDENT_ALERTS (5000), BENCH_INCIDENT_PODS (500: alerts share pods, so
 * incidents grow), BENCH_INCIDENT_HISTORY (0: alerts stored and placed first, a day and more
 * before the measured ones and in pods of their own, so the measured passes run over tables that
 * size: a statement whose cost grows with a table, not with the claim, shows there),
 * BENCH_INCIDENT_DATABASE (peregrine_bench_incidents: dropped and made again),
 * TEST_DATABASE_URL. Prints a markdown row for docs/BENCHMARKS.md.
 */
import { cpus, loadavg } from 'node:os';
import { type AlertInput, createCollectorStore, createDb } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { alertEntities } from '@peregrine/engine';
import pg from 'pg';
import { IncidentCorrelator, incidentPolicy } from '../src/pipeline/incident-correlator.js';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const ALERTS = num('BENCH_INCIDENT_ALERTS', 5000);
const PODS = num('BENCH_INCIDENT_PODS', 500);
const HISTORY = num('BENCH_INCIDENT_HISTORY', 0);
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE = process.env.BENCH_INCIDENT_DATABASE ?? 'peregrine_bench_incidents';

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const url = new URL(SERVER);
  url.pathname = `/${DATABASE}`;
  await migrateDatabase(url.toString());
  const db = createDb(url.toString(), { max: 2 });
  const org = await db.prisma.organization.create({ data: { name: 'bench', slug: 'bench' } });
  const env = await db.prisma.environment.create({
    data: { organizationId: org.id, name: 'prod', displayName: 'Prod' },
  });
  const store = createCollectorStore(url.toString(), { max: 4 });
  const log = { warn: () => {}, info: () => {}, error: () => {} } as never;
  const correlator = new IncidentCorrelator(store, {
    policy: incidentPolicy(2 * 3_600_000),
    pollMs: 60_000,
    log,
  });
  /** `count` alerts from `t0` on, 100 ms apart, spread over `PODS` pods named with `prefix`. */
  const makeAlerts = (count: number, t0: number, prefix: string): AlertInput[] => {
    const out: AlertInput[] = [];
    for (let i = 0; i < count; i++) {
      const pod = i % PODS;
      const fields = {
        // Twelve characters, as a short container id: the history's start with h instead of c.
        'container.id': `${prefix || 'c'}${String(pod).padStart(11, '0')}`,
        'k8s.ns.name': 'prod',
        'k8s.pod.name': `${prefix}app-${pod}`,
        'proc.pid': 1000 + (i % 7),
        'proc.name': 'bash',
      };
      out.push({
        rule: `Rule ${i % 5}`,
        priority: 'warning',
        source: 'syscall',
        output: 'bench',
        outputFields: fields,
        tags: ['mitre_execution'],
        hostname: `${prefix}node-${pod % 20}`,
        eventTime: new Date(t0 + i * 100),
        dedupKey: `${prefix}r${i % 5}:${pod}`,
        ingestKey: `${prefix}k${i}`,
        entities: alertEntities('syscall', fields, `${prefix}node-${pod % 20}`),
      });
    }
    return out;
  };
  const storeAll = async (list: AlertInput[]) => {
    for (let i = 0; i < list.length; i += 100) {
      await store.storeBatch({
        organizationId: org.id,
        environmentId: env.id,
        eventCount: 100,
        alerts: list.slice(i, i + 100),
      });
    }
  };
  const t0 = Date.now() - 3_600_000;
  if (HISTORY > 0) {
    // Ends a day before the measured alerts: outside their window, so it changes no placement.
    const history = makeAlerts(HISTORY, t0 - 86_400_000 - HISTORY * 100, 'h');
    const started = Date.now();
    for (let i = 0; i < history.length; i += 10_000) {
      await storeAll(history.slice(i, i + 10_000));
      await correlator.runOnce();
      process.stderr.write(
        `history: ${Math.min(HISTORY, i + 10_000)} of ${HISTORY} alerts stored and placed\r`,
      );
    }
    process.stderr.write(`\nhistory in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  const alerts = makeAlerts(ALERTS, t0, '');
  // Baseline: the store statement, 100 alerts per statement as the collector coalesces them.
  const storeStart = process.hrtime.bigint();
  await storeAll(alerts);
  const storeMs = Number(process.hrtime.bigint() - storeStart) / 1e6;
  const corrStart = process.hrtime.bigint();
  await correlator.runOnce();
  const corrMs = Number(process.hrtime.bigint() - corrStart) / 1e6;
  const incidents = (await db.prisma.incident.count()) - (HISTORY > 0 ? Math.min(PODS, HISTORY) : 0);
  const placed = (await db.prisma.incidentAlert.count()) - HISTORY;
  await store.close();
  await db.close();
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `| alerts | history | pods | incidents | store: alerts/s | correlator: alerts/s | correlator / store time | load (1 min), cores |`,
  );
  console.log(`|---|---|---|---|---|---|---|---|`);
  console.log(
    `| ${placed} | ${HISTORY} | ${PODS} | ${incidents} | ${Math.round((ALERTS / storeMs) * 1000)} | ${Math.round(
      (ALERTS / corrMs) * 1000,
    )} | ${(corrMs / storeMs).toFixed(2)} | ${load}, ${cpus().length} |`,
  );
  if (placed !== ALERTS || incidents !== PODS)
    throw new Error(`expected ${ALERTS} alerts in ${PODS} incidents`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
