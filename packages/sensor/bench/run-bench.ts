import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CollectorPeer } from '../test/collector-peer.js';
import { measurePipelineCost } from './pipeline-cost.js';

/**
 * Sensor benchmark: runs the real `peregrine-sensor` (eBPF backend) against a collector peer while a
 * load program issues openat at 1k, 10k and 50k events/s, and reports events captured and shipped
 * per second, the sensor's CPU (Node process and bpftrace separately, % of one core) and peak RSS,
 * and drops by cause. `npm run bench -w packages/sensor` (root; needs bpftrace).
 */

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli.js');
const LOAD = join(here, 'load-generator.js');
const LEVELS = (process.env.BENCH_LEVELS ?? '1000,10000,50000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const TICKS = 100;

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

function childByName(ppid: number, name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppidOf = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidOf === ppid && comm === name) return Number(entry);
    } catch {
      // Exited while scanning.
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  console.log('userspace pipeline cost per event (CPU time, synthetic openat records, 100k events):\n');
  for (const [stage, us] of await measurePipelineCost())
    console.log(`  ${stage.padEnd(18)} ${us.toFixed(2)} us`);
  console.log('');
  if (process.getuid?.() !== 0) {
    console.log('benchmark skipped: the eBPF backend needs root');
    return;
  }
  const peer = new CollectorPeer();
  peer.keepEvents = false;
  peer.validate = false;
  await peer.start();
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-bench-'));
  // Only the load program's opens of its own file count as the load (not its start-up opens).
  peer.countWhere = (e) => e.fd?.name?.startsWith(join(dir, 'load-')) === true;
  const sensor: ChildProcess = spawn(process.execPath, [CLI], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PEREGRINE_COLLECTOR_URL: peer.url,
      PEREGRINE_SENSOR_KEY: peer.key,
      PEREGRINE_SENSOR_ID: 'bench',
      PEREGRINE_BACKEND: 'ebpf',
      PEREGRINE_SPOOL_DIR: join(dir, 'spool'),
      PEREGRINE_HEARTBEAT_INTERVAL_S: '1',
      PEREGRINE_FLUSH_INTERVAL_MS: '250',
      PEREGRINE_LOG_LEVEL: 'warn',
    },
  });
  const rows: string[][] = [];
  try {
    const ready = Date.now();
    while (!peer.heartbeats.some((h) => h.backend === 'ebpf')) {
      if (Date.now() - ready > 120_000 || sensor.exitCode !== null)
        throw new Error('sensor did not start with eBPF');
      await sleep(200);
    }
    const bpftracePid = childByName(sensor.pid!, 'bpftrace');
    for (const rate of LEVELS) {
      await sleep(1500);
      const hb0 = peer.heartbeats.at(-1)!;
      const matching0 = peer.receivedMatching;
      const node0 = usage(sensor.pid);
      const bpf0 = usage(bpftracePid);
      const load = spawn(process.execPath, [LOAD, String(rate), String(SECONDS), join(dir, `load-${rate}`)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      load.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      let peakNode = node0.rssKb;
      let peakBpf = bpf0.rssKb;
      const sampler = setInterval(() => {
        peakNode = Math.max(peakNode, usage(sensor.pid).rssKb);
        peakBpf = Math.max(peakBpf, usage(bpftracePid).rssKb);
      }, 250);
      await new Promise((r) => load.once('exit', r));
      // CPU is measured over the load window itself; the drain below only settles the counts.
      const node1 = usage(sensor.pid);
      const bpf1 = usage(bpftracePid);
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
      const pct = (a: Usage, b: Usage) => (((b.ticks - a.ticks) / TICKS / SECONDS) * 100).toFixed(1);
      const drop = (k: keyof typeof hb0.drops) => hb1.drops[k] - hb0.drops[k];
      rows.push([
        String(rate),
        String(Math.round(done / SECONDS)),
        String(Math.round((hb1.totals.captured - hb0.totals.captured) / SECONDS)),
        String(Math.round(shipped / SECONDS)),
        String(done - shipped),
        pct(node0, node1),
        pct(bpf0, bpf1),
        `${Math.round(peakNode / 1024)} / ${Math.round(peakBpf / 1024)}`,
        `${drop('kernel')} / ${drop('queue')} / ${drop('spool')}`,
      ]);
      console.log(`level ${rate}/s done`);
    }
  } finally {
    sensor.kill('SIGTERM');
    await new Promise((r) => (sensor.exitCode === null ? sensor.once('exit', r) : r(null)));
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const header = [
    'target ev/s',
    'generated ev/s',
    'captured ev/s (all procs)',
    'shipped ev/s (load)',
    'load events missing',
    'sensor CPU %',
    'bpftrace CPU %',
    'peak RSS MB sensor / bpftrace',
    'drops kernel / queue / spool',
  ];
  const table = [header, header.map((h) => '-'.repeat(h.length)), ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  console.log(
    `\nperegrine-sensor benchmark (${SECONDS} s per level; CPU = % of one core over the load window)\n`,
  );
  for (const row of table) console.log(`| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`);
}

await main();
