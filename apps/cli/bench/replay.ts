/**
 * `peregrine replay` throughput (issue 18 item 2): event lines and `.scap` captures through every
 * upstream syscall rule, against the same work done by simpler means in the same rounds.
 *
 *   npm run bench -w apps/cli
 *   knobs: BENCH_EVENTS=1000000 (event lines) BENCH_SCAP_SYSCALLS=500000 (enter/exit pairs)
 *          BENCH_ROUNDS=3 BENCH_MODES=regex (run only the modes whose name matches)
 *          BENCH_BASE_CLI=path/to/other/dist/main.js (also replay the lines with another build)
 *
 * Each mode runs the built CLI (or a decoding script) as a child process under `/usr/bin/time`;
 * its startup and rules compile are measured on an empty input in the same round and
 * subtracted, so the figures are the cost of the events alone. Modes run interleaved, rounds
 * repeat, medians are printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EventMix, writeCapture, writeEventLines } from './replay-data.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = resolve(HERE, '../..');
const CLI = join(APP, 'dist/main.js');
const UPSTREAM = resolve(APP, '../../packages/engine/testdata/falco/rules');
const RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].flatMap((f) => [
  '-r',
  join(UPSTREAM, f),
]);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const SYSCALLS = Number(process.env.BENCH_SCAP_SYSCALLS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODES = new RegExp(process.env.BENCH_MODES ?? '.');
// Another build's dist/main.js (e.g. the main branch's), run beside this one on the event lines.
const BASE_CLI = process.env.BENCH_BASE_CLI;

if (!existsSync(CLI)) throw new Error(`build the CLI first (npm run build -w apps/cli): ${CLI} is missing`);
const dir = mkdtempSync(join(tmpdir(), 'peregrine-replay-bench-'));
const lines = join(dir, 'events.ndjson');
// The same events, but every type wanted by some rule, or none (see replay-data.ts).
const wantedLines = join(dir, 'wanted.ndjson');
const unwantedLines = join(dir, 'unwanted.ndjson');
const emptyLines = join(dir, 'empty.ndjson');
const capture = join(dir, 'capture.scap');
const tinyCapture = join(dir, 'tiny.scap');
const noRules = join(dir, 'no-rules.yaml');
writeFileSync(emptyLines, '');
writeFileSync(noRules, '- list: nothing\n  items: []\n');

// The decoding the replay did before this benchmark existed (readline, then JSON.parse per line),
// and the bare cost of reading the file: floors for the event-line modes.
const READLINE = join(dir, 'readline-parse.mjs');
writeFileSync(
  READLINE,
  `import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
let n = 0;
for await (const line of createInterface({ input: createReadStream(process.argv[2], 'utf8'), crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  if (typeof JSON.parse(line) === 'object') n++;
}
console.log(n);
`,
);
const READ = join(dir, 'read.mjs');
writeFileSync(
  READ,
  `import { createReadStream } from 'node:fs';
let n = 0;
for await (const c of createReadStream(process.argv[2], { highWaterMark: 1 << 20 })) n += c.length;
console.log(n);
`,
);

interface Mode {
  name: string;
  /** Events the full input holds (0: not an event mode). */
  events: number;
  full: string[];
  empty: string[];
  cmd?: string;
}

const node = process.execPath;
const sysdig = spawnSync('sysdig', ['--version'], { encoding: 'utf8' }).status === 0;
const modes: Mode[] = [
  { name: 'read file only', events: EVENTS, full: [READ, lines], empty: [READ, emptyLines] },
  { name: 'readline + JSON.parse', events: EVENTS, full: [READLINE, lines], empty: [READLINE, emptyLines] },
  {
    name: 'replay lines, no rules, --threads 1',
    events: EVENTS,
    full: [CLI, 'replay', '-r', noRules, '--threads', '1', lines],
    empty: [CLI, 'replay', '-r', noRules, '--threads', '1', emptyLines],
  },
  // Each with --parse-all (every line parsed, as before lines no rule needs were passed over) and
  // without: the mixed lines on one and on all threads, the other two mixes on one.
  ...(
    [
      ['mixed', lines, 1],
      ['mixed', lines, availableParallelism()],
      ['wanted', wantedLines, 1],
      ['unwanted', unwantedLines, 1],
    ] as const
  ).flatMap(([mix, file, t]) =>
    [
      ...(BASE_CLI ? [{ cli: BASE_CLI, extra: [], label: ', base build' }] : []),
      { cli: CLI, extra: ['--parse-all'], label: ' --parse-all' },
      { cli: CLI, extra: [], label: '' },
    ].map(({ cli, extra, label }) => ({
      name: `replay ${mix} lines, 93 rules, --threads ${t}${label}`,
      events: EVENTS,
      full: [cli, 'replay', ...RULES, '--threads', String(t), ...extra, file],
      empty: [cli, 'replay', ...RULES, '--threads', String(t), ...extra, emptyLines],
    })),
  ),
  {
    name: 'replay capture, no rules',
    events: SYSCALLS * 2,
    full: [CLI, 'replay', '-r', noRules, capture],
    empty: [CLI, 'replay', '-r', noRules, tinyCapture],
  },
  {
    name: 'replay capture, 93 rules',
    events: SYSCALLS * 2,
    full: [CLI, 'replay', ...RULES, capture],
    empty: [CLI, 'replay', ...RULES, tinyCapture],
  },
  ...(sysdig
    ? [
        {
          name: 'sysdig (libsinsp) capture, a proc.name filter that never matches',
          events: SYSCALLS * 2,
          cmd: 'sysdig',
          full: ['-r', capture, 'proc.name = no-such-program'],
          empty: ['-r', tinyCapture, 'proc.name = no-such-program'],
        },
      ]
    : []),
].filter((m) => MODES.test(m.name));

interface Run {
  wall: number;
  cpu: number;
}
function timed(cmd: string, args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall: last[0]!, cpu: last[1]! + last[2]! };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `writing ${EVENTS.toLocaleString()} event lines and a capture of ${SYSCALLS.toLocaleString()} syscalls to ${dir}`,
);
const mixes: [EventMix, string][] = [
  ['mixed', lines],
  ['wanted', wantedLines],
  ['unwanted', unwantedLines],
];
for (const [mix, file] of mixes)
  if (modes.some((m) => m.full.includes(file))) await writeEventLines(file, EVENTS, mix);
if (modes.some((m) => m.full.includes(capture))) await writeCapture(capture, SYSCALLS);
await writeCapture(tinyCapture, 1);
for (const [mix, file] of mixes) {
  if (!existsSync(file)) continue;
  const size = Number(execFileSync('stat', ['-c', '%s', file], { encoding: 'utf8' }));
  console.log(
    `${mix} event lines: ${(size / 2 ** 20).toFixed(0)} MiB, ${(size / EVENTS).toFixed(0)} bytes a line`,
  );
}

const results = new Map<string, { wall: number[]; cpu: number[] }>();
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const m of modes) {
      const cmd = m.cmd ?? node;
      const empty = timed(cmd, m.empty);
      const full = timed(cmd, m.full);
      const r = results.get(m.name) ?? { wall: [], cpu: [] };
      r.wall.push(full.wall - empty.wall);
      r.cpu.push(full.cpu - empty.cpu);
      results.set(m.name, r);
      console.log(
        `round ${round} ${m.name}: ${full.wall.toFixed(2)} s wall (empty input ${empty.wall.toFixed(2)} s), ` +
          `${full.cpu.toFixed(2)} CPU s (empty ${empty.cpu.toFixed(2)}), load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
  console.log('\nmedians (the empty input subtracted):');
  console.log('| mode | events | events/s (wall) | CPU ns/event |');
  console.log('|---|---:|---:|---:|');
  for (const m of modes) {
    const r = results.get(m.name)!;
    const wall = median(r.wall);
    const cpu = median(r.cpu);
    console.log(
      `| ${m.name} | ${m.events.toLocaleString()} | ${Math.round(m.events / wall).toLocaleString()} | ${Math.round((cpu / m.events) * 1e9)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
