/**
 * Engine at scale (issue 18 item 1): every rule of the three upstream syscall files
 * (falco_rules, incubating, sandbox; all enabled) beside the stable file alone and the null
 * pipeline, over the same event stream as engine.bench.ts, in interleaved rounds (medians of
 * wall time and of process CPU time); each rule set three ways: generated per-type evaluators
 * (the default), the memoised closures (`evaluator: 'closures'`, the default before them) and
 * every rule on its own (`shareWork: false`); plus the cold compile of all three files, each in
 * a fresh Node process: without the compile cache, and with it from an empty and from a warm
 * folder (LoadOptions.cache), alternated round by round.
 *
 * Run: `npx vitest bench --run bench/engine-scale.bench.ts` (knobs: BENCH_EVENTS=200000
 * BENCH_ROUNDS=5 BENCH_COLD=5; BENCH_COLD_BASELINE=<git revision>: the cold compile of that
 * revision's engine sources too, alternated process by process with these; BENCH_ALONE=3: rounds
 * of the null, pre-decoded (the pool's objects, and the pool decoded afresh) and JSON pipelines
 * each alone in a fresh process, as a collector runs one rule set, 0 to skip;
 * BENCH_ALONE_PASSES=10: most passes a pipeline alone warms up for, until two agree within 5 %;
 * BENCH_ALONE_BASELINE=<git revision>: that revision's engine in those pipelines too, each pair of
 * processes back to back, with the per-round ratio in the last column). Last, the openat group of
 * every upstream rule twice, too large for one function V8 optimises: as one function and split.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'rolldown/experimental';
import { bench, describe } from 'vitest';
import type { SyscallEvent } from '../src/events/syscall-event.js';
import { load, type RulesFile } from '../src/rules/load.js';
import { generateGroupEvaluator, writeGroupFunctions } from '../src/rules/group-eval.js';
import type { RuleSet } from '../src/rules/ruleset.js';
import { withRenamedCopies } from '../src/rules/testdata/upstream-events.js';
import { createSyscallSource } from '../src/sources/syscall/source.js';
import { eventPool } from './syscall-pool.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const COLD = Number(process.env.BENCH_COLD ?? 5);
const COLD_BASELINE = process.env.BENCH_COLD_BASELINE;
/** Rounds of each pipeline alone in a fresh process (alonePipelines); 0 skips them. */
const ALONE = Number(process.env.BENCH_ALONE ?? 3);
/** Most passes of BENCH_EVENTS a pipeline alone runs before its figure (alonePipelines). */
const WARMUP_PASSES = Number(process.env.BENCH_ALONE_PASSES ?? 10);
/** A git revision whose engine runs the alone pipelines too, process by process with this one. */
const ALONE_BASELINE = process.env.BENCH_ALONE_BASELINE;
const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(HERE, '../src');
const RULES = resolve(HERE, '../testdata/falco/rules');
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'];

function readRules(names: readonly string[]): RulesFile[] {
  return names.map((name) => ({ name, content: readFileSync(join(RULES, name), 'utf8') }));
}

/**
 * One TypeScript file as ES2022 JavaScript, file by file with no type check (as `isolatedModules`
 * allows): Oxc's transform, through rolldown (TypeScript 7 has no JavaScript API).
 */
function stripTypes(file: string): string {
  const result = transformSync(file, readFileSync(file, 'utf8'), { target: 'es2022' });
  if (result.errors.length > 0) {
    throw new Error(`${file}: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return result.code;
}

/**
 * The engine's sources transpiled to plain JavaScript (no type check) in a temporary folder, so a
 * fresh `node` can import them: vitest's own workers are warm and not "cold".
 */
function transpileEngine(out: string, src = SRC): void {
  const visit = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) visit(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) {
        const js = stripTypes(p);
        const o = join(out, relative(src, p)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(o), { recursive: true });
        writeFileSync(o, js);
      }
    }
  };
  visit(src);
}

/**
 * Each pipeline alone in a fresh Node process, as a collector runs one rule set: in the rounds
 * below every rule set of the run shares the engine's code (extractors, matchers, the dispatch),
 * whose type feedback then covers them all. The transpiled engine and event pool, all three
 * upstream files with every rule enabled, generated evaluators; `rounds` rounds, the pipelines
 * alternated process by process; CPU ns per event of each run, steady state (the last pass of
 * `events` once two in a row agree within 5 %, at most BENCH_ALONE_PASSES).
 */
function alonePipelines(
  rounds: number,
  events: number,
  baseline: string | undefined,
): {
  runs: Map<string, number[]>;
  base: Map<string, number[]> | undefined;
  /** This build's first pass (CPU ns/event, JIT still warming) and passes run, per mode. */
  warmup: Map<string, { first: number[]; passes: number[] }>;
} {
  const dir = mkdtempSync(join(HERE, '.alone-'));
  try {
    transpileEngine(join(dir, 'src'));
    if (baseline !== undefined)
      transpileEngine(join(dir, 'base', 'src'), sourcesAt(baseline, join(dir, 'rev')));
    const pool = stripTypes(join(HERE, 'syscall-pool.ts'));
    mkdirSync(join(dir, 'bench'), { recursive: true });
    writeFileSync(join(dir, 'bench', 'syscall-pool.js'), pool);
    const childFor = (srcDir: string, name: string) => {
      const child = join(dir, 'bench', name);
      writeFileSync(
        child,
        `import { readFileSync } from 'node:fs';
import { load } from '${srcDir}/rules/load.js';
import { createSyscallSource } from '${srcDir}/sources/syscall/source.js';
import { eventPool } from './syscall-pool.js';
const [mode, n] = [process.argv[2], Number(process.argv[3])];
const files = ${JSON.stringify(FILES)}.map((name) => ({ name, content: readFileSync(${JSON.stringify(RULES)} + '/' + name, 'utf8') }));
const r = load(files);
if (!r.ok) throw new Error('rules did not load');
const rs = r.ruleset.withEnabled({ name: '' }, true);
const pool = eventPool();
const lines = pool.map((e) => JSON.stringify(e));
// The pool's events decoded again, 60 times over: distinct objects and strings, as a decoder
// hands them over, where the pool itself repeats the very same objects (and their strings'
// cached hashes) on every pass.
const fresh = [];
if (mode === 'fresh') for (let i = 0; i < 60 * lines.length; i++) fresh.push(JSON.parse(lines[i % lines.length]));
const source = createSyscallSource();
const table = new Map();
let sink = 0;
const run = {
  null: (k) => { for (let i = 0; i < k; i++) { const e = JSON.parse(lines[i % lines.length]); const t = source.eventType(e) ?? ''; const s = table.get(t); if (s === undefined) table.set(t, 1); else sink += s; } },
  pre: (k) => { for (let i = 0; i < k; i++) sink += rs.evaluate(pool[i % pool.length], 'syscall').length; },
  fresh: (k) => { for (let i = 0; i < k; i++) sink += rs.evaluate(fresh[i % fresh.length], 'syscall').length; },
  json: (k) => { for (let i = 0; i < k; i++) sink += rs.evaluate(JSON.parse(lines[i % lines.length]), 'syscall').length; },
}[mode];
// Warm-up until steady: passes of n events until two in a row agree within 5 % (at most
// ${WARMUP_PASSES}); V8 optimises the generated evaluators on a background thread over the first
// few hundred thousand events, and a collector runs for days. The last pass is the figure.
const pass = () => {
  const c = process.cpuUsage();
  run(n);
  const u = process.cpuUsage(c);
  return ((u.user + u.system) * 1000) / n;
};
const first = pass();
let last = first;
let passes = 1;
for (;;) {
  const ns = pass();
  passes++;
  const steady = Math.abs(ns - last) <= 0.05 * Math.min(ns, last);
  last = ns;
  if (steady || passes >= ${WARMUP_PASSES}) break;
}
console.log(JSON.stringify({ ns: last, first, passes, sink }));
`,
      );
      return child;
    };
    const child = childFor('../src', 'alone.mjs');
    const baseChild = baseline === undefined ? undefined : childFor('../base/src', 'alone-base.mjs');
    const modes = ['null', 'pre', 'fresh', 'json'];
    const runs = new Map<string, number[]>(modes.map((m) => [m, []]));
    const base = baseChild === undefined ? undefined : new Map<string, number[]>(modes.map((m) => [m, []]));
    const warmup = new Map(modes.map((m) => [m, { first: [] as number[], passes: [] as number[] }]));
    const once = (script: string, mode: string): number => {
      const p = spawnSync(process.execPath, [script, mode, String(events)], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`pipeline child failed: ${p.stderr}`);
      const out = JSON.parse(p.stdout.trim()) as { ns: number; first: number; passes: number };
      if (script === child) {
        warmup.get(mode)!.first.push(out.first);
        warmup.get(mode)!.passes.push(out.passes);
      }
      return out.ns;
    };
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        // With a baseline, the two builds back to back, the first of the pair alternating by round.
        if (baseChild === undefined || round % 2 === 0) runs.get(mode)!.push(once(child, mode));
        if (baseChild !== undefined) base!.get(mode)!.push(once(baseChild, mode));
        if (baseChild !== undefined && round % 2 === 1) runs.get(mode)!.push(once(child, mode));
      }
    }
    return { runs, base, warmup };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine sources of git revision `rev`, extracted under `into`; returns their `src` folder. */
function sourcesAt(rev: string, into: string): string {
  const root = spawnSync('git', ['rev-parse', '--show-toplevel'], {
    cwd: HERE,
    encoding: 'utf8',
  }).stdout.trim();
  mkdirSync(into, { recursive: true });
  const p = spawnSync(
    'sh',
    ['-c', 'git archive --format=tar "$1" packages/engine/src | tar -x -C "$2"', 'sh', rev, into],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (p.status !== 0) throw new Error(`cannot read the engine at ${rev}: ${p.stderr}`);
  return join(into, 'packages/engine/src');
}

interface Cold {
  ms: number[];
  cpu: number[];
  /** After a load from the compile cache: building every rule's closures (they wait for first use). */
  rest: number[];
}

/**
 * The first `load()` of all three files in a fresh process, `runs` times: wall and process CPU
 * milliseconds. With `baseline` (a git revision) that revision's engine runs too, alternating
 * with this one process by process (the second result). With `cached`, this build also loads
 * with the compile cache (rules/compile-cache.ts) in a folder, alternating: from an empty
 * folder (a miss: compile and write the entry) and from the folder the miss filled (a hit), the
 * third and fourth results.
 */
function coldCompile(runs: number, options: string, baseline?: string, cached = false): Cold[] {
  // Inside the package, so the transpiled modules resolve `yaml` from node_modules.
  const dir = mkdtempSync(join(HERE, '.cold-'));
  try {
    const builds = [join(dir, 'current')];
    transpileEngine(builds[0]!);
    if (baseline !== undefined) {
      builds.push(join(dir, 'baseline'));
      transpileEngine(builds[1]!, sourcesAt(baseline, join(dir, 'baseline-src')));
    }
    const children = builds.map((b) => {
      const child = join(b, 'child.mjs');
      // argv[2]: a compile cache folder (the engine's folder store over node:fs, sha256).
      writeFileSync(
        child,
        `import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { load } from './rules/load.js';
const dir = process.argv[2];
const cache = dir === undefined ? undefined : (await import('./rules/compile-cache.js')).folderCompileCache({
  dir, codeVersion: 'bench', fs, hash: (t) => createHash('sha256').update(t).digest('hex'),
  log: (m) => { throw new Error(m); },
});
const files = ${JSON.stringify(FILES)}.map((name) => ({ name, content: fs.readFileSync(${JSON.stringify(RULES)} + '/' + name, 'utf8') }));
const c = process.cpuUsage();
const t = performance.now();
const r = load(files, { ...${options}, ...(cache ? { cache } : {}) });
const ms = performance.now() - t;
const used = process.cpuUsage(c);
if (!r.ok) throw new Error('rules did not load');
const t2 = performance.now();
for (const rule of r.ruleset.rules) if (rule.evalFilter === undefined || rule.outputParts === undefined) throw new Error('no closures');
console.log(JSON.stringify({ ms, cpu: (used.user + used.system) / 1000, rest: performance.now() - t2 }));
`,
      );
      return child;
    });
    const runsOf: { child: string; dir?: (i: number) => string }[] = children.map((child) => ({ child }));
    if (cached) {
      const folder = (i: number) => join(dir, `cache-${i}`);
      runsOf.push({ child: children[0]!, dir: folder }, { child: children[0]!, dir: folder });
    }
    const out = runsOf.map((): Cold => ({ ms: [], cpu: [], rest: [] }));
    for (let i = 0; i < runs; i++) {
      // The empty-folder run precedes the warm one (it fills the folder); the others rotate.
      const order = runsOf.map((_, k) => k);
      const shift = i % order.length;
      const rotated = [...order.slice(shift), ...order.slice(0, shift)];
      if (cached) {
        const miss = runsOf.length - 2;
        rotated.splice(rotated.indexOf(miss + 1), 1);
        rotated.splice(rotated.indexOf(miss) + 1, 0, miss + 1);
      }
      for (const k of rotated) {
        const r = runsOf[k]!;
        const p = spawnSync(process.execPath, r.dir ? [r.child, r.dir(i)] : [r.child], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`cold compile child failed: ${p.stderr}`);
        const m = JSON.parse(p.stdout.trim()) as { ms: number; cpu: number; rest: number };
        out[k]!.ms.push(m.ms);
        out[k]!.cpu.push(m.cpu);
        out[k]!.rest.push(m.rest);
      }
    }
    if (cached && baseline === undefined) out.splice(1, 0, { ms: [], cpu: [], rest: [] });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A group larger than V8 optimises as one function (rules/group-eval.ts,
 * MAX_GROUP_FUNCTION_SOURCE): every upstream rule twice (the copies renamed), so the openat group
 * has 52 rules. Its generated evaluator as one function against the default split, alternated
 * round by round over the pool's openat events: CPU ns per event (after one warm-up pass each).
 */
function splitGroup(rounds: number, events: number): string[] {
  const r = load(withRenamedCopies(readRules(FILES)));
  if (!r.ok) throw new Error('the doubled rules did not load');
  const rs = r.ruleset.withEnabled({ name: '' }, true);
  const opens = eventPool().filter((e) => e.type === 'openat');
  const rules = rs.candidates(opens[0], 'syscall');
  const isFlat = rs.sourceDef('syscall')?.isFlat;
  const parts = writeGroupFunctions(rules, 'openat', true, isFlat).length;
  const variants = [
    {
      name: 'one function',
      fn: generateGroupEvaluator(rules, 'openat', true, isFlat, Number.POSITIVE_INFINITY)!,
    },
    {
      name: `split in ${parts} functions (default)`,
      fn: generateGroupEvaluator(rules, 'openat', true, isFlat)!,
    },
  ].map((v) => ({ ...v, cpu: [] as number[] }));
  let sink = 0;
  const pass = (fn: (e: unknown) => unknown) => {
    const c = process.cpuUsage();
    for (let i = 0; i < events; i++) sink += fn(opens[i % opens.length]) === undefined ? 0 : 1;
    const u = process.cpuUsage(c);
    return ((u.user + u.system) * 1000) / events;
  };
  for (const v of variants) pass(v.fn);
  for (let round = 0; round < rounds; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) v.cpu.push(pass(v.fn));
  }
  if (sink < 0) throw new Error('unreachable');
  const whole = variants[0]!.cpu;
  return variants.map(
    (v) =>
      `| openat events, every upstream rule twice (${rules.length} rules), ${v.name} | ${Math.round(1e9 / median(v.cpu)).toLocaleString('en-US')} (CPU) | ${Math.round(median(v.cpu))} | | | ${median(v.cpu.map((c, i) => c / whole[i]!)).toFixed(2)} vs one function |`,
  );
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: readonly number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

let measured = false;

describe('engine at scale', () => {
  bench(
    'all upstream syscall rules over mixed syscall events',
    () => {
      if (measured) return;
      measured = true;
      // Each configuration three ways, so the ratios are measured in one run.
      const sets: { name: string; rs: RuleSet }[] = [];
      const variants = [
        ['generated', {}],
        ['closures (before)', { evaluator: 'closures' }],
        ['reference (every rule alone)', { shareWork: false }],
      ] as const;
      for (const [tag, options] of variants) {
        const stable = load(readRules(FILES.slice(0, 1)), options);
        const all = load(readRules(FILES), options);
        if (!stable.ok || !all.ok) throw new Error('rules did not load');
        sets.push({ name: `stable file (default enabled), ${tag}`, rs: stable.ruleset });
        sets.push({
          name: `all three files, every rule, ${tag}`,
          rs: all.ruleset.withEnabled({ name: '' }, true),
        });
      }
      const warm: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        load(readRules(FILES));
        warm.push(performance.now() - t);
      }

      const pool = eventPool();
      const lines = pool.map((e) => JSON.stringify(e));
      const source = createSyscallSource();
      let sink = 0;
      const table = new Map<string, number>();
      const nullPipeline = (n: number) => {
        for (let i = 0; i < n; i++) {
          const e = JSON.parse(lines[i % lines.length]!) as SyscallEvent;
          const type = source.eventType!(e) ?? '';
          const slot = table.get(type);
          if (slot === undefined) table.set(type, 1);
          else sink += slot;
        }
      };
      const pre = (rs: RuleSet) => (n: number) => {
        for (let i = 0; i < n; i++) sink += rs.evaluate(pool[i % pool.length]!, 'syscall').length;
      };
      const full = (rs: RuleSet) => (n: number) => {
        for (let i = 0; i < n; i++)
          sink += rs.evaluate(JSON.parse(lines[i % lines.length]!), 'syscall').length;
      };
      const runs: { name: string; f: (n: number) => void; ms: number[]; cpu: number[] }[] = [
        { name: 'null pipeline: JSON decode + dispatch', f: nullPipeline, ms: [], cpu: [] },
      ];
      for (const s of sets) runs.push({ name: `pre-decoded, ${s.name}`, f: pre(s.rs), ms: [], cpu: [] });
      for (const s of sets) runs.push({ name: `JSON decode + ${s.name}`, f: full(s.rs), ms: [], cpu: [] });
      for (const r of runs) r.f(Math.min(EVENTS, 100_000));
      for (let round = 0; round < ROUNDS; round++) {
        for (const r of runs) {
          const c = process.cpuUsage();
          const t = performance.now();
          r.f(EVENTS);
          r.ms.push(performance.now() - t);
          const used = process.cpuUsage(c);
          r.cpu.push((used.user + used.system) / 1000);
        }
      }
      const nul = runs[0]!;
      const eps = (ms: number) => Math.round((EVENTS / ms) * 1000).toLocaleString('en-US');
      const ns = (ms: number) => Math.round((ms * 1e6) / EVENTS);
      // The same pipeline with the evaluator before code generation (same position, other tag).
      const before = (r: (typeof runs)[number]) =>
        runs.find((b) => b.name === r.name.replace(', generated', ', closures (before)'));
      const [cold, coldBase, coldMiss, coldHit] =
        COLD > 0 ? coldCompile(COLD, '{}', COLD_BASELINE, true) : [];
      const coldRef = COLD > 0 ? coldCompile(COLD, '{ shareWork: false }')[0] : undefined;
      const some = (c: Cold | undefined) => (c !== undefined && c.ms.length > 0 ? c : undefined);
      const coldLines = (
        [
          ['shared', cold],
          [`shared, baseline ${COLD_BASELINE}`, some(coldBase)],
          ['shared, compile cache empty (compile + write the entry)', coldMiss],
          ['shared, compile cache warm (read the entry; closures at first use)', coldHit],
          ['reference', coldRef],
        ] as const
      ).map(([tag, c]) =>
        c !== undefined
          ? `| compile all three files, cold, ${tag} (fresh process; wall min / median, CPU min / median of ${c.ms.length}) | ${Math.min(...c.ms).toFixed(1)} / ${median(c.ms).toFixed(1)} ms | ${Math.min(...c.cpu).toFixed(1)} / ${median(c.cpu).toFixed(1)} ms CPU | | | |`
          : '',
      );
      if (cold && coldMiss && coldHit) {
        const ratio = (a: Cold, f: 'ms' | 'cpu') => median(a[f].map((m, i) => m / cold[f][i]!)).toFixed(2);
        coldLines.push(
          `| compile cache warm, then every rule's closures (wall, min / median) | ${Math.min(...coldHit.rest).toFixed(1)} / ${median(coldHit.rest).toFixed(1)} ms | | | | |`,
          `| compile cache empty / uncached (median of per-round ratios) | wall ${ratio(coldMiss, 'ms')} | CPU ${ratio(coldMiss, 'cpu')} | | | |`,
          `| compile cache warm / uncached (median of per-round ratios) | wall ${ratio(coldHit, 'ms')} | CPU ${ratio(coldHit, 'cpu')} | | | |`,
        );
      }
      const alone = ALONE > 0 ? alonePipelines(ALONE, EVENTS, ALONE_BASELINE) : undefined;
      const aloneLines: string[] = [];
      if (alone) {
        const row = (name: string, key: string, runs: Map<string, number[]>, tag: string) => {
          const nul = runs.get('null')!;
          const ns = runs.get(key)!;
          const perNull = median(ns.map((x, i) => x / nul[i]!)).toFixed(2);
          const m = median(ns);
          const b = runs === alone.runs ? alone.base?.get(key) : undefined;
          const vsBase = b ? median(ns.map((x, i) => x / b[i]!)).toFixed(2) : '';
          const w = runs === alone.runs ? alone.warmup.get(key) : undefined;
          const warm = w
            ? `, steady after ${median(w.passes)} passes (first pass ${Math.round(median(w.first))} ns)`
            : '';
          return `| ${name}, alone in a fresh process${tag}${warm} (median of ${ns.length}) | ${Math.round(1e9 / m).toLocaleString('en-US')} (CPU) | ${Math.round(m)} | | ${perNull} | ${vsBase} |`;
        };
        const rows = (runs: Map<string, number[]>, tag: string) => [
          row('null pipeline: JSON decode + dispatch', 'null', runs, tag),
          row('pre-decoded, all three files, every rule, generated', 'pre', runs, tag),
          row(
            'pre-decoded afresh (distinct objects), all three files, every rule, generated',
            'fresh',
            runs,
            tag,
          ),
          row('JSON decode + all three files, every rule, generated', 'json', runs, tag),
        ];
        aloneLines.push(...rows(alone.runs, ''));
        if (alone.base) aloneLines.push(...rows(alone.base, `, baseline ${ALONE_BASELINE}`));
      }
      const perType = (rs: RuleSet) => {
        let n = 0;
        const active = rs.activeRules;
        for (const e of pool)
          n += active.filter((r) => r.eventTypes === undefined || r.eventTypes.includes(e.type)).length;
        return (n / pool.length).toFixed(2);
      };
      console.log(
        [
          '',
          `events: ${EVENTS.toLocaleString('en-US')} per run, ${ROUNDS} interleaved rounds (medians); rules: ${sets.map((s) => `${s.name} ${s.rs.activeRules.length} (${perType(s.rs)} per event after the type index)`).join(', ')}`,
          '| pipeline | ev/s (median) | CPU ns/event (median) | time / null (median, range) | CPU / null (median) | CPU / before (median) |',
          '|---|---:|---:|---:|---:|---:|',
          ...runs.map((r) => {
            const b = r.name.endsWith(', generated') ? before(r) : undefined;
            const vsBefore = b ? median(r.cpu.map((c, i) => c / b.cpu[i]!)).toFixed(2) : '';
            return `| ${r.name} | ${eps(median(r.ms))} | ${ns(median(r.cpu))} | ${(median(r.ms) / median(nul.ms)).toFixed(2)} (${range(r.ms.map((m, i) => m / nul.ms[i]!))}) | ${median(r.cpu.map((c, i) => c / nul.cpu[i]!)).toFixed(2)} | ${vsBefore} |`;
          }),
          ...aloneLines,
          ...splitGroup(ROUNDS, EVENTS),
          `| compile all three files, warm (min / median) | ${Math.min(...warm).toFixed(1)} / ${median(warm).toFixed(1)} ms | | | | |`,
          ...coldLines,
          cold && coldBase && coldBase.ms.length > 0
            ? `| cold compile, this build / baseline (median of per-pair ratios) | wall ${median(cold.ms.map((m, i) => m / coldBase.ms[i]!)).toFixed(2)} | CPU ${median(cold.cpu.map((c, i) => c / coldBase.cpu[i]!)).toFixed(2)} | | | |`
            : '',
          '',
        ].join('\n'),
      );
      if (sink < 0) throw new Error('unreachable');
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
