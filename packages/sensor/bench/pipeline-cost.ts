import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { WireSyscallEvent } from '@peregrine/protocol';
import { BpftraceRecordAssembler, type RawEvent } from '../src/capture/bpftrace-records.js';
import {
  HEADER_SIZE,
  LibbpfRecordDecoder,
  parseLayout,
  RECORD_MAGIC,
  RECORD_OFFSETS,
} from '../src/capture/libbpf-records.js';
import { Enricher } from '../src/enrich/enricher.js';
import { OpenEventParts } from '../src/enrich/open-event.js';
import {
  BatchV2Builder,
  BatchV3Builder,
  encodeBatchV1,
  encodeBatchV2,
  encodeBatchV3,
} from '../src/ship/batch-encoding.js';

const gzip = promisify(gzipCb);
const BATCH = 2000;

/** Synthetic openat records of this very process, as bpftrace's JSON lines. */
function bpftraceLines(events: number, threads: number): string[] {
  const US = '\x1f';
  const lines: string[] = [];
  for (let n = 0; n < events; n++) {
    const tid = process.pid + (n % threads);
    const header = [
      'openat',
      1,
      String(1_000_000_000 + n),
      0,
      process.pid,
      tid,
      process.ppid,
      0,
      0,
      5,
      -100,
      524288,
      0,
      'node',
    ].join(US);
    lines.push(JSON.stringify({ type: 'printf', data: `${header}\n` }));
    lines.push(
      JSON.stringify({ type: 'printf', data: `S${US}${tid}${US}/var/lib/app/data/file-${n % 100}.json\n` }),
    );
  }
  return lines;
}

/** The same events as peregrine-capture's records, in 64 KiB chunks as a pipe delivers them. */
function libbpfChunks(events: number, threads: number): Buffer[] {
  const records: Buffer[] = [];
  for (let n = 0; n < events; n++) {
    const path = Buffer.from(`/var/lib/app/data/file-${n % 100}.json`);
    const rec = Buffer.alloc(HEADER_SIZE + path.length);
    rec.writeUInt32LE(rec.length, 0);
    rec.writeUInt16LE(RECORD_MAGIC, 4);
    rec.writeUInt16LE(2, 6);
    rec.writeBigUInt64LE(BigInt(1_000_000_000 + n), 8);
    rec.writeUInt32LE(process.pid, 20);
    rec.writeUInt32LE(process.pid + (n % threads), 24);
    rec.writeUInt32LE(process.ppid, 28);
    rec.writeBigInt64LE(5n, 40);
    rec.writeBigInt64LE(-100n, 48);
    rec.writeBigInt64LE(524288n, 56);
    rec.write('node', 152, 'latin1');
    rec.writeUInt16LE(path.length, RECORD_OFFSETS.slen);
    rec[RECORD_OFFSETS.nstr] = 1;
    path.copy(rec, HEADER_SIZE);
    records.push(rec);
  }
  const stream = Buffer.concat(records);
  const chunks: Buffer[] = [];
  for (let n = 0; n < stream.length; n += 65536) chunks.push(stream.subarray(n, n + 65536));
  return chunks;
}

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Per-event CPU (µs) of each stage, and the body bytes per event, for one scenario. */
export interface PipelineCost {
  scenario: string;
  stages: Array<[stage: string, usPerEvent: number]>;
  bytesPerEvent: { v1: number; v2: number; v3: number; v1Gzip: number; v2Gzip: number; v3Gzip: number };
}

/**
 * CPU cost per event of each userspace stage, measured with process.cpuUsage on synthetic openat
 * records of this very process (so the figures do not depend on kernel load): parse bpftrace's
 * JSON records or decode peregrine-capture's binary records, enrich, serialise a batch (version 1,
 * 2 and 3 bodies) and gzip it (level 1, on the thread pool as the shipper does; its CPU is
 * this process's all the same). Events stream through in batches of 2,000 as in the sensor, so
 * garbage collection is charged where the sensor pays it, not for a heap of 100k retained events.
 * `threads` > 1 spreads the events over that many thread ids of one process.
 */
export async function measurePipelineCost(events = 100_000, threads = 1): Promise<PipelineCost> {
  const t: Record<string, number> = {
    parse: 0,
    decode: 0,
    enrich: 0,
    v1: 0,
    v2: 0,
    v3: 0,
    v1Gzip: 0,
    v2Gzip: 0,
    v3Gzip: 0,
  };
  const bytes = { v1: 0, v2: 0, v3: 0, v1Gzip: 0, v2Gzip: 0, v3Gzip: 0 };

  // Parsing bpftrace's lines, on its own (its events are not used further).
  const lines = bpftraceLines(events, threads);
  let start = cpu();
  const assembler = new BpftraceRecordAssembler();
  let parsed = 0;
  for (const line of lines) if (assembler.push(line).kind === 'event') parsed++;
  t.parse = cpu() - start;
  if (parsed !== events) throw new Error(`parsed ${parsed} of ${events} records`);

  const chunks = libbpfChunks(events, threads);
  let pending: RawEvent[] = [];
  const decoder = new LibbpfRecordDecoder(parseLayout('2 openat|dirfd flags mode|name'), {
    event: (raw) => {
      pending.push(raw);
    },
    ready: () => {},
    lost: () => {},
    malformed: () => {},
  });
  const enricher = new Enricher();
  let queue: WireSyscallEvent[] = [];
  let seq = 0;
  const ship = async (batch: WireSyscallEvent[]) => {
    seq++;
    const head = { sensorId: 'bench', batchId: `bench-${seq}`, seq };
    start = cpu();
    const v1 = encodeBatchV1(head, batch);
    t.v1 = (t.v1 ?? 0) + cpu() - start;
    start = cpu();
    const v2 = encodeBatchV2(head, batch);
    t.v2 = (t.v2 ?? 0) + cpu() - start;
    start = cpu();
    const v3 = encodeBatchV3(head, batch);
    t.v3 = (t.v3 ?? 0) + cpu() - start;
    start = cpu();
    const z3 = await gzip(v3, { level: 1 });
    t.v3Gzip = (t.v3Gzip ?? 0) + cpu() - start;
    bytes.v3 += v3.length;
    bytes.v3Gzip += z3.length;
    start = cpu();
    const z1 = await gzip(v1, { level: 1 });
    t.v1Gzip = (t.v1Gzip ?? 0) + cpu() - start;
    start = cpu();
    const z2 = await gzip(v2, { level: 1 });
    t.v2Gzip = (t.v2Gzip ?? 0) + cpu() - start;
    bytes.v1 += v1.length;
    bytes.v2 += v2.length;
    bytes.v1Gzip += z1.length;
    bytes.v2Gzip += z2.length;
  };
  for (const chunk of chunks) {
    start = cpu();
    decoder.push(chunk);
    t.decode = (t.decode ?? 0) + cpu() - start;
    start = cpu();
    for (const raw of pending) queue.push(enricher.enrich(raw));
    t.enrich = (t.enrich ?? 0) + cpu() - start;
    pending = [];
    while (queue.length >= BATCH) {
      await ship(queue.slice(0, BATCH));
      queue = queue.slice(BATCH);
    }
  }
  if (queue.length > 0) await ship(queue);

  // The open family's fast path (as the sensor ships to a version-2 or -3 collector): records
  // straight to batch rows (Enricher.enrichOpen, BatchV2Builder/BatchV3Builder.addOpen),
  // serialised; no gzip.
  for (const version of [2, 3] as const) {
    const fastEnricher = new Enricher();
    const parts = new OpenEventParts();
    const make = () => (version === 2 ? new BatchV2Builder() : new BatchV3Builder());
    let builder = make();
    let fastSeq = 0;
    const fastDecoder = new LibbpfRecordDecoder(parseLayout('2 openat|dirfd flags mode|name'), {
      event: () => {
        throw new Error('every record here is an openat');
      },
      open: (record) => {
        fastEnricher.enrichOpen(record, parts);
        builder.addOpen(parts);
        if (builder.size >= BATCH) {
          fastSeq++;
          builder.finish({ sensorId: 'bench', batchId: `fast-${fastSeq}`, seq: fastSeq });
          builder = make();
        }
        return true;
      },
      ready: () => {},
      lost: () => {},
      malformed: () => {},
    });
    start = cpu();
    for (const chunk of chunks) fastDecoder.push(chunk);
    if (builder.size > 0) builder.finish({ sensorId: 'bench', batchId: 'fast-last', seq: fastSeq + 1 });
    t[`fast${version}`] = cpu() - start;
  }

  const us = (key: string) => (t[key] ?? 0) / events;
  const common = us('decode') + us('enrich');
  return {
    scenario: threads === 1 ? 'one thread' : `${threads} threads of one process`,
    stages: [
      ['parse (bpftrace)', us('parse')],
      ['decode (libbpf)', us('decode')],
      ['enrich', us('enrich')],
      ['serialise v1', us('v1')],
      ['gzip v1', us('v1Gzip')],
      ['serialise v2', us('v2')],
      ['gzip v2', us('v2Gzip')],
      ['serialise v3', us('v3')],
      ['gzip v3', us('v3Gzip')],
      ['total libbpf + v1', common + us('v1') + us('v1Gzip')],
      ['total libbpf + v2', common + us('v2') + us('v2Gzip')],
      ['total libbpf + v3', common + us('v3') + us('v3Gzip')],
      ['decode+enrich+v2', common + us('v2')],
      ['same, open fast path', us('fast2')],
      ['decode+enrich+v3', common + us('v3')],
      ['same, open fast path', us('fast3')],
    ],
    bytesPerEvent: {
      v1: bytes.v1 / events,
      v2: bytes.v2 / events,
      v3: bytes.v3 / events,
      v1Gzip: bytes.v1Gzip / events,
      v2Gzip: bytes.v2Gzip / events,
      v3Gzip: bytes.v3Gzip / events,
    },
  };
}

/** Prints the cost table of each scenario (`node dist-bench/bench/pipeline-cost.js`). */
export async function printPipelineCost(rounds = 3): Promise<void> {
  for (const threads of [1, 4]) {
    const runs: PipelineCost[] = [];
    for (let r = 0; r < rounds; r++) runs.push(await measurePipelineCost(100_000, threads));
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    console.log(`\nuserspace cost per event, ${runs[0]?.scenario}, median of ${rounds} x 100k openat:`);
    for (const [i, [stage]] of (runs[0]?.stages ?? []).entries())
      console.log(`  ${stage.padEnd(20)} ${median(runs.map((r) => r.stages[i]?.[1] ?? 0)).toFixed(2)} us`);
    const b = runs[0]!.bytesPerEvent;
    console.log(
      `  body bytes/event      v1 ${b.v1.toFixed(0)} (gzip ${b.v1Gzip.toFixed(1)}), v2 ${b.v2.toFixed(0)} (gzip ${b.v2Gzip.toFixed(1)}), v3 ${b.v3.toFixed(0)} (gzip ${b.v3Gzip.toFixed(1)})`,
    );
  }
}

if (process.argv[1]?.endsWith('pipeline-cost.js'))
  await printPipelineCost(Number(process.env.BENCH_ROUNDS ?? 3));
