import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { BpftraceRecordAssembler, type RawEvent } from '../src/capture/bpftrace-records.js';
import { Enricher } from '../src/enrich/enricher.js';
import { serializeEvents } from '../src/ship/batch-shipper.js';

const gzip = promisify(gzipCb);

/**
 * CPU cost per event of each userspace stage (parse bpftrace JSON records, enrich, serialise,
 * gzip), measured with process.cpuUsage on synthetic openat records of this very process, so the
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
  results.push(['parse records', (cpu() - t) / events]);

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
  results.push(['total', results.reduce((sum, [, us]) => sum + us, 0)]);
  return results;
}
