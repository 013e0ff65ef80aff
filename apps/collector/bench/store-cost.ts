/**
 * Postgres CPU per stored alert through the collector's own store statement: alerts shaped like
 * the collector benchmark's (a time-prefixed Falco message, output fields with the line's
 * nanosecond `evt.time`, ATT&CK tags, the entities the engine reads: host, container, image and
 * one process per alert), stored in statements of BENCH_STORE_STATEMENT alerts over a database
 * already holding BENCH_STORE_PRELOAD of them. The figure is the Postgres backends' own CPU time
 * (utime + stime from /proc, so it holds on a busy machine too), per alert; the incident
 * correlator's passes over the same alerts are timed the same way, apart.
 *
 *   cd apps/collector && npx tsc -p tsconfig.bench.json && node dist-bench/bench/store-cost.js
 *
 * Knobs (env): BENCH_STORE_PRELOAD (20000), BENCH_STORE_STATEMENTS (40), BENCH_STORE_STATEMENT
 * (200 alerts), BENCH_STORE_ROUNDS (2), BENCH_STORE_CORRELATE (0; 1: the correlator places every
 * statement's alerts, preload included: its cost grows with the alerts in its window), BENCH_STORE_DATABASE (peregrine_bench_store_cost: dropped
 * and made again), BENCH_STORE_SQL (SQL applied after migrating, for an A/B of a schema variant),
 * TEST_DATABASE_URL (the server must run on this host: /proc).
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { type AlertInput, createCollectorStore, createDb } from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { alertEntities } from '@peregrine/engine';
import pg from 'pg';
import { incidentPolicy } from '../src/pipeline/incident-correlator.js';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const PRELOAD = num('BENCH_STORE_PRELOAD', 20_000);
const STATEMENTS = num('BENCH_STORE_STATEMENTS', 40);
const PER_STATEMENT = num('BENCH_STORE_STATEMENT', 200);
const ROUNDS = num('BENCH_STORE_ROUNDS', 2);
const CORRELATE = num('BENCH_STORE_CORRELATE', 0) === 1;
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE = process.env.BENCH_STORE_DATABASE ?? 'peregrine_bench_store_cost';

/** CPU seconds of every backend connected to the database (utime + stime), by pid. */
async function backendCpu(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const r = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ]);
  for (const { pid } of r.rows) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // gone, or not on this host
    }
  }
  return out;
}

const cpuDelta = (a: Map<number, number>, b: Map<number, number>) => {
  let s = 0;
  for (const [pid, v] of b) s += v - (a.get(pid) ?? 0);
  return s;
};

/** One alert as the benchmark stream raises it (`n` makes its event time and process unique). */
function benchAlert(n: number, t0: number): AlertInput {
  const ns = BigInt(t0 + n) * 1_000_000n + BigInt(n % 1000) * 1000n;
  const time = new Date(t0 + n);
  const prefix = `${time.toISOString().slice(11, 23)}000000: `;
  const shell = n % 2 === 0;
  const host = 'bench-host';
  const fields: Record<string, unknown> = shell
    ? {
        'evt.time': ns,
        'evt.type': 'execve',
        'proc.tty': 34816,
        'user.uid': 0,
        'proc.name': 'bash',
        'user.name': 'root',
        'proc.pname': 'runc',
        'proc.cmdline': 'bash -i',
        'proc.exepath': '/bin/bash',
        'evt.arg.flags': null,
        'user.loginuid': -1,
      }
    : {
        'fd.name': '/etc/shadow',
        'evt.time': ns,
        'evt.type': 'openat',
        'proc.tty': 0,
        'user.uid': 0,
        'proc.name': 'cat',
        'user.name': 'root',
        'proc.pname': 'containerd-shim',
        'proc.cmdline': 'cat /etc/shadow',
        'proc.exepath': '/usr/bin/cat',
        'proc.aname[2]': 'systemd',
        'proc.aname[3]': null,
        'proc.aname[4]': null,
        'user.loginuid': -1,
      };
  // What the engine reads from the event itself (not in the output): the container and process.
  const entityFields = {
    ...fields,
    'container.id': 'c0ffee000001',
    'container.image.repository': 'docker.io/library/nginx',
    'proc.pid': 10_000 + n,
    'host.name': host,
  };
  return {
    rule: shell ? 'Terminal shell in container' : 'Read sensitive file untrusted',
    priority: shell ? 'notice' : 'warning',
    source: 'syscall',
    output: shell
      ? `${prefix}Notice A shell was spawned in a container with an attached terminal | evt_type=execve user=root user_uid=0 user_loginuid=-1 process=bash proc_exepath=/bin/bash parent=runc command=bash -i terminal=34816 exe_flags=<NA>`
      : `${prefix}Warning Sensitive file opened for reading by non-trusted program | file=/etc/shadow gparent=systemd ggparent=<NA> gggparent=<NA> evt_type=openat user=root user_uid=0 user_loginuid=-1 process=cat proc_exepath=/usr/bin/cat parent=containerd-shim command=cat /etc/shadow terminal=0`,
    outputFields: fields,
    tags: shell
      ? ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell']
      : ['T1555', 'container', 'filesystem', 'host', 'maturity_stable', 'mitre_credential_access'],
    hostname: host,
    eventTime: time,
    dedupKey: shell ? 'shell' : 'shadow',
    ingestKey: `k${n}`,
    entities: alertEntities('syscall', entityFields, host),
  };
}

async function round(label: string): Promise<{ store: number; correlate: number }> {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const url = new URL(SERVER);
  url.pathname = `/${DATABASE}`;
  await migrateDatabase(url.toString());
  const db = createDb(url.toString(), { max: 1 });
  const org = await db.prisma.organization.create({ data: { name: 'bench', slug: 'bench' } });
  const env = await db.prisma.environment.create({
    data: { organizationId: org.id, name: 'prod', displayName: 'Prod' },
  });
  await db.close();
  const probe = new pg.Client({ connectionString: url.toString() });
  await probe.connect();
  if (process.env.BENCH_STORE_SQL) await probe.query(process.env.BENCH_STORE_SQL);
  const store = createCollectorStore(url.toString(), { max: 1 });
  const policy = incidentPolicy(2 * 3_600_000);
  const t0 = Date.now() - 600_000;
  let n = 0;
  const statement = async () => {
    const alerts = Array.from({ length: PER_STATEMENT }, () => benchAlert(n++, t0));
    await store.storeBatch({ organizationId: org.id, environmentId: env.id, eventCount: 1000, alerts });
  };
  const correlate = async () => {
    for (; CORRELATE; ) {
      const r = await store.correlateIncidents(policy, { limit: 200 });
      if (r.handled < 200) return;
    }
  };
  while (n < PRELOAD) {
    await statement();
    await correlate();
  }
  await probe.query('VACUUM ANALYZE');
  let store0 = 0;
  let corr0 = 0;
  for (let i = 0; i < STATEMENTS; i++) {
    const a = await backendCpu(probe, DATABASE);
    await statement();
    const b = await backendCpu(probe, DATABASE);
    await correlate();
    const c = await backendCpu(probe, DATABASE);
    store0 += cpuDelta(a, b);
    corr0 += cpuDelta(b, c);
  }
  await store.close();
  await probe.end();
  const alerts = STATEMENTS * PER_STATEMENT;
  const result = { store: (store0 * 1e6) / alerts, correlate: (corr0 * 1e6) / alerts };
  console.log(
    `| ${label} | ${Math.round(result.store)} | ${Math.round(result.correlate)} | ${loadavg()[0]!.toFixed(1)} |`,
  );
  return result;
}

async function main(): Promise<void> {
  console.log('| round | store µs CPU/alert | correlator µs CPU/alert | load (1 min) |');
  console.log('|---|---:|---:|---:|');
  for (let r = 1; r <= ROUNDS; r++) await round(String(r));
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
