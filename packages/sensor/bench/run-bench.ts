import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CollectorPeer } from '../test/collector-peer.js';
import { childByName } from '../test/proc-children.js';
import { printPipelineCost } from './pipeline-cost.js';

/**
 * Sensor benchmark: runs the real `peregrine-sensor` against a collector peer while a load program
 * issues openat at 1k, 10k and 50k events/s, and reports events captured and shipped per second,
 * the sensor's CPU (the Node process and its capture process, peregrine-capture or bpftrace,
 * separately, % of one core) and peak RSS, and drops by cause. `npm run bench -w packages/sensor`
 * (root). `BENCH_BACKEND=libbpf,bpftrace` (the default) runs each kernel backend in turn, one
 * sensor per backend, `BENCH_ROUNDS` times, so both are measured under the same machine load.
 * `BENCH_BASELINE_CLI=/path/to/cli.js` also runs another build of the sensor (e.g. an earlier
 * commit's) with each backend in every round, labelled `<backend> baseline`, for ratios measured
 * in the same run. `BENCH_PROFILE=<dir>` writes a V8 CPU profile of each sensor there. Before the
 * first level, `BENCH_WARMUP_SECONDS` (60) of unmeasured load at 10k events/s let V8 compile the
 * hot paths, so levels measure a settled sensor: 10 s was not enough (TurboFan still took 13-15 %
 * of the sensor's CPU 30-60 s after start, compiling the per-batch HTTP, stream and timer code that
 * runs a few times a second, docs/BENCHMARKS.md, twenty-second stop); `BENCH_WARMUP_SECONDS=10`
 * measures the young sensor.
 * `BENCH_NODE_FLAGS` passes extra flags to the sensor's node (`--trace-deopt`, ...).
 * `BENCH_EVENT_TYPES=init_module` has the peer's rules name only that type (the load is then not
 * traced: the sensor's cost without it). `BENCH_PIPELINE_ROUNDS=0` skips the synthetic per-stage figures printed first (3 rounds by default).
 * `BENCH_WIRE=2,3` runs each sensor once per batch version the peer advertises (2: it reads
 * versions 1 and 2; 3: also version 3, which the sensor then sends), labelled `<backend> v<n>`.
 */

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli.js');
const LOAD = join(here, 'load-generator.js');
const LEVELS = (process.env.BENCH_LEVELS ?? '1000,10000,50000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const BACKENDS = (process.env.BENCH_BACKEND ?? 'libbpf,bpftrace').split(',').filter(Boolean);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
/** Batch versions to run each sensor with (the newest the peer advertises); default: version 3. */
const WIRES = (process.env.BENCH_WIRE ?? '3').split(',').map(Number);
/** Unmeasured load (10k events/s) before the first level: V8 compiles the hot paths meanwhile. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 60);
/**
 * The event types the peer's rules name (its config's `eventTypes`); default all. A type this
 * kernel does not trace (`init_module` here) leaves only the process table's exec and exit probes:
 * the sensor's cost without the load's events (its timers, heartbeats, loader drains).
 */
const EVENT_TYPES = process.env.BENCH_EVENT_TYPES?.split(',').filter(Boolean);
/** The capture child of the sensor, by comm (peregrine-capture's is cut to 15 characters). */
const CAPTURE_COMM: Record<string, string> = { libbpf: 'peregrine-captu', bpftrace: 'bpftrace' };
const TICKS = 100;
/**
 * The sensor's flush interval: its default (1 s) unless BENCH_FLUSH_MS says otherwise. Heartbeats
 * every second (BENCH_HEARTBEAT_S; the default is 30 s): each level reads the sensor's counters
 * (captured, drops) from the heartbeats before and after it.
 */
const FLUSH_MS = process.env.BENCH_FLUSH_MS ?? '1000';
const HEARTBEAT_S = process.env.BENCH_HEARTBEAT_S ?? '1';

interface Usage {
  ticks: number;
  rssKb: number;
}

function usage(pid: number | undefined): Usage {
  if (!pid) return { ticks: 0, rssKb: 0 };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      ticks: Number(fields[11]) + Number(fields[12]),
      rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    };
  } catch {
    return { ticks: 0, rssKb: 0 };
  }
}

/** CPU ticks of each thread of a process, summed by thread name (main thread = the process's comm). */
function threadTicks(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!pid) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = tid === String(pid) ? 'main' : comm.replace(/[0-9]+$/, '');
      out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    }
  } catch {
    // Exited.
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  /** Backend, with ` baseline` for the baseline build. */
  backend: string;
  rate: number;
  nodePct: number;
  capturePct: number;
  row: string[];
}

/** One sensor with the given kernel backend through every load level. */
async function runBackend(backend: string, cli = CLI, label = backend, wire = 3): Promise<Result[]> {
  const results: Result[] = [];
  const peer = new CollectorPeer();
  peer.config.batchVersions = Array.from({ length: wire }, (_, i) => i + 1);
  if (EVENT_TYPES) peer.config.eventTypes = EVENT_TYPES;
  peer.keepEvents = false;
  peer.validate = false;
  await peer.start();
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-bench-'));
  // Only the load program's opens of its own file count as the load (not its start-up opens).
  peer.countWhere = (e) => e.fd?.name?.startsWith(join(dir, 'load-')) === true;
  // BENCH_PROFILE=<dir>: a V8 CPU profile of each sensor, written when it stops.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  // BENCH_NODE_FLAGS: extra flags for the sensor's node (e.g. --trace-deopt), space-separated.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const sensor: ChildProcess = spawn(process.execPath, [...profile, ...nodeFlags, cli], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PEREGRINE_COLLECTOR_URL: peer.url,
      PEREGRINE_SENSOR_KEY: peer.key,
      PEREGRINE_SENSOR_ID: 'bench',
      PEREGRINE_BACKEND: backend,
      PEREGRINE_SPOOL_DIR: join(dir, 'spool'),
      PEREGRINE_HEARTBEAT_INTERVAL_S: HEARTBEAT_S,
      PEREGRINE_FLUSH_INTERVAL_MS: FLUSH_MS,
      PEREGRINE_LOG_LEVEL: 'warn',
    },
  });
  try {
    const ready = Date.now();
    while (!peer.heartbeats.some((h) => h.backend === 'ebpf')) {
      if (Date.now() - ready > 120_000 || sensor.exitCode !== null)
        throw new Error(`sensor did not start with the ${backend} backend`);
      await sleep(200);
    }
    const capturePid = childByName(sensor.pid!, CAPTURE_COMM[backend] ?? backend);
    if (!capturePid) throw new Error(`no ${backend} process under the sensor`);
    if (WARMUP_SECONDS > 0) {
      const warm = spawn(process.execPath, [LOAD, '10000', String(WARMUP_SECONDS), join(dir, 'warmup')], {
        stdio: 'ignore',
      });
      await new Promise((r) => warm.once('exit', r));
    }
    for (const rate of LEVELS) {
      await sleep(1500);
      const hb0 = peer.heartbeats.at(-1)!;
      const matching0 = peer.receivedMatching;
      const threads0 = threadTicks(sensor.pid);
      const node0 = usage(sensor.pid);
      const cap0 = usage(capturePid);
      const load = spawn(process.execPath, [LOAD, String(rate), String(SECONDS), join(dir, `load-${rate}`)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      load.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      let peakNode = node0.rssKb;
      let peakCap = cap0.rssKb;
      const sampler = setInterval(() => {
        peakNode = Math.max(peakNode, usage(sensor.pid).rssKb);
        peakCap = Math.max(peakCap, usage(capturePid).rssKb);
      }, 250);
      await new Promise((r) => load.once('exit', r));
      // CPU is measured over the load window itself; the drain below only settles the counts.
      const node1 = usage(sensor.pid);
      const threads1 = threadTicks(sensor.pid);
      const cap1 = usage(capturePid);
      const { done } = JSON.parse(out) as { done: number };
      // Drain: until everything the load produced has arrived, or nothing more arrives for 3 s.
      let last = -1;
      let stableSince = Date.now();
      for (;;) {
        const got = peer.receivedMatching - matching0;
        if (got >= done) break;
        if (got !== last) {
          last = got;
          stableSince = Date.now();
        } else if (Date.now() - stableSince > 3000) break;
        await sleep(100);
      }
      clearInterval(sampler);
      await sleep(1200);
      const hb1 = peer.heartbeats.at(-1)!;
      const shipped = peer.receivedMatching - matching0;
      const pct = (a: Usage, b: Usage) => ((b.ticks - a.ticks) / TICKS / SECONDS) * 100;
      const drop = (k: keyof typeof hb0.drops) => hb1.drops[k] - hb0.drops[k];
      const nodePct = pct(node0, node1);
      const capturePct = pct(cap0, cap1);
      results.push({
        backend: label,
        rate,
        nodePct,
        capturePct,
        row: [
          label,
          String(rate),
          String(Math.round(done / SECONDS)),
          String(Math.round((hb1.totals.captured - hb0.totals.captured) / SECONDS)),
          String(Math.round(shipped / SECONDS)),
          String(done - shipped),
          nodePct.toFixed(1),
          capturePct.toFixed(1),
          `${Math.round(peakNode / 1024)} / ${Math.round(peakCap / 1024)}`,
          `${drop('kernel')} / ${drop('parse')} / ${drop('queue')} / ${drop('spool')}`,
          loadAverage(),
        ],
      });
      const perThread = [...threads1]
        .map(
          ([name, ticks]) => [name, ((ticks - (threads0.get(name) ?? 0)) / TICKS / SECONDS) * 100] as const,
        )
        .filter(([, pct]) => pct >= 0.1)
        .sort((x, y) => y[1] - x[1])
        .map(([name, pct]) => `${name} ${pct.toFixed(1)}`)
        .join(', ');
      console.log(`${label}: level ${rate}/s done (sensor CPU % by thread: ${perThread})`);
    }
  } finally {
    sensor.kill('SIGTERM');
    await new Promise((r) => (sensor.exitCode === null ? sensor.once('exit', r) : r(null)));
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '';
}

async function main(): Promise<void> {
  // BENCH_PIPELINE_ROUNDS=0 skips the synthetic per-stage figures (A/B runs of the live sensor).
  const pipelineRounds = Number(process.env.BENCH_PIPELINE_ROUNDS ?? 3);
  if (pipelineRounds > 0) {
    await printPipelineCost(pipelineRounds);
    console.log('');
  }
  if (process.getuid?.() !== 0) {
    console.log('benchmark skipped: the eBPF backend needs root');
    return;
  }
  const rows: string[][] = [];
  const results: Result[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const backend of BACKENDS) {
      for (const wire of WIRES) {
        const label = WIRES.length > 1 ? `${backend} v${wire}` : backend;
        console.log(`round ${round}: ${label}`);
        results.push(...(await runBackend(backend, CLI, label, wire)));
      }
      if (BASELINE_CLI) {
        console.log(`round ${round}: ${backend} baseline (${BASELINE_CLI})`);
        results.push(...(await runBackend(backend, BASELINE_CLI, `${backend} baseline`)));
      }
    }
  }
  for (const r of results) rows.push(r.row);
  const header = [
    'backend',
    'target ev/s',
    'generated ev/s',
    'captured ev/s (all procs)',
    'shipped ev/s (load)',
    'load events missing',
    'sensor CPU %',
    'capture CPU %',
    'peak RSS MB sensor / capture',
    'drops kernel / parse / queue / spool',
    'load avg',
  ];
  const table = [header, header.map((h) => '-'.repeat(h.length)), ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  console.log(
    `\nperegrine-sensor benchmark (${SECONDS} s per level; CPU = % of one core over the load window)\n`,
  );
  for (const row of table) console.log(`| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`);
  const labels = [...new Set(results.map((r) => r.backend))];
  const mean = (label: string, rate: number, key: 'nodePct' | 'capturePct') => {
    const of = results.filter((r) => r.backend === label && r.rate === rate);
    return of.reduce((sum, r) => sum + r[key], 0) / Math.max(1, of.length);
  };
  const total = (label: string, rate: number) =>
    mean(label, rate, 'nodePct') + mean(label, rate, 'capturePct');
  console.log('\nmean over rounds, CPU % of one core: sensor + capture = total (ratio to the first row)\n');
  for (const rate of LEVELS) {
    const first = total(labels[0] ?? '', rate);
    for (const label of labels) {
      const t = total(label, rate);
      console.log(
        `  ${String(rate).padStart(6)}/s  ${label.padEnd(18)} ${mean(label, rate, 'nodePct').toFixed(1)} + ${mean(label, rate, 'capturePct').toFixed(1)} = ${t.toFixed(1)}  (${(t / Math.max(0.01, first)).toFixed(2)})`,
      );
    }
  }
}

await main();
