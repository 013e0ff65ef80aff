import {
  expandSensorEventBatchV2,
  readSensorBatchV3,
  type SensorEventBatchV2,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../capture/bpftrace-records.js';
import {
  HEADER_SIZE,
  RECORD_OFFSETS,
  LibbpfRecordDecoder,
  type OpenRecord,
  parseLayout,
  RECORD_MAGIC,
} from '../capture/libbpf-records.js';
import { Enricher } from '../enrich/enricher.js';
import { MonotonicClock } from '../enrich/monotonic-clock.js';
import { OpenEventParts } from '../enrich/open-event.js';
import { BatchV2Builder, BatchV3Builder } from './batch-encoding.js';

/**
 * The open family's fast path (capture record -> OpenRecord -> Enricher.enrichOpen ->
 * BatchV2Builder.addOpen) must ship exactly what the generic path (RawEvent -> Enricher.enrich ->
 * BatchV2Builder.add) ships. Random records, with other event types between them, go through both;
 * the batches they make are expanded as the collector expands them and compared with each other
 * and with the generic path's event objects.
 */

// The loader's layout lines (`peregrine-capture --layout`) of the types used here.
const LAYOUT = parseLayout(
  [
    '1 open|flags mode|name',
    '2 openat|dirfd flags mode|name',
    '3 openat2|dirfd flags mode resolve|name',
    '4 creat|mode|name',
    '7 connect|fd family proto sport cport @sip @cip|path',
    '11 unlinkat|dirfd flags|name',
    '44 procexit|status|',
  ].join('\n'),
);

/** A deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RecordFields {
  type: number;
  ints: bigint[];
  addr?: number[][];
  str?: string;
  pid: number;
  tid: number;
  ppid: number;
  ret: bigint;
  ts: bigint;
  cpu: number;
  comm: string;
}

/** One record as native/capture.h lays it out. */
function record(f: RecordFields): Buffer {
  const str = f.str === undefined ? undefined : Buffer.from(f.str);
  const buf = Buffer.alloc(HEADER_SIZE + (str?.length ?? 0));
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(RECORD_MAGIC, 4);
  buf.writeUInt16LE(f.type, 6);
  buf.writeBigUInt64LE(f.ts, 8);
  buf.writeUInt32LE(f.cpu, 16);
  buf.writeUInt32LE(f.pid, 20);
  buf.writeUInt32LE(f.tid, 24);
  buf.writeUInt32LE(f.ppid, 28);
  buf.writeInt32LE(0, 32);
  buf.writeInt32LE(0, 36);
  buf.writeBigInt64LE(f.ret, 40);
  for (const [n, v] of f.ints.entries()) buf.writeBigInt64LE(v, 48 + n * 8);
  for (const [n, bytes] of (f.addr ?? []).entries()) Buffer.from(bytes).copy(buf, 120 + n * 16);
  buf.write(f.comm, 152, 'utf8');
  if (str) {
    buf.writeUInt16LE(str.length, RECORD_OFFSETS.slen);
    buf[RECORD_OFFSETS.nstr] = 1;
    str.copy(buf, HEADER_SIZE);
  }
  return buf;
}

const PATHS = [
  '/etc/shadow',
  '/var/lib/app/data/file.json',
  '/tmp//a/./b/../c',
  '/home/u/.cache/x',
  '/a/..',
  'relative/file.txt',
  '../up.txt',
  '.',
  '',
  '/tmp/quote"and\\backslash',
  '/tmp/unicodé/文件',
];
const FLAG_BITS = [0, 1, 2, 0o100, 0o200, 0o1000, 0o2000, 0o200000, 0o2000000, 0o20200000, 0o4000];
const RETS = [-2n, -13n, -24n, 0n, 3n, 5n, 17n, 100n];

function randomStream(seed: number, count: number): { chunks: Buffer[]; opens: number } {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  // This process (found in /proc), and a pid that does not exist (known only from its events).
  const ghost = 0x3ffff0 + Math.floor(rand() * 8);
  const chunks: Buffer[] = [];
  let opens = 0;
  let ts = 1_000_000_000n + BigInt(Math.floor(rand() * 1e9));
  for (let n = 0; n < count; n++) {
    ts += BigInt(1 + Math.floor(rand() * 50_000));
    const ghostly = rand() < 0.2;
    const pid = ghostly ? ghost : process.pid;
    const common = {
      pid,
      tid: pid + Math.floor(rand() * 3),
      ppid: ghostly ? process.pid : process.ppid,
      ts,
      cpu: Math.floor(rand() * 2),
      comm: pick(['node', 'cat', 'a-very-long-name-of-a-thread']).slice(0, 15),
    };
    const roll = rand();
    if (roll < 0.8) {
      opens++;
      const type = pick([1, 2, 2, 2, 3, 4]);
      let flags = 0n;
      for (let k = 0; k < 3; k++) flags |= BigInt(pick(FLAG_BITS));
      const dirfd = BigInt(pick([-100, -100, 0, 1, 2, 999]));
      const mode = BigInt(Math.floor(rand() * 0o10000));
      const resolve = BigInt(Math.floor(rand() * 32));
      const ints =
        type === 1
          ? [flags, mode]
          : type === 4
            ? [mode]
            : type === 2
              ? [dirfd, flags, mode]
              : [dirfd, flags, mode, resolve];
      chunks.push(
        record({ ...common, type, ints, ret: pick(RETS), ...(rand() < 0.95 ? { str: pick(PATHS) } : {}) }),
      );
    } else if (roll < 0.9) {
      chunks.push(
        record({
          ...common,
          type: 7,
          ints: [3n, 2n, 6n, 443n, 40000n + BigInt(n)],
          addr: [
            [10, 0, 0, 1],
            [10, 0, 0, 2],
          ],
          ret: pick([0n, -115n, -111n]),
        }),
      );
    } else if (roll < 0.97) {
      chunks.push(record({ ...common, type: 11, ints: [-100n, 0n], str: pick(PATHS), ret: 0n }));
    } else {
      chunks.push(record({ ...common, pid: ghost, tid: ghost, type: 44, ints: [256n], ret: 0n }));
    }
  }
  return { chunks, opens };
}

/** Events of a finished version-2 body, as the collector expands them. */
function expand(body: string): WireSyscallEvent[] {
  return expandSensorEventBatchV2(JSON.parse(body) as SensorEventBatchV2);
}

/** Events of a finished version-3 body, as the collector reads them (every row must be valid). */
function expandV3(body: Uint8Array): WireSyscallEvent[] {
  const events: WireSyscallEvent[] = [];
  readSensorBatchV3(body, { proc: () => true, container: () => true }, (index, event, error) => {
    if (event === undefined) throw new Error(`row ${index}: ${error}`);
    events.push(event);
  });
  return events;
}

/** An event as it reads after JSON (absent optional fields dropped). */
function asJson(events: readonly WireSyscallEvent[]): unknown {
  return JSON.parse(JSON.stringify(events));
}

// Each seed runs 1,500 records through both paths: CPU work, slow on a busy shared machine.
describe('open-family fast path', { timeout: 30_000 }, () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`ships what the generic path ships (seed ${seed})`, () => {
      const clock = new MonotonicClock();
      const generic = new Enricher({ clock });
      const fast = new Enricher({ clock });
      const { chunks, opens } = randomStream(seed, 1500);
      const head = { sensorId: 's', batchId: 'b', seq: 1 };

      const genericEvents: WireSyscallEvent[] = [];
      let genericBuilder = new BatchV2Builder();
      const genericBodies: string[] = [];
      const genericDecoder = new LibbpfRecordDecoder(LAYOUT, {
        event: (raw: RawEvent) => {
          const event = generic.enrich(raw);
          genericEvents.push(event);
          genericBuilder.add(event);
        },
        ready: () => {},
        lost: () => {},
        malformed: (reason) => {
          throw new Error(reason);
        },
      });

      const parts = new OpenEventParts();
      let fastBuilder = new BatchV2Builder();
      const fastBodies: string[] = [];
      let fastOpens = 0;
      const fastDecoder = new LibbpfRecordDecoder(LAYOUT, {
        event: (raw: RawEvent) => fastBuilder.add(fast.enrich(raw)),
        open: (rec: OpenRecord) => {
          fastOpens++;
          fast.enrichOpen(rec, parts);
          fastBuilder.addOpen(parts);
          return true;
        },
        ready: () => {},
        lost: () => {},
        malformed: (reason) => {
          throw new Error(reason);
        },
      });

      // Record by record, alternating, so both enrichers see the same moments (caches with a TTL).
      for (const [n, chunk] of chunks.entries()) {
        genericDecoder.push(chunk);
        fastDecoder.push(chunk);
        if (n % 400 === 399 || n === chunks.length - 1) {
          genericBodies.push(genericBuilder.finish(head));
          fastBodies.push(fastBuilder.finish(head));
          genericBuilder = new BatchV2Builder();
          fastBuilder = new BatchV2Builder();
        }
      }
      expect(fastOpens).toBe(opens);
      const fastEvents = fastBodies.flatMap(expand);
      const genericExpanded = genericBodies.flatMap(expand);
      expect(fastEvents).toHaveLength(chunks.length);
      expect(asJson(fastEvents)).toEqual(asJson(genericExpanded));
      expect(asJson(fastEvents)).toEqual(asJson(genericEvents));
      // The two paths share the batch tables: the bodies are the same text.
      expect(fastBodies).toEqual(genericBodies);
    });
  }

  for (const seed of [11, 12]) {
    it(`ships what the generic path ships in batch version 3 (seed ${seed})`, () => {
      const clock = new MonotonicClock();
      const generic = new Enricher({ clock });
      const fast = new Enricher({ clock });
      const { chunks, opens } = randomStream(seed, 1500);
      const head = { sensorId: 's', batchId: 'b', seq: 1 };
      const genericEvents: WireSyscallEvent[] = [];
      let genericBuilder = new BatchV3Builder();
      const genericBodies: Uint8Array[] = [];
      const genericDecoder = new LibbpfRecordDecoder(LAYOUT, {
        event: (raw: RawEvent) => {
          const event = generic.enrich(raw);
          genericEvents.push(event);
          genericBuilder.add(event);
        },
        ready: () => {},
        lost: () => {},
        malformed: (reason) => {
          throw new Error(reason);
        },
      });
      const parts = new OpenEventParts();
      let fastBuilder = new BatchV3Builder();
      const fastBodies: Uint8Array[] = [];
      let fastOpens = 0;
      const fastDecoder = new LibbpfRecordDecoder(LAYOUT, {
        event: (raw: RawEvent) => fastBuilder.add(fast.enrich(raw)),
        open: (rec: OpenRecord) => {
          fastOpens++;
          fast.enrichOpen(rec, parts);
          fastBuilder.addOpen(parts);
          return true;
        },
        ready: () => {},
        lost: () => {},
        malformed: (reason) => {
          throw new Error(reason);
        },
      });
      for (const [n, chunk] of chunks.entries()) {
        genericDecoder.push(chunk);
        fastDecoder.push(chunk);
        if (n % 400 === 399 || n === chunks.length - 1) {
          genericBodies.push(genericBuilder.finish(head));
          fastBodies.push(fastBuilder.finish(head));
          genericBuilder = new BatchV3Builder();
          fastBuilder = new BatchV3Builder();
        }
      }
      expect(fastOpens).toBe(opens);
      const fastEvents = fastBodies.flatMap(expandV3);
      expect(fastEvents).toHaveLength(chunks.length);
      expect(asJson(fastEvents)).toEqual(asJson(genericBodies.flatMap(expandV3)));
      expect(asJson(fastEvents)).toEqual(asJson(genericEvents));
      // The same bytes either way.
      expect(fastBodies.map((b) => Buffer.from(b).toString('hex'))).toEqual(
        genericBodies.map((b) => Buffer.from(b).toString('hex')),
      );
    });
  }

  it('decodes the record as a RawEvent when the consumer declines it', () => {
    const events: RawEvent[] = [];
    const offered: string[] = [];
    const decoder = new LibbpfRecordDecoder(LAYOUT, {
      event: (raw) => events.push(raw),
      open: (rec) => {
        offered.push(`${rec.type} ${rec.name} ${rec.dirfd} ${rec.flags} ${rec.mode}`);
        return false;
      },
      ready: () => {},
      lost: () => {},
      malformed: () => {},
    });
    const common = { pid: 42, tid: 43, ppid: 1, ts: 5n, cpu: 1, comm: 'cat', ret: 3n };
    decoder.push(record({ ...common, type: 2, ints: [-100n, 0o2000000n, 0o644n], str: '/etc/shadow' }));
    decoder.push(record({ ...common, type: 4, ints: [0o600n], str: '/tmp/new' }));
    expect(offered).toEqual(['openat /etc/shadow -100 524288 420', 'creat /tmp/new 0 0 384']);
    expect(events.map((e) => [e.type, e.strs.name, e.ints])).toEqual([
      ['openat', '/etc/shadow', { dirfd: -100, flags: 0o2000000, mode: 0o644 }],
      ['creat', '/tmp/new', { mode: 0o600 }],
    ]);
    expect(events[0]).toMatchObject({ pid: 42, tid: 43, ppid: 1, ret: 3, cpu: 1, comm: 'cat', monoNs: 5 });
  });
});
