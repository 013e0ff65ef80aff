// The collector's write-ahead spool on a real folder: durable puts, replay oldest first, items kept
// through an outage, undecodable items moved aside with a reason, and a stop that never waits out
// an idle period.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../ops/metrics.js';
import type { SubmitResult } from './types.js';
import type { WorkItem } from './work.js';
import { SpoolFullError, WorkSpool } from './work-spool.js';

const log = pino({ level: 'silent' });
let dir: string;

function item(id: string): WorkItem {
  return {
    kind: 'events',
    origin: { organizationId: 'org', environmentId: 'env', sensorId: 'sensor' },
    storeRaw: true,
    receivedAt: Date.now(),
    spoolOnOutage: true,
    events: [{ source: 'k8s_audit', event: { kind: 'Event', auditID: id }, ingestKey: id }],
  } as unknown as WorkItem;
}

function idOf(work: WorkItem): string {
  return work.kind === 'events' ? String(work.events[0]?.ingestKey) : '';
}

const stored = (n: number): SubmitResult => ({ accepted: n, duplicates: 0 }) as SubmitResult;

function spool(options: { maxBytes?: number } = {}) {
  return new WorkSpool({
    dir,
    maxBytes: options.maxBytes ?? 1 << 20,
    log,
    metrics: createMetrics({ defaults: false }),
    initialBackoffMs: 20,
    maxBackoffMs: 50,
  });
}

const items = async () => (await readdir(dir)).filter((f) => f.endsWith('.json'));

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), `peregrine-spool-test-${randomUUID().slice(0, 8)}-`));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('WorkSpool', () => {
  it('stops at once when stopped while its loop is still listing the folder (no minute-long idle)', async () => {
    const s = spool();
    await s.open();
    s.start(async () => stored(1));
    // The loop's first step is an asynchronous listing: stop before it completes.
    const began = performance.now();
    await s.stop();
    // Before the fix the loop went on to a 60 s idle that nothing woke.
    expect(performance.now() - began).toBeLessThan(10_000);
  }, 30_000);

  it('stores what was put, oldest first, and removes each file once stored', async () => {
    const s = spool();
    await s.open();
    for (const id of ['a', 'b', 'c']) await s.put(item(id));
    expect(await items()).toHaveLength(3);
    expect(s.depth).toBe(3);
    const seen: string[] = [];
    s.start(async (work) => {
      seen.push(idOf(work));
      return stored(1);
    });
    await vi.waitFor(() => expect(seen).toEqual(['a', 'b', 'c']));
    await vi.waitFor(async () => expect(await items()).toEqual([]));
    // The count drops just after the file's removal resolves: a listing may see the folder empty
    // first (clean-clone CI, 2026-12-07).
    await vi.waitFor(() => expect(s.depth).toBe(0));
    // Put while idle: woken, stored without waiting out the idle period.
    await s.put(item('d'));
    await vi.waitFor(() => expect(seen).toEqual(['a', 'b', 'c', 'd']), { timeout: 5_000 });
    await s.stop();
  });

  it('keeps items while the database is unavailable and stores them once it is back', async () => {
    const s = spool();
    await s.open();
    await s.put(item('x'));
    let up = false;
    let attempts = 0;
    s.start(async () => {
      attempts++;
      if (!up)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return stored(1);
    });
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(3));
    expect(await items()).toHaveLength(1);
    up = true;
    await vi.waitFor(async () => expect(await items()).toEqual([]));
    await s.stop();
  });

  it('moves an undecodable item to failed/ with its reason, and goes on with the next', async () => {
    const s = spool();
    await s.open();
    await s.put(item('good'));
    const [good] = await items();
    // An older, corrupt item (named to sort first).
    const bad = `0000000000001-000000-deadbeef.json`;
    await writeFile(path.join(dir, bad), '{not json');
    const reopened = spool();
    await s.stop();
    await reopened.open();
    expect(reopened.depth).toBe(2);
    const seen: string[] = [];
    reopened.start(async (work) => {
      seen.push(idOf(work));
      return stored(1);
    });
    await vi.waitFor(() => expect(seen).toEqual(['good']));
    await vi.waitFor(async () => expect(await items()).toEqual([]));
    expect(await readdir(path.join(dir, 'failed'))).toEqual([bad, `${bad}.reason`].sort());
    expect(await readFile(path.join(dir, 'failed', `${bad}.reason`), 'utf8')).toMatch(
      /cannot read spooled work/,
    );
    expect(good).toBeDefined();
    await reopened.stop();
  });

  it('refuses a put beyond its size with SpoolFullError, and holds one process per folder', async () => {
    const s = spool({ maxBytes: 300 });
    await s.open();
    await s.put(item('first'));
    await expect(s.put(item('second'))).rejects.toBeInstanceOf(SpoolFullError);
    await expect(spool().open()).rejects.toThrow();
    await s.stop();
  });
});
