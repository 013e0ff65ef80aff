/**
 * Backtest benchmark: one million stored events in real Postgres, replayed by the collector's
 * backtest runner (a draft of upstream Falco rules against the active version), measured beside
 * a plain scan of the same rows in the same session.
 *
 *   npm run bench -w apps/collector          (the ingest benchmark, then this one)
 *   node apps/collector/dist-bench/bench/backtest.js   (this one alone, after `npm run bench` built it)
 *
 * Knobs (env): BENCH_BACKTEST_EVENTS (1000000), BENCH_REUSE=1 (keep an already loaded database),
 * BENCH_RUNS (2: each measurement this many times, alternated), BENCH_PAGE_ROWS (1000),
 * BENCH_MODES (scan,evaluate-twice,backtest: the measurements, in order),
 * TEST_DATABASE_URL (the server; default 127.0.0.1:5432). Each measurement runs in a fresh Node
 * process, so its peak RSS is its own. Prints markdown tables for docs/BENCHMARKS.md.
 *
 * Measurements:
 * - scan: the runner's own page reads (raw events per source, and alerts whose event was not
 *   kept; two scans side by side, as the runner reads them), JSON parsed, nothing evaluated: the
 *   floor any backtest over these rows stands on;
 * - evaluate twice: the same scan, each event evaluated by both versions separately
 *   (RuleSet.match), as a backtest without shared conditions would;
 * - backtest: the real thing, a queued job run by BacktestRunner with its checkpoints, samples
 *   and shared evaluation of conditions both versions have.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BacktestStore,
  createBacktestJob,
  createBacktestStore,
  createDb,
  createRuleSetVersion,
  getBacktestJob,
  seedDemo,
} from '@peregrine/db';
import { migrateDatabase } from '@peregrine/db/migrate';
import { builtinSources, load, type RuleSet } from '@peregrine/engine';
import Fastify from 'fastify';
import pg from 'pg';
import type { BacktestResult } from '@peregrine/protocol';
import { BacktestRunner } from '../src/backtest/backtest-runner.js';
import { KNOWN_SOURCES } from '../src/pipeline/rules-engine.js';
import { loadBenchEvents, SHARES } from './backtest-data.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const EVENTS = num('BENCH_BACKTEST_EVENTS', 1_000_000);
const RUNS = num('BENCH_RUNS', 2);
const PAGE_ROWS = num('BENCH_PAGE_ROWS', 1000);
/** The measurements to take, in this order each run (the first is what `wall / scan` divides by). */
const MODES = (process.env.BENCH_MODES ?? 'scan,evaluate-twice,backtest').split(',');
const SERVER = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'peregrine_bench_backtest';
const END = new Date('2026-12-01T00:00:00Z');

/** The repository root: the nearest folder up whose package.json declares workspaces. */
function repoRoot(from: string): string {
  let dir = from;
  for (;;) {
    try {
      if ('workspaces' in JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))) return dir;
    } catch {
      // not here
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

/**
 * The active version: upstream Falco rules for Kubernetes audit, CloudTrail, Okta, GitHub and
 * syscalls (packages/engine/testdata/falco), their `required_plugin_versions` blocks removed
 * (Peregrine's built-in sources stand in for the plugins), 120 rules.
 */
function activeFiles(): { name: string; content: string }[] {
  const dir = resolve(repoRoot(HERE), 'packages', 'engine', 'testdata', 'falco');
  const strip = (text: string) => text.replace(/^- required_plugin_versions:[\s\S]*?(?=^- )/m, '');
  return [
    'plugin-rules/k8saudit/k8s_audit_rules.yaml',
    'plugin-rules/cloudtrail/aws_cloudtrail_rules.yaml',
    'plugin-rules/okta/okta_rules.yaml',
    'plugin-rules/github/github.yaml',
    'rules/falco_rules.yaml',
  ].map((f) => ({ name: f.split('/').pop() as string, content: strip(readFileSync(join(dir, f), 'utf8')) }));
}

/** The draft: the same files plus a tuning file, as an author would write it. */
const TUNING = `# alice runs deployments: an expected Kubernetes user now.
- list: allowed_k8s_users
  items: [alice]
  override:
    items: append

# Instances launched in the main region are routine.
- rule: Run Instances
  condition: and ct.region != "us-east-1"
  override:
    condition: append

# zsh in a container terminal is the SRE team's debugging shell.
- rule: Terminal shell in container
  condition: and proc.name != zsh
  override:
    condition: append

- rule: Config map read by a person
  desc: Someone (not a controller or node) read a config map.
  condition: kevt and ka.verb = get and ka.target.resource = configmaps and not ka.user.name startswith "system:"
  output: Config map read by a person (user=%ka.user.name configmap=%ka.target.name ns=%ka.target.namespace)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s]
`;

interface Measured {
  mode: string;
  events: number;
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  /** CPU time of the Postgres backends that served the run (from /proc, this host's server). */
  pgCpuMs?: number;
}

// ------------------------------------------------------------------------------------------
// Child processes: one measurement each
// ------------------------------------------------------------------------------------------

/**
 * The runner's reads without its evaluation: the same scans (raw events per source, then alerts
 * whose event was not kept), the same pages, two scans side by side with the next page of each
 * read while one is handled, largest first.
 */
async function scanAll(
  store: BacktestStore,
  scope: { environmentId: string; from: Date; to: Date },
  onPage: (rows: { event: unknown; source: string }[]) => void,
): Promise<number> {
  let events = 0;
  const sources = ['aws_cloudtrail', 'github', 'k8s_audit', 'okta', 'syscall'];
  type Page = { after: { time: string; id: string } | null; rows: { event: unknown; source: string }[] };
  const read = async (scan: string, after: { time: string; id: string } | null): Promise<Page> => {
    if (scan === 'alerts') {
      const page = await store.alertEvents(scope, sources, after, PAGE_ROWS);
      return { after: page.after, rows: page.rows.map((r) => ({ event: r.outputFields, source: r.source })) };
    }
    const page = await store.rawEvents(scope, scan, after, PAGE_ROWS);
    return { after: page.after, rows: page.rows.map((r) => ({ event: r.payload, source: scan })) };
  };
  const queue = ['k8s_audit', 'aws_cloudtrail', 'alerts', 'okta', 'github'];
  const worker = async () => {
    for (let scan = queue.shift(); scan !== undefined; scan = queue.shift()) {
      let next: Promise<Page> | null = read(scan, null);
      while (next) {
        const page: Page = await next;
        next = page.after ? read(scan, page.after) : null;
        onPage(page.rows);
        events += page.rows.length;
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return events;
}

async function child(mode: string, url: string, arg: string): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let events = 0;
  if (mode === 'backtest') {
    const store = createBacktestStore(url);
    const runner = new BacktestRunner(store, {
      pollMs: 1000,
      leaseMs: 60_000,
      pageRows: PAGE_ROWS,
      knownSources: [...KNOWN_SOURCES],
      log: Fastify({ logger: false }).log,
    });
    if ((await runner.runQueued()) !== 1) throw new Error('the backtest did not run');
    await store.close();
    events = EVENTS;
    void arg;
  } else {
    const store = createBacktestStore(url);
    const scope = { environmentId: arg, from: new Date(END.getTime() - 8 * 86_400_000), to: END };
    let evaluate: (e: unknown, source: string) => void = () => {};
    if (mode === 'evaluate-twice') {
      const sources = builtinSources();
      const active = load(activeFiles(), { sources }).ruleset;
      const draft = load([...activeFiles(), { name: 'tuning.yaml', content: TUNING }], { sources }).ruleset;
      evaluate = (e, source) => {
        active.match(e, source);
        draft.match(e, source);
      };
    }
    events = await scanAll(store, scope, (rows) => {
      for (const r of rows) evaluate(r.event, r.source);
    });
    await store.close();
  }
  const cpu = process.cpuUsage(cpu0);
  const out: Measured = {
    mode,
    events,
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Clock ticks per second of /proc/<pid>/stat times (Linux: 100). */
const TICK_MS = 10;

/**
 * CPU time of the server processes (backends, parallel workers) connected to the benchmark's
 * database while `run` goes on, read from /proc: every backend that appears is new (the run's own
 * connections), so its CPU time since it started is all the run's.
 */
async function pgCpuDuring<T>(url: string, run: () => Promise<T>): Promise<{ value: T; pgCpuMs: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const mine = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  const seen = new Map<number, number>();
  const poll = async () => {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
      DATABASE,
    ]);
    for (const { pid } of r.rows) {
      if (pid === mine) continue;
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        seen.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
      } catch {
        // gone meanwhile: its last reading stands
      }
    }
  };
  let stop = false;
  const poller = (async () => {
    while (!stop) {
      await poll();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const value = await run();
    return { value, pgCpuMs: [...seen.values()].reduce((a, b) => a + b, 0) };
  } finally {
    stop = true;
    await poller;
    await c.end();
  }
}

function measure(mode: string, url: string, arg: string): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    // The collector's own flags (scripts/start.mjs): a 64 MB young generation keeps a page's
    // parsed events out of the old generation.
    const flags = ['--max-semi-space-size=64'];
    const p = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), '--child', mode, url, arg], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    p.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${mode} exited with ${code}: ${out}`));
      else resolvePromise(JSON.parse(line) as Measured);
    });
  });
}

// ------------------------------------------------------------------------------------------
// The benchmark
// ------------------------------------------------------------------------------------------

async function prepare(url: string): Promise<{
  organizationId: string;
  environmentId: string;
  ruleSetId: string;
  draftId: string;
  activeId: string;
}> {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  const exists =
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount === 1;
  let reuse = false;
  if (exists && process.env.BENCH_REUSE === '1') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const n = await c
      .query<{ n: string }>('SELECT (SELECT count(*) FROM raw_events) + (SELECT count(*) FROM alerts) AS n')
      .catch(() => ({ rows: [{ n: '0' }] }));
    await c.end();
    reuse = Number(n.rows[0]?.n) === EVENTS;
  }
  if (!reuse) {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  }
  await admin.end();
  if (!reuse) await migrateDatabase(url);
  const db = createDb(url, { max: 2 });
  try {
    const seeded = await seedDemo(db, {
      ruleSetName: 'Falco upstream',
      ruleSetDescription: 'plugin rules and falco_rules.yaml',
      files: activeFiles(),
      status: 'valid',
      diagnostics: [],
      summary: {},
    });
    const environmentId = seeded.environments.production as string;
    const activeId = (await db.prisma.activation.findFirstOrThrow({ where: { environmentId } })).versionId;
    let draft = await db.prisma.ruleSetVersion.findFirst({
      where: { ruleSetId: seeded.ruleSetId, number: 2 },
    });
    draft ??= await db.prisma.ruleSetVersion.findUniqueOrThrow({
      where: {
        id: (
          await createRuleSetVersion(
            db,
            {
              ruleSetId: seeded.ruleSetId,
              files: [...activeFiles(), { name: 'tuning.yaml', content: TUNING }],
              message: 'tuning',
              authorId: null,
              status: 'valid',
              diagnostics: [],
              summary: {},
            },
            { userId: null },
          )
        ).id,
      },
    });
    if (!reuse) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const t0 = performance.now();
      console.log(`loading ${EVENTS.toLocaleString('en')} events into ${DATABASE}`);
      await loadBenchEvents(
        c,
        { organizationId: seeded.organizationId, environmentId, end: END },
        EVENTS,
        (line) => console.log(line),
      );
      await c.query('VACUUM ANALYZE raw_events');
      await c.query('VACUUM ANALYZE alerts');
      console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      const size = await c.query<{ raw: string; alerts: string; avg: string }>(
        `SELECT pg_size_pretty(pg_total_relation_size('raw_events')) AS raw,
                pg_size_pretty(pg_total_relation_size('alerts')) AS alerts,
                round(avg(pg_column_size(payload))) AS avg FROM raw_events`,
      );
      console.log(
        `raw_events ${size.rows[0]?.raw} (payload ${size.rows[0]?.avg} bytes on average), alerts ${size.rows[0]?.alerts}`,
      );
      await c.end();
    }
    return {
      organizationId: seeded.organizationId,
      environmentId,
      ruleSetId: seeded.ruleSetId,
      draftId: draft.id,
      activeId,
    };
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const url = new URL(SERVER);
  url.pathname = `/${DATABASE}`;
  const dbUrl = url.toString();
  const scope = await prepare(dbUrl);
  const check = load([...activeFiles(), { name: 'tuning.yaml', content: TUNING }], {
    sources: builtinSources(),
  });
  if (!check.ok) throw new Error('the draft does not load');
  const rules = (set: RuleSet) => set.activeRules.length;
  console.log(
    `${EVENTS.toLocaleString('en')} stored events (${Object.entries(SHARES)
      .map(([k, v]) => `${k} ${Math.round(v * 100)} %`)
      .join(
        ', ',
      )}); draft ${rules(check.ruleset)} rules; pages of ${PAGE_ROWS}; ${cpus().length} x ${cpus()[0]?.model}`,
  );

  const db = createDb(dbUrl, { max: 2 });
  const rows: (Measured & { load: string })[] = [];
  let lastJob = '';
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const mode of MODES) {
        let arg = scope.environmentId;
        if (mode === 'backtest') {
          lastJob = await createBacktestJob(
            db,
            {
              organizationId: scope.organizationId,
              environmentId: scope.environmentId,
              ruleSetId: scope.ruleSetId,
              draftVersionId: scope.draftId,
              baselineVersionId: scope.activeId,
              overrides: { lists: {}, macros: {} },
              sources: [],
              from: new Date(END.getTime() - 8 * 86_400_000),
              to: END,
              createdById: null,
              createdByApiKeyId: null,
            },
            {},
          );
          arg = lastJob;
        }
        const before = loadavg()[0] ?? 0;
        const { value, pgCpuMs } = await pgCpuDuring(dbUrl, () => measure(mode, dbUrl, arg));
        const m = { ...value, pgCpuMs };
        const after = loadavg()[0] ?? 0;
        rows.push({ ...m, load: `${before.toFixed(1)}-${after.toFixed(1)}` });
        console.log(
          `${mode}: ${m.events} events in ${(m.ms / 1000).toFixed(2)} s (${Math.round((m.events / m.ms) * 1000)} events/s), ` +
            `CPU ${(m.cpuMs / 1000).toFixed(2)} s (Postgres ${(pgCpuMs / 1000).toFixed(2)} s), peak RSS ${m.maxRssMb.toFixed(0)} MB, load ${before.toFixed(1)}-${after.toFixed(1)}`,
        );
      }
    }
    const job = await getBacktestJob(db, scope.organizationId, lastJob);
    if (job?.status !== 'done' || job.eventsScanned !== EVENTS)
      throw new Error(`backtest ended ${job?.status} at ${job?.eventsScanned}`);
    const result = job.result as BacktestResult;

    console.log(
      '\n| run | measurement | events/s | wall s | Node CPU s | Postgres CPU s | peak RSS MB | wall / scan | load avg (1m) |',
    );
    console.log('|---:|---|---:|---:|---:|---:|---:|---:|---|');
    for (const [i, r] of rows.entries()) {
      const scan = rows[Math.floor(i / MODES.length) * MODES.length] as Measured;
      console.log(
        `| ${Math.floor(i / MODES.length) + 1} | ${r.mode} | ${Math.round((r.events / r.ms) * 1000).toLocaleString('en')} | ${(r.ms / 1000).toFixed(2)} | ${(r.cpuMs / 1000).toFixed(2)} | ${((r.pgCpuMs ?? 0) / 1000).toFixed(2)} | ${r.maxRssMb.toFixed(0)} | ${(r.ms / scan.ms).toFixed(2)} | ${r.load} |`,
      );
    }
    console.log(
      `\nresult: ${result.tally.events} events evaluated (${result.raw.events} raw, ${result.alerts.events} from alerts, ` +
        `${result.alerts.reproduced}/${result.alerts.comparable} stored alerts reproduced by the active version), ` +
        `${result.tally.activeAlerts} active alerts, ${result.tally.draftAlerts} draft alerts, ${result.tally.failed} failed; ` +
        `rules ${result.rules.active} active / ${result.rules.draft} draft, ${result.rules.distinctConditions} distinct conditions`,
    );
    console.log('\n| rule | added | removed | unchanged |\n|---|---:|---:|---:|');
    for (const r of result.tally.rules.slice(0, 12))
      console.log(`| ${r.rule} | ${r.added} | ${r.removed} | ${r.unchanged} |`);
  } finally {
    await db.close();
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string).catch(
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
