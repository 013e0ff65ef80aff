import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { BpftraceRecordAssembler, type RawEvent } from '../src/capture/bpftrace-records.js';
import {
  HEADER_SIZE,
  LibbpfRecordDecoder,
  parseLayout,
  RECORD_MAGIC,
} from '../src/capture/libbpf-records.js';
import { Enricher } from '../src/enrich/enricher.js';
import { serializeEvents } from '../src/ship/batch-shipper.js';

const gzip = promisify(gzipCb);

/**
 * CPU cost per event of each userspace stage (parse bpftrace JSON records or decode
 * peregrine-capture's binary records, enrich, serialise, gzip), measured with process.cpuUsage on synthetic openat records of this very process, so the
 * figures do not depend on kernel load or on what else runs on the machine.
 */
export async function measurePipelineCost(
  events = 100_000,
): Promise<Array<[stage: string, usPerEvent: number]>> {
  const US = '\x1f';
  const lines: string[] = [];
  for (let n = 0; n < events; n++) {
    const header = [
      'openat',
      1,
      String(1_000_000_000 + n),
      0,
      process.pid,
      process.pid,
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
      JSON.stringify({
        type: 'printf',
        data: `S${US}${process.pid}${US}/var/lib/app/data/file-${n % 100}.json\n`,
      }),
    );
  }
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const results: Array<[string, number]> = [];

  let t = cpu();
  const assembler = new BpftraceRecordAssembler();
  const raws: RawEvent[] = [];
  for (const line of lines) {
    const r = assembler.push(line);
    if (r.kind === 'event') raws.push(r.event);
  }
  results.push(['parse (bpftrace)', (cpu() - t) / events]);

  // The same events as peregrine-capture's records, in 64 KiB chunks as a pipe delivers them.
  const records: Buffer[] = [];
  for (let n = 0; n < events; n++) {
    const path = Buffer.from(`/var/lib/app/data/file-${n % 100}.json`);
    const rec = Buffer.alloc(HEADER_SIZE + path.length);
    rec.writeUInt32LE(rec.length, 0);
    rec.writeUInt16LE(RECORD_MAGIC, 4);
    rec.writeUInt16LE(2, 6);
    rec.writeBigUInt64LE(BigInt(1_000_000_000 + n), 8);
    rec.writeUInt32LE(process.pid, 20);
    rec.writeUInt32LE(process.pid, 24);
    rec.writeUInt32LE(process.ppid, 28);
    rec.writeBigInt64LE(5n, 40);
    rec.writeBigInt64LE(-100n, 48);
    rec.writeBigInt64LE(524288n, 56);
    rec.write('node', 152, 'latin1');
    rec.writeUInt16LE(path.length, 168);
    rec[174] = 1;
    path.copy(rec, HEADER_SIZE);
    records.push(rec);
  }
  const stream = Buffer.concat(records);
  const chunks: Buffer[] = [];
  for (let n = 0; n < stream.length; n += 65536) chunks.push(stream.subarray(n, n + 65536));
  let decoded = 0;
  t = cpu();
  const decoder = new LibbpfRecordDecoder(parseLayout('2 openat|dirfd flags mode|name'), {
    event: () => {
      decoded++;
    },
    ready: () => {},
    lost: () => {},
    malformed: () => {},
  });
  for (const chunk of chunks) decoder.push(chunk);
  results.push(['decode (libbpf)', (cpu() - t) / events]);
  if (decoded !== events) throw new Error(`decoded ${decoded} of ${events} records`);

  t = cpu();
  const enricher = new Enricher();
  const enriched = raws.map((raw) => enricher.enrich(raw));
  results.push(['enrich', (cpu() - t) / events]);

  t = cpu();
  const batches: string[] = [];
  for (let i = 0; i < enriched.length; i += 2000)
    batches.push(`[${serializeEvents(enriched.slice(i, i + 2000))}]`);
  results.push(['serialise (JSON)', (cpu() - t) / events]);

  t = cpu();
  for (const batch of batches) await gzip(batch, { level: 1 });
  results.push(['gzip level 1', (cpu() - t) / events]);
  const rest = results.slice(2).reduce((sum, [, us]) => sum + us, 0);
  results.push(['total (bpftrace)', (results[0]?.[1] ?? 0) + rest]);
  results.push(['total (libbpf)', (results[1]?.[1] ?? 0) + rest]);
  return results;
}
