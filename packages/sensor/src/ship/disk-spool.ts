import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { SENSOR_BATCH_V3_CONTENT_TYPE } from '@peregrine/protocol';
import type { EncodedBatch } from './transport.js';

/** One spooled batch on disk. */
export interface SpoolEntry {
  file: string;
  batchId: string;
  seq: number;
  count: number;
  bytes: number;
  /** Content type of the body (absent: JSON). */
  contentType?: string;
}

// <order:16 digits>_<seq>_<count>_<batchId>.gz (JSON) or .pgb3 (version 3, gzip too); `order` is
// spool-wide so replay keeps arrival order even across sensor restarts (whose batch seq restart).
const NAME = /^(\d{16})_(\d+)_(\d+)_([A-Za-z0-9._-]+)\.(gz|pgb3)$/;
const V3_SUFFIX = 'pgb3';

/**
 * Batches waiting for the collector, one gzip file each, replayed oldest first. Bounded by bytes:
 * appending past the bound discards the oldest batches and counts their events. Files are written
 * to a temporary name and renamed, so a crash never leaves a half batch that would be replayed.
 */
export class DiskSpool {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #entries: SpoolEntry[] = [];
  #bytes = 0;
  #order = 0;
  /** Events discarded because the spool was full. */
  droppedEvents = 0;
  droppedBatches = 0;

  constructor(dir: string, maxBytes: number) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir).sort()) {
      const match = NAME.exec(name);
      if (!match) {
        // A temporary file from a crash mid-write: never acknowledged, never complete.
        if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
        continue;
      }
      const bytes = statSync(join(dir, name)).size;
      const entry: SpoolEntry = {
        file: name,
        seq: Number(match[2]),
        count: Number(match[3]),
        batchId: match[4] ?? '',
        bytes,
      };
      if (match[5] === V3_SUFFIX) entry.contentType = SENSOR_BATCH_V3_CONTENT_TYPE;
      this.#entries.push(entry);
      this.#bytes += bytes;
      this.#order = Math.max(this.#order, Number(match[1]));
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  get count(): number {
    return this.#entries.length;
  }

  /** Highest batch seq on disk (a restarted sensor continues after it). */
  maxSeq(): number {
    return this.#entries.reduce((max, e) => Math.max(max, e.seq), 0);
  }

  /** Stores a batch; discards the oldest ones first when over the byte bound. */
  append(batch: EncodedBatch): void {
    const size = batch.body.length;
    if (size > this.#maxBytes) {
      this.droppedEvents += batch.count;
      this.droppedBatches++;
      return;
    }
    while (this.#bytes + size > this.#maxBytes && this.#entries.length > 0) {
      const oldest = this.#entries[0]!;
      this.remove(oldest);
      this.droppedEvents += oldest.count;
      this.droppedBatches++;
    }
    this.#order++;
    const v3 = batch.contentType === SENSOR_BATCH_V3_CONTENT_TYPE;
    const file = `${String(this.#order).padStart(16, '0')}_${batch.seq}_${batch.count}_${batch.batchId}.${v3 ? V3_SUFFIX : 'gz'}`;
    const tmp = join(this.#dir, `${file}.tmp`);
    writeFileSync(tmp, batch.body);
    renameSync(tmp, join(this.#dir, file));
    const entry: SpoolEntry = {
      file,
      batchId: batch.batchId,
      seq: batch.seq,
      count: batch.count,
      bytes: size,
    };
    if (v3) entry.contentType = SENSOR_BATCH_V3_CONTENT_TYPE;
    this.#entries.push(entry);
    this.#bytes += size;
  }

  /** The oldest batch, or undefined when empty. */
  peek(): SpoolEntry | undefined {
    return this.#entries[0];
  }

  /** Reads a spooled batch back. */
  read(entry: SpoolEntry): EncodedBatch {
    const batch: EncodedBatch = {
      batchId: entry.batchId,
      seq: entry.seq,
      count: entry.count,
      body: readFileSync(join(this.#dir, entry.file)),
    };
    if (entry.contentType !== undefined) batch.contentType = entry.contentType;
    return batch;
  }

  /** Forgets a batch (after the collector acknowledged it, or when discarded). */
  remove(entry: SpoolEntry): void {
    const index = this.#entries.indexOf(entry);
    if (index < 0) return;
    this.#entries.splice(index, 1);
    this.#bytes -= entry.bytes;
    try {
      unlinkSync(join(this.#dir, entry.file));
    } catch {
      // Already gone (removed by hand): the bookkeeping above is what matters.
    }
  }
}
