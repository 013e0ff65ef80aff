import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_POLICY, RetryingTransport } from './retrying-transport.js';
import { type EncodedBatch, HttpEventTransport } from './transport.js';

/** A collector stand-in on loopback that answers each request with the next scripted status. */
async function collector(script: { status: number; retryAfter?: string }[]) {
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      seen.push(String(req.headers['x-peregrine-batch-id']));
      const step = script[Math.min(seen.length - 1, script.length - 1)]!;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (step.retryAfter) headers['retry-after'] = step.retryAfter;
      res.writeHead(step.status, headers);
      res.end(
        step.status === 200
          ? JSON.stringify({ accepted: 1, duplicate: false, rejected: [] })
          : JSON.stringify({ error: { code: 'X', message: 'scripted' } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const batch: EncodedBatch = { batchId: 'b-1', seq: 1, count: 1, body: gzipSync('{}') };

/** Records the waits instead of sleeping them (the policy is what is under test, not the clock). */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('RetryingTransport over HTTP', () => {
  it('sends the same batch again after 503/429 until the collector takes it, honouring Retry-After', async () => {
    const c = await collector([{ status: 503, retryAfter: '7' }, { status: 429 }, { status: 200 }]);
    const { waits, sleep } = recordingSleep();
    const t = new RetryingTransport(new HttpEventTransport({ url: c.url, key: 'k' }), { jitter: 0 }, sleep);
    const result = await t.send(batch);
    expect(result.kind).toBe('success');
    expect(c.seen).toEqual(['b-1', 'b-1', 'b-1']);
    // First wait: Retry-After (7 s) beats the 1 s backoff; second: the doubled backoff.
    expect(waits).toEqual([7000, 2000]);
  });

  it('gives the retryable result back after the last attempt, so the sensor can spool the batch', async () => {
    const c = await collector([{ status: 503 }]);
    const { waits, sleep } = recordingSleep();
    const t = new RetryingTransport(
      new HttpEventTransport({ url: c.url, key: 'k' }),
      { maxAttempts: 3 },
      sleep,
    );
    const result = await t.send(batch);
    expect(result.kind).toBe('retryable');
    expect(c.seen).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('never retries a failure (bad key, invalid body)', async () => {
    const c = await collector([{ status: 401 }]);
    const { waits, sleep } = recordingSleep();
    const t = new RetryingTransport(new HttpEventTransport({ url: c.url, key: 'k' }), {}, sleep);
    expect(await t.send(batch)).toMatchObject({ kind: 'failure', code: 'unauthorized' });
    expect(c.seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('retries an unreachable collector, and stops waiting at once when aborted (shutdown)', async () => {
    // A port nothing listens on: connection refused.
    const c = await collector([{ status: 200 }]);
    const closedUrl = c.url;
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    const t = new RetryingTransport(new HttpEventTransport({ url: closedUrl, key: 'k' }), {
      initialBackoffMs: 60_000,
    });
    const pending = t.send(batch);
    setTimeout(() => t.abort(), 100);
    const started = Date.now();
    const result = await pending;
    expect(result).toMatchObject({ kind: 'retryable', error: expect.stringMatching(/unreachable/) });
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, jittered within the configured fraction', () => {
    const p = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(p, a))).toEqual([1000, 2000, 4000, 8000, 16000, 16000]);
    const low = backoffDelay(DEFAULT_RETRY_POLICY, 1, undefined, () => 0);
    const high = backoffDelay(DEFAULT_RETRY_POLICY, 1, undefined, () => 1);
    expect([low, high]).toEqual([800, 1200]);
  });
});
