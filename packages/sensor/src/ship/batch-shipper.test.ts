import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WireSyscallEvent } from '@peregrine/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CollectorPeer } from '../../test/collector-peer.js';
import { SensorStats } from '../sensor-stats.js';
import { encodeBatch } from './batch-encoding.js';
import { BatchShipper, type ShipperOptions, serializeEvents } from './batch-shipper.js';
import { DiskSpool } from './disk-spool.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, RetryingTransport } from './retrying-transport.js';
import { HttpEventTransport } from './transport.js';

function event(n: number): WireSyscallEvent {
  return {
    ts: String(1_700_000_000_000_000_000n + BigInt(n)),
    num: n,
    type: 'openat',
    dir: '<',
    res: 3,
    args: [['name', `/tmp/${n}`]],
    proc: { pid: 100, name: 'cat' },
  };
}

describe('BatchShipper against a collector peer over HTTP', () => {
  let peer: CollectorPeer;
  let dir: string;
  const shippers: BatchShipper[] = [];

  beforeEach(async () => {
    peer = new CollectorPeer();
    await peer.start();
    dir = mkdtempSync(join(tmpdir(), 'peregrine-spool-'));
  });

  afterEach(async () => {
    await Promise.all(shippers.splice(0).map((s) => s.shutdown(200)));
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function make(
    options: Partial<ShipperOptions> & { attempts?: number; key?: string; spoolBytes?: number } = {},
  ) {
    const stats = new SensorStats();
    const spool = new DiskSpool(join(dir, 'spool'), options.spoolBytes ?? 10 * 1024 * 1024);
    const transport = new RetryingTransport(
      new HttpEventTransport({ url: peer.url, key: options.key ?? peer.key, timeoutMs: 2000 }),
      {
        maxAttempts: options.attempts ?? 2,
        initialBackoffMs: 10,
        maxBackoffMs: 50,
      },
    );
    const shipper = new BatchShipper(transport, spool, stats, {
      sensorId: 'node-a',
      maxQueueSize: 1000,
      maxBatchSize: 10,
      flushIntervalMs: 60_000,
      maxPauseMs: 100,
      ...options,
    });
    shippers.push(shipper);
    return { shipper, stats, spool, transport };
  }

  it('sends full batches eagerly and the rest on flush, in order, gzip-compressed', async () => {
    const { shipper, stats } = make();
    for (let n = 1; n <= 25; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.batches).toHaveLength(2), { timeout: 5000, interval: 10 });
    expect(peer.batches.map((b) => b.events.length)).toEqual([10, 10]);
    await shipper.forceFlush();
    expect(peer.events.map((e) => e.num)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(peer.batches.map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(new Set(peer.batches.map((b) => b.batchId)).size).toBe(3);
    expect(stats.shipped).toBe(25);
  });

  it('flushes a partial batch from the timer', async () => {
    const { shipper } = make({ flushIntervalMs: 50 });
    shipper.offer(event(1));
    await vi.waitFor(() => expect(peer.events).toHaveLength(1), { timeout: 2000, interval: 10 });
  });

  it('counts queue overflow as drops instead of blocking', () => {
    const { shipper, stats } = make({ maxQueueSize: 5, maxBatchSize: 100 });
    const accepted = Array.from({ length: 8 }, (_, n) => shipper.offer(event(n)));
    expect(accepted.filter(Boolean)).toHaveLength(5);
    expect(stats.drops.queue).toBe(3);
    expect(shipper.queueDepth).toBe(5);
  });

  it('honours Retry-After on 429', async () => {
    const { shipper } = make({ attempts: 3 });
    peer.faults.push({ kind: 'status', status: 429, retryAfter: '1' });
    for (let n = 1; n <= 10; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.events).toHaveLength(10), { timeout: 5000, interval: 10 });
    const posts = peer.requests.filter((r) => r.path === '/v1/sensor/events');
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('spools while the collector is away and replays in order when it returns, losing nothing', async () => {
    const { shipper, spool, stats } = make();
    await peer.stop();
    for (let n = 1; n <= 35; n++) shipper.offer(event(n));
    await shipper.forceFlush();
    await vi.waitFor(() => expect(spool.count).toBe(4), { timeout: 5000, interval: 10 });
    expect(peer.events).toHaveLength(0);
    await peer.start();
    await vi.waitFor(() => expect(peer.events).toHaveLength(35), { timeout: 5000, interval: 10 });
    // The peer records a batch before the shipper has read the answer and removed its spool file.
    await vi.waitFor(
      () => {
        expect(stats.shipped).toBe(35);
        expect(spool.count).toBe(0);
      },
      { timeout: 5000, interval: 10 },
    );
    expect(peer.events.map((e) => e.num)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(spool.count).toBe(0);
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    expect(stats.shipped).toBe(35);
    expect(stats.totalDrops()).toBe(0);
  });

  it('keeps batchIds across a sensor restart and replays the spool of the previous run', async () => {
    const first = make();
    await peer.stop();
    for (let n = 1; n <= 20; n++) first.shipper.offer(event(n));
    await first.shipper.shutdown(300);
    const spooledIds = readdirSync(join(dir, 'spool')).map((f) =>
      f.split('_').slice(3).join('_').replace(/\.gz$/, ''),
    );
    expect(spooledIds).toHaveLength(2);
    await peer.start();
    const second = make();
    await vi.waitFor(() => expect(peer.events).toHaveLength(20), { timeout: 5000, interval: 10 });
    expect(peer.batches.map((b) => b.batchId)).toEqual(spooledIds);
    // The new run continues the sequence after the spooled batches.
    second.shipper.offer(event(21));
    await second.shipper.forceFlush();
    expect(peer.batches.at(-1)?.seq).toBe(3);
  });

  it('is at-least-once when an acknowledgement is lost: the resend is deduplicated by batchId', async () => {
    const { shipper, stats } = make({ attempts: 3 });
    peer.faults.push({ kind: 'lose-ack' });
    for (let n = 1; n <= 10; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.requests.filter((r) => r.status === 200)).toHaveLength(1), {
      timeout: 5000,
      interval: 10,
    });
    // The peer records its answer before the shipper has read it: wait for the shipper's side too.
    await vi.waitFor(() => expect(stats.shipped).toBe(10), { timeout: 5000, interval: 10 });
    expect(peer.events).toHaveLength(10);
    expect(peer.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(peer.batches).toHaveLength(1);
    expect(stats.shipped).toBe(10);
  });

  it('does not retry a refused key and counts the events as rejected', async () => {
    const { shipper, stats, spool } = make({ key: 'wrong' });
    for (let n = 1; n <= 10; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(stats.drops.rejected).toBe(10), { timeout: 5000, interval: 10 });
    expect(peer.requests).toHaveLength(1);
    expect(spool.count).toBe(0);
  });

  for (const version of [1, 2, 3] as const) {
    it(`splits a batch the collector finds too large (version ${version})`, async () => {
      const { shipper } = make({ batchVersion: version });
      const events = Array.from({ length: 10 }, (_, i) => event(i + 1));
      const head = { sensorId: 'node-a', batchId: 'node-a-xxxxxxxxxxxxxxxxxx-1', seq: 1 };
      // Between the size of the whole batch and that of its halves.
      peer.maxBodyBytes = Math.round(
        (encodeBatch(version, head, events).length + encodeBatch(version, head, events.slice(0, 5)).length) /
          2,
      );
      for (const e of events) shipper.offer(e);
      await vi.waitFor(() => expect(peer.events).toHaveLength(10), { timeout: 5000, interval: 10 });
      expect(peer.requests.some((r) => r.status === 413)).toBe(true);
      expect(peer.events.map((e) => e.num)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(peer.versions).toEqual([version, version]);
      expect(peer.batches.map((b) => b.batchId.slice(-4))).toEqual(['-1.0', '-1.1']);
    });
  }

  it('keeps a version-3 batch version 3 through the spool and a sensor restart', async () => {
    const first = make({ batchVersion: 3 });
    await peer.stop();
    for (let n = 1; n <= 20; n++) first.shipper.offer(event(n));
    await first.shipper.shutdown(300);
    const files = readdirSync(join(dir, 'spool'));
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/\.pgb3$/);
    await peer.start();
    make({ batchVersion: 2 });
    await vi.waitFor(() => expect(peer.events).toHaveLength(20), { timeout: 5000, interval: 10 });
    expect(peer.versions).toEqual([3, 3]);
    expect(peer.batches.map((b) => `${b.batchId}.pgb3`)).toEqual(
      files.map((f) => f.split('_').slice(3).join('_')),
    );
    expect(peer.events).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ source: 'syscall', ...event(i + 1) })),
    );
  });

  it('sends version 1, 2 or 3 bodies as told, with the same events', async () => {
    const { shipper } = make({ batchVersion: 1 });
    for (let n = 1; n <= 10; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.batches).toHaveLength(1), { timeout: 5000, interval: 10 });
    shipper.batchVersion = 2;
    for (let n = 11; n <= 20; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.batches).toHaveLength(2), { timeout: 5000, interval: 10 });
    shipper.batchVersion = 3;
    for (let n = 21; n <= 30; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.batches).toHaveLength(3), { timeout: 5000, interval: 10 });
    expect(peer.versions).toEqual([1, 2, 3]);
    // Versions 2 and 3 always say `source: 'syscall'` (the enricher's events always do).
    expect(peer.events).toEqual(
      Array.from({ length: 30 }, (_, i) => (i < 10 ? event(i + 1) : { source: 'syscall', ...event(i + 1) })),
    );
  });

  it('keeps several batches in flight and delivers every event', async () => {
    const { shipper, stats } = make({ maxInFlight: 3 });
    // Three hung requests: the next batches go out beside them instead of waiting.
    peer.faults.push({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    for (let n = 1; n <= 30; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(peer.maxConcurrentPosts).toBe(3), { timeout: 5000, interval: 10 });
    expect(shipper.queueDepth).toBe(0);
    // The hung requests time out (2 s), are retried (2nd attempt answered) and all arrive.
    await vi.waitFor(() => expect(stats.shipped).toBe(30), { timeout: 10_000, interval: 10 });
    expect(peer.events.map((e) => e.num).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const seqs = peer.batches.map((b) => b.seq);
    expect([...seqs].sort()).toEqual([1, 2, 3]);
  }, 15_000);

  it('bounds the spool by bytes, dropping the oldest batches and counting their events', async () => {
    await peer.stop();
    const { shipper, spool, stats } = make({ spoolBytes: 700 });
    for (let n = 1; n <= 50; n++) shipper.offer(event(n));
    await shipper.forceFlush();
    expect(spool.bytes).toBeLessThanOrEqual(700);
    expect(stats.drops.spool).toBeGreaterThan(0);
    expect(stats.drops.spool + spool.count * 10).toBe(50);
    await peer.start();
    await vi.waitFor(() => expect(spool.count).toBe(0), { timeout: 5000, interval: 10 });
    // What survived is the newest events, still in order.
    const nums = peer.events.map((e) => e.num ?? 0);
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    expect(nums.at(-1)).toBe(50);
  });

  it('shuts down within its deadline against a hung collector and keeps the batch on disk', async () => {
    const { shipper, spool } = make({ maxInFlight: 1 });
    peer.faults.push({ kind: 'hang' });
    for (let n = 1; n <= 10; n++) shipper.offer(event(n));
    await vi.waitFor(
      () => {
        expect(peer.requests).toHaveLength(0);
        expect(shipper.queueDepth).toBe(0);
      },
      { timeout: 5000, interval: 10 },
    );
    shipper.offer(event(11));
    const started = Date.now();
    await Promise.all([shipper.shutdown(300), shipper.shutdown(300)]);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(spool.count).toBe(2);
    expect(shipper.offer(event(12))).toBe(false);
  });

  it('sends and writes nothing once shutdown has resolved past its deadline', async () => {
    const { shipper, spool } = make({ maxInFlight: 1, attempts: 1 });
    peer.faults.push({ kind: 'hang' });
    for (let n = 1; n <= 25; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(shipper.queueDepth).toBe(15), { timeout: 5000, interval: 10 });
    await shipper.shutdown(200);
    const files = readdirSync(join(dir, 'spool')).sort();
    expect(spool.count).toBe(3);
    // The hung send now fails; before the fix the pump, still running, replayed the spool.
    peer.releaseHung(503);
    await vi.waitFor(() => expect(peer.requests.filter((r) => r.path.endsWith('/events'))).toHaveLength(1), {
      timeout: 5000,
      interval: 10,
    });
    // Absence can only be shown over a window: the old pump resent within one round trip (~5 ms).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peer.requests.filter((r) => r.path.endsWith('/events'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'spool')).sort()).toEqual(files);
  });

  it('at shutdown, spools a hung batch while the batch beside it is delivered', async () => {
    const { shipper, spool } = make();
    peer.faults.push({ kind: 'hang' });
    for (let n = 1; n <= 10; n++) shipper.offer(event(n));
    await vi.waitFor(() => expect(shipper.queueDepth).toBe(0), { timeout: 5000, interval: 10 });
    shipper.offer(event(11));
    await shipper.shutdown(300);
    expect(spool.count).toBe(1);
    expect(peer.events.map((e) => e.num)).toEqual([11]);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially within the jitter band and honours a larger Retry-After', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 1000, jitter: 0.2 };
    expect(backoffDelay(policy, 1, undefined, () => 0)).toBe(80);
    expect(backoffDelay(policy, 1, undefined, () => 1)).toBe(120);
    expect(backoffDelay(policy, 3, undefined, () => 0.5)).toBe(400);
    expect(backoffDelay(policy, 10, undefined, () => 0.5)).toBe(1000);
    expect(backoffDelay(policy, 1, 5000, () => 0.5)).toBe(5000);
  });
});

describe('serializeEvents', () => {
  it('produces the same JSON values as JSON.stringify, sharing repeated proc objects', () => {
    const proc = { pid: 7, name: 'sh', args: ['-c', 'a\tb'], ancestors: [{ pid: 1, name: 'init' }] };
    const events: WireSyscallEvent[] = [
      { ...event(1), proc },
      { ...event(2), proc, res: undefined },
      {
        ...event(3),
        args: [
          ['name', '/x"y\\z\n\u0001'],
          ['bad', 'lone \ud800 surrogate'],
          ['uni', 'héllo ✓'],
        ],
        fd: {
          num: 3,
          type: 'ipv4',
          name: '1.2.3.4:5->6.7.8.9:10',
          cport: 5,
          isClient: true,
          connected: false,
          ino: undefined,
        },
        container: { id: 'a'.repeat(64), privileged: false, mounts: [] },
        k8s: { podName: 'p', labels: { 'app.kubernetes.io/name': 'x' } },
      },
    ];
    expect(JSON.parse(`[${serializeEvents(events)}]`)).toEqual(JSON.parse(JSON.stringify(events)));
  });
});
