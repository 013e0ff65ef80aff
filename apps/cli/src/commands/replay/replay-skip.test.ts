/**
 * Lines no rule needs are passed over unparsed (`line-probe.ts`): the replay must give the same
 * output as when every line is parsed, for any input. Random event files (keys in any order,
 * duplicate keys, escapes, unicode, invalid UTF-8, the type key inside strings and nested
 * objects, flat maps, other sources, EventLists, blank, CRLF and malformed lines) are replayed
 * both ways, cut into chunks at random byte offsets.
 */
import { Readable } from 'node:stream';
import { builtinSources, load } from '@peregrine/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lineChunks } from './line-chunks.js';
import { probeLine } from './line-probe.js';
import { type ChunkContext, type ChunkResult, replayChunk } from './replay-chunk.js';

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RULES = `
- rule: Cat opens
  desc: an openat by cat
  condition: evt.type = openat and proc.name = cat
  output: n=%evt.num file=%fd.name type=%evt.type
  priority: INFO
- rule: Shell runs
  desc: an execve of bash
  condition: evt.type in (execve, execveat) and proc.name = bash
  output: n=%evt.num shell=%proc.name
  priority: WARNING
- rule: Audit gets
  desc: a k8s get
  condition: ka.verb = get
  output: n=%evt.num get
  priority: NOTICE
  source: k8s_audit
`;
const { ruleset } = load([{ name: 'skip.yaml', content: RULES }]);

const TYPES = ['openat', 'execve', 'read', 'write', 'close', 'connect', 'execveat', 'Openat', '', 'open at'];
const NAMES = ['cat', 'bash', 'nginx', 'cät', 'c\\at', 'ca"t', 'cat\u2028', '𝄞', 'type'];
const TRICKY = [
  '"type":"openat"',
  '{"type":"execve"}',
  '\\"type\\":\\"read\\"',
  'é ✓ 𝄞',
  '\u0000\u001f',
  '\ud800',
  '\\',
  '\t',
  '',
  '\u007f',
];

// Alerts carry the event's time (the clock's without one): every event that may alert has one.
const AUDIT_TIMES = {
  requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z',
  stageTimestamp: '2026-01-01T00:00:00.100000Z',
};

/** Source text put as it is: tokens valid and not, next to the JSON.stringify'd values. */
class Raw {
  constructor(readonly text: string) {}
}
const RAW = [
  ...[
    '0',
    '-0',
    '01',
    '-01',
    '1.',
    '.5',
    '-',
    '+1',
    '1e',
    '1e+',
    '1E-2',
    '0.0e0',
    '00',
    '1.5.2',
    '0x1',
    'Infinity',
    'NaN',
  ],
  ...[
    'true',
    'false',
    'null',
    'tru',
    'nul',
    'True',
    'fals',
    'nulll',
    'truex',
    'nulx',
    'trux',
    'falsx',
    'undefined',
  ],
  ...['"\\a"', '"\\u12"', '"\\U0041"', '"\\u00e9\\n\\/"', '"\\uD834\\uDD1E"', '"\\\\"', '"\\\\\\"', "'x'"],
  ...[
    '[]',
    '[,]',
    '[1,]',
    '{}',
    '{,}',
    '{"a":1,}',
    '{"a"}',
    '{"a":}',
    '[1}',
    '{"a":1]',
    '[{"b":1]}',
    '{"a":[1}}',
    '[[[[{"type":"openat"}]]]]',
    '{"a":[{"b":{}}]}',
  ],
];

function pick<T>(random: () => number, xs: readonly T[]): T {
  return xs[Math.floor(random() * xs.length)]!;
}

/** A JSON value in source form, written with a random choice of spacing and escapes. */
function text(random: () => number, v: unknown): string {
  const sp = () => pick(random, ['', '', '', ' ', '\t', '  ']);
  if (v instanceof Raw) return v.text;
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    // Escape some plain characters anyway (\u0063 for c), as other writers do.
    return random() < 0.15
      ? s.replace(/[a-z]/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      : s;
  }
  if (Array.isArray(v)) return `[${sp()}${v.map((x) => text(random, x)).join(`${sp()},${sp()}`)}${sp()}]`;
  if (typeof v === 'object' && v !== null)
    return `{${sp()}${Object.entries(v)
      .map(([k, x]) => `${text(random, k)}${sp()}:${sp()}${text(random, x)}`)
      .join(`${sp()},${sp()}`)}${sp()}}`;
  if (typeof v === 'number' && random() < 0.2) return pick(random, ['1e2', '-0', '0.5E-3', '12.0', '-7e+1']);
  return JSON.stringify(v);
}

/** An object's members in random order; some keys twice (the last one counts). */
function members(random: () => number, m: [string, unknown][]): string {
  const out = [...m];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  if (random() < 0.15) out.splice(Math.floor(random() * out.length), 0, ['type', pick(random, TYPES)]);
  if (random() < 0.1) out.push(['proc', pick(random, [[], 'bash', 3, { name: 'cat' }])]);
  return `{${out.map(([k, v]) => `${text(random, k)}:${text(random, v)}`).join(',')}}`;
}

/** One line: mostly syscall events, some other sources, EventLists and odd shapes. */
function line(random: () => number, i: number): string {
  const r = random();
  const type = pick(random, TYPES);
  const proc = { name: pick(random, NAMES), pid: i, args: [pick(random, TRICKY)], ancestors: [{ pid: 1 }] };
  if (r < 0.6) {
    const m: [string, unknown][] = [
      ['ts', String(1_760_000_000_000_000_000n + BigInt(i))],
      ['dir', '<'],
      ['type', random() < 0.05 ? 7 : type],
      ['res', random() < 0.3 ? new Raw(pick(random, RAW)) : 3],
      ['args', [['name', pick(random, TRICKY)]]],
      ['proc', proc],
      ['fd', { num: 3, type: pick(random, TYPES), name: `/tmp/${pick(random, TRICKY)}` }],
    ];
    if (random() < 0.2) m.push(['source', pick(random, ['syscall', 'k8s_audit', 'okta', 'nope', 5])]);
    if (random() < 0.05)
      m.push([
        'payload',
        pick(random, [{ apiVersion: 'audit.k8s.io/v1', kind: 'Event', verb: 'get', ...AUDIT_TIMES }, 'x']),
      ]);
    if (random() < 0.05) m.push(['num', 42]);
    return members(random, m);
  }
  if (r < 0.7)
    return members(random, [
      ['evt.type', type],
      ['proc.name', pick(random, NAMES)],
      ['fd.name', pick(random, TRICKY)],
      ['evt.rawtime', String(1_760_000_000_000_000_000n + BigInt(i))],
    ]);
  if (r < 0.75)
    return JSON.stringify({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [
        { kind: 'Event', auditID: 'a', stage: 'ResponseComplete', verb: 'get', ...AUDIT_TIMES },
        { auditID: 'b', stage: 'ResponseComplete', verb: 'list', ...AUDIT_TIMES },
      ],
    });
  if (r < 0.78)
    return members(random, [
      ['eventType', 'user.session.start'],
      ['published', '2026-01-01T00:00:00Z'],
    ]);
  return pick(random, [
    '',
    '  ',
    '\t',
    '{}',
    '[]',
    '42',
    '"type"',
    'null',
    '{"type":"read"} x',
    ' {"type":"read"}',
  ]);
}

/** The line, damaged at random now and then (most damage makes it invalid JSON). */
function damage(random: () => number, s: string): string {
  if (random() > 0.25 || s.length === 0) return s;
  const at = Math.floor(random() * s.length);
  switch (Math.floor(random() * 4)) {
    case 0:
      return s.slice(0, at) + s.slice(at + 1);
    case 1:
      return (
        s.slice(0, at) +
        pick(random, ['"', '\\', ',', '}', ']', ' ', 'x', '0', '-', '.', 'e', '\u0001', 'é']) +
        s.slice(at)
      );
    case 2:
      return s.slice(0, at);
    default:
      return `${s.slice(0, at)}${s.slice(at).replace(/\\u00|\\|"|:|,/, pick(random, ['\\u0', '\\x', "'", ';', '']))}`;
  }
}

/** The file's bytes: lines with random line ends; now and then bytes that are not UTF-8. */
function file(random: () => number, n: number): Uint8Array {
  const crlf = random() < 0.15;
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < n; i++) {
    let bytes = enc.encode(damage(random, line(random, i)));
    if (random() < 0.03 && bytes.length > 2) {
      // A lone lead or continuation byte, inside a string or not.
      bytes = Uint8Array.from(bytes);
      bytes[1 + Math.floor(random() * (bytes.length - 2))] = pick(random, [0x80, 0xc3, 0xe2, 0xff]);
    }
    parts.push(
      bytes,
      enc.encode(i < n - 1 || random() < 0.7 ? (crlf && random() < 0.5 ? '\r\n' : '\n') : ''),
    );
  }
  return Buffer.concat(parts);
}

function pieces(bytes: Uint8Array, random: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(random() * 3000);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

const sourceNames = new Set(builtinSources().map((s) => s.name));

/** The whole replay of `bytes` as chunks: everything the replay prints, in order. */
async function replay(bytes: Uint8Array, cut: Uint8Array[], ctx: ChunkContext) {
  let events = 0;
  let lines = 0;
  let unparsed = 0;
  const out: (Omit<ChunkResult, 'unparsed' | 'lines' | 'base'> & { before: number })[] = [];
  for await (const chunk of lineChunks(Readable.from(cut))) {
    const r = replayChunk(chunk, events, ctx, ruleset, true);
    out.push({ before: lines, events: r.events, text: r.text, alerts: r.alerts, bad: r.bad });
    events += r.events;
    lines += r.lines;
    unparsed += r.unparsed;
  }
  expect(lines).toBeGreaterThan(0);
  return { out, events, lines, unparsed, size: bytes.length };
}

describe('replay passes over lines no rule needs', () => {
  // An event without a (valid) time is stamped with the clock's: a damaged line may be one.
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-06-01T00:00:00Z'));
  });
  afterAll(() => vi.useRealTimers());

  it('with the same output as parsing every line, for random files', async () => {
    let unparsed = 0;
    let alerts = 0;
    let bad = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const bytes = file(random, 1 + Math.floor(random() * 60));
      const cut = pieces(bytes, random);
      for (const defaultSource of ['syscall', seed % 10 === 0 ? 'k8s_audit' : 'syscall']) {
        const fast = await replay(bytes, cut, { sourceNames, defaultSource });
        const slow = await replay(bytes, cut, { sourceNames, defaultSource, parseAll: true });
        expect(slow.unparsed).toBe(0);
        expect({ ...fast, unparsed: 0 }, `seed ${seed} ${defaultSource}`).toEqual(slow);
        unparsed += fast.unparsed;
        for (const c of fast.out) {
          alerts += c.alerts.length;
          bad += c.bad.length;
        }
      }
    }
    // The inputs exercise every path: lines passed over, alerts, malformed lines.
    expect(unparsed).toBeGreaterThan(1000);
    expect(alerts).toBeGreaterThan(300);
    expect(bad).toBeGreaterThan(300);
  });

  it('probes only valid JSON objects, and reads their members as JSON.parse does', () => {
    const enc = new TextEncoder();
    let probed = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const random = rng(seed);
      const s = damage(random, line(random, seed));
      const b = enc.encode(`${s}\n`);
      const probe = probeLine(b, 0, b.length - 1, () => false);
      if (probe === undefined) continue;
      probed++;
      const parsed = JSON.parse(s) as Record<string, unknown>;
      for (const key of ['source', 'apiVersion', 'type', 'evt.type', 'proc', 'payload', 'eventType']) {
        const want = parsed[key];
        const got = (probe as Record<string, unknown>)[key];
        if (typeof want === 'object' && want !== null)
          expect(got, `${key} of ${s}`).toEqual(Array.isArray(want) ? [] : {});
        else if (typeof want === 'number') expect(got, `${key} of ${s}`).toBe(0);
        else expect(got, `${key} of ${s}`).toBe(want);
      }
    }
    expect(probed).toBeGreaterThan(500);
  });
});
