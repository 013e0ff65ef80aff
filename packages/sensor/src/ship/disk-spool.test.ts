import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool } from './disk-spool.js';
import type { EncodedBatch } from './transport.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'peregrine-spool-test-'));
  dirs.push(d);
  return d;
}
const batch = (seq: number, bytes = 100, count = 10): EncodedBatch => ({
  batchId: `b-${seq}`,
  seq,
  count,
  body: Buffer.alloc(bytes, seq),
});

describe('DiskSpool', () => {
  it('replays batches oldest first, byte for byte, also after a restart', () => {
    const dir = folder();
    const spool = new DiskSpool(dir, 10_000);
    for (const seq of [5, 6, 7]) spool.append(batch(seq));
    const reopened = new DiskSpool(dir, 10_000);
    expect(reopened.count).toBe(3);
    expect(reopened.bytes).toBe(300);
    expect(reopened.maxSeq()).toBe(7);
    const seen: number[] = [];
    for (let e = reopened.peek(); e; e = reopened.peek()) {
      const b = reopened.read(e);
      expect(b.body.equals(batch(b.seq).body)).toBe(true);
      seen.push(b.seq);
      reopened.remove(e);
    }
    expect(seen).toEqual([5, 6, 7]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps arrival order across restarts even when a restarted sensor starts its seq again', () => {
    const dir = folder();
    new DiskSpool(dir, 10_000).append(batch(40));
    const after = new DiskSpool(dir, 10_000);
    after.append(batch(1));
    const again = new DiskSpool(dir, 10_000);
    expect(again.read(again.peek()!).seq).toBe(40);
  });

  it('discards the oldest batches past its byte bound and counts their events', () => {
    const spool = new DiskSpool(folder(), 250);
    spool.append(batch(1));
    spool.append(batch(2));
    spool.append(batch(3));
    expect(spool.count).toBe(2);
    expect(spool.read(spool.peek()!).seq).toBe(2);
    expect([spool.droppedBatches, spool.droppedEvents]).toEqual([1, 10]);
    // A batch larger than the whole spool is counted and not written.
    spool.append(batch(4, 1000, 7));
    expect([spool.count, spool.droppedBatches, spool.droppedEvents]).toEqual([2, 2, 17]);
  });

  it('forgets a half-written batch left by a crash (never acknowledged, never complete)', () => {
    const dir = folder();
    new DiskSpool(dir, 10_000).append(batch(1));
    writeFileSync(join(dir, '0000000000000002_2_10_b-2.gz.tmp'), 'partial');
    const spool = new DiskSpool(dir, 10_000);
    expect(spool.count).toBe(1);
    expect(existsSync(join(dir, '0000000000000002_2_10_b-2.gz.tmp'))).toBe(false);
  });
});
