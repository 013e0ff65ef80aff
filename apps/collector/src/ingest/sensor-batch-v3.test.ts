import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinSources, load } from '@peregrine/engine';
import { SyscallEventSchema, type WireSyscallEvent } from '@peregrine/protocol';
import { BatchV3Builder, Enricher, encodeBatchV2, encodeBatchV3, type RawEvent } from '@peregrine/sensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEvents } from '../../bench/events.js';
import { CollectorError } from '../http/errors.js';
import { cleanJsonValue } from './shared/clean-text.js';
import { compileEnvironment } from '../pipeline/rules-engine.js';
import {
  type DecodedSensorBatch,
  decodeSensorBatch,
  decodeSensorBatchV3,
  openSensorBatchV3Body,
} from './sensor-batch.js';

const head = { sensorId: 'node-a', batchId: 'node-a-run-7', seq: 7 };

/** A version-2 body as the collector sees it: parsed, then cleaned like sensor.ts does. */
function viaV2(events: readonly WireSyscallEvent[]): DecodedSensorBatch {
  const { value, report } = cleanJsonValue(JSON.parse(encodeBatchV2(head, events)));
  return decodeSensorBatch(value, report);
}

function viaV3(events: readonly WireSyscallEvent[]): DecodedSensorBatch {
  return decodeSensorBatchV3(encodeBatchV3(head, events));
}

/** The decoder's answer for a body, or the 400 it gave; anything else thrown fails the test. */
function attempt(body: Uint8Array): DecodedSensorBatch | CollectorError {
  try {
    return decodeSensorBatchV3(body);
  } catch (error) {
    if (!(error instanceof CollectorError)) throw error;
    return error;
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
const FALCO_RULES = readFileSync(
  resolve(HERE, '../../../../packages/engine/testdata/falco/rules/falco_rules.yaml'),
  'utf8',
);

// Random events over every field of the wire event, strings from all of Unicode with NUL now
// and then (lone surrogates have no UTF-8 form: version 3 carries them as U+FFFD, see below).
const text = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.fullUnicodeString({ maxLength: 4 }),
  fc.constantFrom('', '/etc/shadow', 'bash', 'a\u0000b', '\u0000'),
);
const ns = fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String);
const int = fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 2 ** 40, -(2 ** 52), Number.MAX_SAFE_INTEGER));
const baseProc = {
  pid: int,
  tid: int,
  vpid: int,
  ppid: int,
  name: text,
  exe: text,
  exepath: text,
  args: fc.array(text, { maxLength: 3 }),
  cwd: text,
  tty: int,
  sid: int,
  sname: text,
  pgid: int,
  vpgid: int,
  uid: int,
  gid: int,
  user: text,
  group: text,
  loginuid: int,
  loginname: text,
  env: fc.array(text, { maxLength: 2 }),
  startTs: ns,
  capEffective: text,
  capPermitted: text,
  capInheritable: text,
  isExeFromMemfd: fc.boolean(),
  isExeUpperLayer: fc.boolean(),
  isExeWritable: fc.boolean(),
  exeInoCtime: ns,
  exeInoMtime: ns,
};
const ancestor = fc.record(baseProc, { requiredKeys: ['pid', 'name'] });
const proc = fc.record(
  { ...baseProc, ancestors: fc.array(ancestor, { maxLength: 2 }) },
  { requiredKeys: ['pid', 'name'] },
);
const fd = fc.record(
  {
    num: int,
    type: fc.constantFrom<NonNullable<WireSyscallEvent['fd']>['type']>(
      'file',
      'directory',
      'ipv4',
      'ipv6',
      'unix',
      'pipe',
      'memfd',
      'pidfd',
    ),
    name: text,
    nameraw: text,
    openFlags: text,
    openMode: text,
    l4proto: fc.constantFrom<'tcp' | 'udp' | 'icmp' | 'raw'>('tcp', 'udp', 'icmp', 'raw'),
    cip: text,
    cport: fc.integer({ min: 0, max: 65535 }),
    sip: text,
    sport: fc.integer({ min: 0, max: 65535 }),
    isClient: fc.boolean(),
    connected: fc.boolean(),
    nameChanged: fc.boolean(),
    ino: text,
    dev: int,
  },
  { requiredKeys: ['num', 'type'] },
);
const container = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 8 }),
    name: text,
    type: text,
    image: text,
    imageRepository: text,
    imageTag: text,
    imageDigest: text,
    privileged: fc.boolean(),
    startTs: ns,
    mounts: fc.array(
      fc.record({ source: text, dest: text, mode: text, rdwr: fc.boolean(), propagation: text }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['id'] },
);
const k8s = fc.record(
  {
    podName: text,
    podUid: text,
    namespace: text,
    labels: fc.dictionary(
      text.filter((k) => k !== '__proto__'),
      text,
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: [] },
);
/** A batch: a few shared processes and containers, events picking among them. */
const batch = fc
  .record({
    procs: fc.array(proc, { minLength: 1, maxLength: 3 }),
    containers: fc.array(fc.tuple(fc.option(container), fc.option(k8s)), { maxLength: 2 }),
    hostnames: fc.array(fc.option(text), { minLength: 1, maxLength: 2 }),
    rows: fc.array(
      fc.record(
        {
          num: fc.nat(),
          ts: ns,
          type: fc.oneof(fc.constantFrom('openat', 'execve', 'connect', 'open'), text),
          dir: fc.constantFrom<'<' | '>'>('<', '>'),
          res: int,
          args: fc.array(fc.tuple(text, text), { maxLength: 4 }),
          cpu: fc.nat(),
          fd,
          p: fc.nat(),
          c: fc.nat(),
          h: fc.nat(),
        },
        { requiredKeys: ['ts', 'type', 'dir', 'args', 'p', 'c', 'h'] },
      ),
      { minLength: 1, maxLength: 12 },
    ),
  })
  .map(({ procs, containers, hostnames, rows }) =>
    rows.map(({ p, c, h, ...row }) => {
      const event: WireSyscallEvent = { source: 'syscall', ...row, proc: procs[p % procs.length]! };
      const host = hostnames[h % hostnames.length];
      if (host != null) event.hostname = host;
      const pair = containers.length ? containers[c % containers.length] : undefined;
      if (pair?.[0]) event.container = pair[0];
      if (pair?.[1]) event.k8s = pair[1];
      return event;
    }),
  );

/** Strings as they arrive after UTF-8 (lone surrogates replaced), for comparing with v2. */
function asUtf8<T>(value: T): T {
  return JSON.parse(Buffer.from(JSON.stringify(value), 'utf8').toString('utf8')) as T;
}

describe('sensor batch version 3', () => {
  it('decodes the sensor encoder v3 to the events of v2 (the collector benchmark stream)', () => {
    const events = generateEvents(0, 2000, 0.1, 'node-1');
    const v2 = viaV2(events);
    const v3 = viaV3(events);
    expect(v3).toEqual({ ...v2, version: 3 });
    expect(v3.events.map((e) => e.event)).toEqual(JSON.parse(JSON.stringify(events)));
    // Events of one process share its object, as in version 2.
    const byPid = new Map<number, object>();
    for (const { event } of v3.events) {
      if (event.type === 'execve') continue;
      const seen = byPid.get(event.proc.pid);
      if (seen) expect(event.proc).toBe(seen);
      else byPid.set(event.proc.pid, event.proc);
    }
  });

  it('gives the same events, refusals, cleaning counts and alerts as v2 for random batches', () => {
    const ruleset = load([{ name: 'falco_rules.yaml', content: FALCO_RULES }], {
      sources: builtinSources(),
    }).ruleset!;
    const alerts = (decoded: DecodedSensorBatch) =>
      decoded.events.map(({ index, event }) => ({
        index,
        alerts: ruleset.evaluate(event, 'syscall').map((a) => [a.rule, a.output]),
      }));
    // Bench events (10 % fire upstream rules) mixed into the random ones.
    const firing = generateEvents(0, 40, 0.5, 'node-1');
    fc.assert(
      fc.property(batch, fc.nat(40), (random, at) => {
        const events = asUtf8([...random.slice(0, at % (random.length + 1)), ...firing.slice(0, 6)]);
        events.push(...random.slice(at % (random.length + 1)));
        const v2 = viaV2(events);
        const v3 = viaV3(events);
        // The same rows refused (the messages name the field in each version's terms).
        expect(v3.rejected.map((r) => r.index)).toEqual(v2.rejected.map((r) => r.index));
        expect(v3.events).toEqual(v2.events);
        expect(v3.sanitized).toBe(v2.sanitized);
        expect(v3.count).toBe(v2.count);
        expect(alerts(v3)).toEqual(alerts(v2));
      }),
      { numRuns: 150 },
    );
    expect(firing.some((e) => ruleset.evaluate(e, 'syscall').length > 0)).toBe(true);
  });

  it('leaves rows in the body: types without building, events built on demand, refusals as decoded', () => {
    const events = generateEvents(0, 500, 0.1, 'node-1');
    events.splice(3, 0, { ...events[0]!, ts: 'not a time' });
    const body = encodeBatchV3(head, events);
    const decoded = decodeSensorBatchV3(body);
    const opened = openSensorBatchV3Body(body);
    const { rows } = opened;
    expect(rows.accepted).toBe(decoded.events.length);
    expect(opened.rejected).toEqual(decoded.rejected);
    expect(opened.rejected.map((r) => r.index)).toEqual([3]);
    expect(opened.sanitized).toBe(decoded.sanitized);
    for (let k = 0; k < rows.accepted; k++) {
      expect(rows.index(k)).toBe(decoded.events[k]!.index);
      expect(rows.type(k)).toBe(decoded.events[k]!.event.type);
    }
    // Built in any order, any number of times: each time the event the row holds.
    for (const k of [rows.accepted - 1, 0, 7, 7, 2]) {
      const event = rows.event(k);
      expect(event).toEqual(decoded.events[k]!.event);
      expect(event).not.toBe(rows.event(k));
    }
    expect(() => rows.event(rows.accepted)).toThrow(RangeError);
  });

  it('raises the same alerts from the rows a rule may match (by type) as from every event', () => {
    const env = compileEnvironment({
      environmentId: 'env',
      organizationId: 'org',
      stamp: '1',
      ruleSets: [
        {
          ruleSetId: 'rs',
          name: 'upstream',
          versionId: 'v',
          versionNumber: 1,
          files: [{ name: 'falco_rules.yaml', content: FALCO_RULES }],
          overrides: [],
        },
      ],
    });
    const alertsOf = (event: unknown) =>
      env.evaluate(event, 'syscall').map((a) => [a.rule, a.output, a.output_fields]);
    const firing = generateEvents(0, 400, 0.5, 'node-1');
    const mixed = [...firing, ...generateEvents(400, 400, 0.1, 'node-2')];
    const skipped = new Set<string>();
    const check = (events: readonly WireSyscallEvent[]) => {
      const body = encodeBatchV3(head, events);
      const all = decodeSensorBatchV3(body).events.map(({ index, event }) => ({
        index,
        alerts: alertsOf(event),
      }));
      const { rows } = openSensorBatchV3Body(body);
      const lazy: typeof all = [];
      for (let k = 0; k < rows.accepted; k++) {
        if (!env.mayMatchSyscallType(rows.type(k))) {
          skipped.add(rows.type(k));
          lazy.push({ index: rows.index(k), alerts: [] });
        } else lazy.push({ index: rows.index(k), alerts: alertsOf(rows.event(k)) });
      }
      expect(lazy).toEqual(all);
    };
    check(mixed);
    expect(mixed.some((e) => alertsOf(e).length > 0)).toBe(true);
    // Rows of types no upstream rule names (reads) are never built.
    expect(skipped.has('read')).toBe(true);
    fc.assert(
      fc.property(batch, (random) => check(asUtf8([...random, ...firing.slice(0, 6)]))),
      { numRuns: 60 },
    );
    expect(env.mayMatchSyscallType('execve')).toBe(true);
    expect(env.mayMatchSyscallType('read')).toBe(false);
  });

  it('replaces NUL with U+FFFD and counts the events that hold one, tables included', () => {
    const proc = { pid: 1, name: 'n\u0000l' };
    const clean = { pid: 2, name: 'ok' };
    const base = { source: 'syscall' as const, dir: '<' as const, args: [] };
    const events: WireSyscallEvent[] = [
      { ...base, ts: '1', type: 'execve', proc, hostname: 'h' },
      { ...base, ts: '2', type: 'execve', proc: clean, hostname: 'h' },
      { ...base, ts: '3', type: 'open\u0000at', proc: clean, hostname: 'h' },
      { ...base, ts: '4', type: 'execve', proc: clean, hostname: 'h', container: { id: 'c\u0000' } },
    ];
    const decoded = viaV3(events);
    expect(decoded.sanitized).toBe(3);
    expect(decoded.events.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(decoded.events[0]!.event.proc.name).toBe('n\ufffdl');
    expect(decoded.events[2]!.event.type).toBe('open\ufffdat');
    expect(decoded.events[3]!.event.container?.id).toBe('c\ufffd');
    expect(viaV2(events).sanitized).toBe(3);
  });

  it('refuses rows that read but do not check out, by index, and keeps the others', () => {
    const base = { source: 'syscall' as const, dir: '<' as const, args: [] as [string, string][] };
    const good: WireSyscallEvent = { ...base, ts: '5', type: 'execve', proc: { pid: 1, name: 'sh' } };
    const bad: Array<[WireSyscallEvent, RegExp]> = [
      [{ ...good, ts: 'soon' }, /^ts: /],
      [{ ...good, type: '' }, /^type: /],
      [{ ...good, fd: { num: 3, type: 'socket?' as 'file' } }, /fd type 255/],
      [{ ...good, fd: { num: 3, type: 'ipv4', l4proto: 'sctp' as 'tcp' } }, /fd.l4proto 255/],
      [{ ...good, fd: { num: 3, type: 'ipv4', sport: 70_000 } }, /fd.sport 70000 is not a port/],
      [{ ...good, proc: { pid: 1, name: 'x', startTs: 'yesterday' } }, /^procs\.\d+: startTs/],
      [{ ...good, proc: { pid: 1 } as WireSyscallEvent['proc'] }, /^procs\.\d+: name/],
      [{ ...good, container: { id: '' } }, /^containers\.0: c\.id/],
    ];
    const decoded = viaV3([good, ...bad.map(([e]) => e), good]);
    expect(decoded.events.map((e) => e.index)).toEqual([0, bad.length + 1]);
    expect(decoded.rejected.map((r) => r.index)).toEqual(bad.map((_, i) => i + 1));
    for (const [i, [, reason]] of bad.entries()) expect(decoded.rejected[i]!.error).toMatch(reason);
  });

  it('answers a body it cannot read with a 400 that says why', () => {
    const body = encodeBatchV3(head, generateEvents(0, 50, 0.1, 'node-1'));
    // A batch without events ends with its event count, 0.
    const empty = encodeBatchV3(head, []);
    expect(empty.at(-1)).toBe(0);
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /truncated body at byte 0 of 0/],
      [Uint8Array.from([0x7b, 0x22, 0x76, 0x22]), /not a version-3 batch \(magic\)/],
      [body.subarray(0, body.length - 1), /truncated body/],
      [body.subarray(0, 200), /truncated body|past the end|larger than the body/],
      [Buffer.concat([body, Buffer.from([0])]), /1 bytes after the last event/],
      [Uint8Array.from([0x50, 0x47, 0x42, 0x03, 0xff, 0xff, 0xff, 0xff, 0x0f]), /string count \d+ larger/],
      [Uint8Array.from([0x50, 0x47, 0x42, 0x03, 0, 0, 0, 5]), /string 0 is not in the string table \(0\)/],
      [Uint8Array.from([0x50, 0x47, 0x42, 0x03, ...Array(9).fill(0xff), 0x01]), /varint longer than 53 bits/],
      // More rows than the bytes left can hold (6 bytes a row at least): refused before the
      // per-row arrays are sized by the count.
      [
        Buffer.concat([empty.subarray(0, -1), Buffer.from([50]), Buffer.alloc(100)]),
        /event count 50 past the end/,
      ],
    ];
    for (const [bytes, message] of cases) {
      const result = attempt(bytes);
      expect(result).toBeInstanceOf(CollectorError);
      expect((result as CollectorError).code).toBe('INVALID_BODY');
      expect((result as CollectorError).message).toMatch(message);
    }
    // An empty batch id is refused like the JSON versions refuse it.
    expect((attempt(encodeBatchV3({ ...head, batchId: '' }, [])) as Error).message).toMatch(/batchId/);
  });

  it('refuses ancestors nested without end and a __proto__ label without building them', () => {
    let deep: WireSyscallEvent['proc'] = { pid: 1, name: 'x' };
    for (let i = 0; i < 100; i++) deep = { pid: 1, name: 'x', ancestors: [deep] };
    const base = { source: 'syscall' as const, dir: '<' as const, args: [], ts: '1', type: 'execve' };
    const nested = attempt(encodeBatchV3(head, [{ ...base, proc: deep }]));
    expect((nested as Error).message).toMatch(/ancestors nested more than 16 deep/);
    const labels = JSON.parse('{"__proto__":"polluted"}') as Record<string, string>;
    const k8s = { podName: 'p', labels };
    const polluted = attempt(encodeBatchV3(head, [{ ...base, proc: { pid: 1, name: 'x' }, k8s }]));
    expect((polluted as Error).message).toMatch(/label named __proto__/);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('never answers a corrupted or truncated body with anything but a result or a 400', () => {
    const enricher = new Enricher();
    const raw = (type: string, extra: Partial<RawEvent>): RawEvent => ({
      type,
      monoNs: process.hrtime.bigint(),
      cpu: 0,
      pid: process.pid,
      tid: process.pid,
      ppid: process.ppid,
      euid: 0,
      egid: 0,
      ret: 0,
      ints: {},
      strs: {},
      comm: 'node',
      ...extra,
    });
    const builder = new BatchV3Builder();
    for (const e of generateEvents(0, 30, 0.2, 'node-1')) builder.add(e);
    builder.add(
      enricher.enrich(
        raw('connect', {
          ret: 0,
          ints: { fd: '9', family: '10', proto: '6', sport: '443', sip: '::1', cport: '5000', cip: '::1' },
        }),
      ),
    );
    const body = builder.finish(head);
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat(255) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.nat(255) }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(), length: fc.nat(20) }),
    );
    let refused = 0;
    let read = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let bytes: Uint8Array = Uint8Array.from(body);
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.kind === 'flip' && at < bytes.length) bytes[at] = e.byte;
          else if (e.kind === 'cut') bytes = bytes.subarray(0, at);
          else if (e.kind === 'insert')
            bytes = Uint8Array.from([...bytes.subarray(0, at), e.byte, ...bytes.subarray(at)]);
          else if (e.kind === 'drop')
            bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + e.length)]);
        }
        const result = attempt(bytes);
        if (result instanceof CollectorError) {
          refused++;
          expect(result.code).toBe('INVALID_BODY');
          expect(result.message).toMatch(/^invalid batch: /);
          return;
        }
        read++;
        expect(result.events.length + result.rejected.length).toBe(result.count);
        for (const { event } of result.events) expect(SyscallEventSchema.safeParse(event).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Both outcomes were exercised.
    expect(refused).toBeGreaterThan(100);
    expect(read).toBeGreaterThan(10);
  });
});
