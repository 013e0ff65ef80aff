/**
 * Engine throughput: upstream falco_rules.yaml over a mixed stream of 1,000,000 pre-decoded
 * syscall events (mostly benign, some matching), pre-decoded and from the JSON wire form against
 * a null pipeline (decode + event-type dispatch, no rules), plus rule-set compile time and memory. Run with
 * `npm run bench -w packages/engine`; prints a compact table.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import type { SyscallEvent } from '../src/events/syscall-event.js';
import { load } from '../src/rules/load.js';
import { createSyscallSource } from '../src/sources/syscall/source.js';
import { eventPool } from './syscall-pool.js';

const EVENTS = 1_000_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const UPSTREAM = resolve(HERE, '../testdata/falco/rules/falco_rules.yaml');

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

// tinybench may call the task more than once; the measurement runs (and prints) once.
let measured = false;

describe('engine', () => {
  bench(
    'falco_rules.yaml over 1M mixed syscall events',
    () => {
      if (measured) return;
      measured = true;
      const content = readFileSync(UPSTREAM, 'utf8');
      const files = [{ name: 'falco_rules.yaml', content }];
      const heap0 = process.memoryUsage().heapUsed;

      const compileTimes: number[] = [];
      let result = load(files);
      for (let i = 0; i < 9; i++) {
        const t = performance.now();
        result = load(files);
        compileTimes.push(performance.now() - t);
      }
      compileTimes.sort((a, b) => a - b);
      if (!result.ok) throw new Error('falco_rules.yaml did not load');
      const ruleset = result.ruleset;
      const heapRules = process.memoryUsage().heapUsed;

      const pool = eventPool();
      const source = createSyscallSource();

      // Pre-decoded: rules only. Wire form: JSON decode + dispatch (null pipeline) vs JSON decode
      // + rules (full pipeline), over the same stream.
      const lines = pool.map((e) => JSON.stringify(e));
      let sink = 0;
      let alerts = 0;
      const preDecoded = (n: number) => {
        for (let i = 0; i < n; i++) alerts += ruleset.evaluate(pool[i % pool.length]!, 'syscall').length;
      };
      const table = new Map<string, number>();
      const wireNull = (n: number) => {
        for (let i = 0; i < n; i++) {
          const e = JSON.parse(lines[i % lines.length]!) as SyscallEvent;
          const type = source.eventType!(e) ?? '';
          const slot = table.get(type);
          if (slot === undefined) table.set(type, 1);
          else sink += slot;
        }
      };
      const wireFull = (n: number) => {
        for (let i = 0; i < n; i++)
          sink += ruleset.evaluate(JSON.parse(lines[i % lines.length]!), 'syscall').length;
      };
      // Warm every path up so the JIT has compiled it before timing.
      preDecoded(200_000);
      wireNull(100_000);
      wireFull(100_000);
      alerts = 0;

      const time = (f: (n: number) => void) => {
        const t = performance.now();
        f(EVENTS);
        return performance.now() - t;
      };
      // Rounds interleave the three pipelines and each figure is the median over the rounds: a
      // single back-to-back run charges whichever runs last for the garbage the others left and
      // for whatever else the machine was doing at that moment.
      const ROUNDS = 5;
      const pre: number[] = [];
      const nul: number[] = [];
      const full: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        alerts = 0;
        pre.push(time(preDecoded));
        nul.push(time(wireNull));
        full.push(time(wireFull));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const preMs = median(pre);
      const nullMs = median(nul);
      const fullMs = median(full);
      const ratios = full.map((f, i) => f / nul[i]!).sort((a, b) => a - b);
      const heapRun = process.memoryUsage().heapUsed;

      const eps = (ms: number) => Math.round((EVENTS / ms) * 1000).toLocaleString('en-US');
      console.log(
        [
          '',
          `rules: ${ruleset.activeRules.length} enabled of ${ruleset.rules.length} (falco_rules.yaml), events: ${EVENTS.toLocaleString('en-US')} per run, ${ROUNDS} interleaved rounds (medians), alerts per run: ${alerts.toLocaleString('en-US')}`,
          '| measure                                  | value           |',
          '|------------------------------------------|-----------------|',
          `| compile falco_rules.yaml (min / median)  | ${compileTimes[0]!.toFixed(1)} / ${compileTimes[4]!.toFixed(1)} ms |`,
          `| rules, pre-decoded events                | ${eps(preMs)} ev/s |`,
          `| null pipeline: JSON decode + dispatch    | ${eps(nullMs)} ev/s |`,
          `| full pipeline: JSON decode + rules       | ${eps(fullMs)} ev/s |`,
          `| full / null time ratio (median)          | ${(fullMs / nullMs).toFixed(2)} (rounds: ${ratios[0]!.toFixed(2)}-${ratios[ratios.length - 1]!.toFixed(2)}) |`,
          `| heap: rules loaded                       | ${mb(heapRules - heap0)} |`,
          `| heap: after the runs                     | ${mb(heapRun)} total |`,
          '',
        ].join('\n'),
      );
      if (sink < 0) throw new Error('unreachable');
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
