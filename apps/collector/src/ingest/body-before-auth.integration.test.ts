/**
 * Attack (memory exhaustion without credentials): large bodies sent to ingest routes by someone
 * who has no token, no key, names a source that does not exist or sends no signature. The
 * collector read whole GitHub bodies (up to 25 MB) before checking anything: 40 parallel 24 MB
 * requests to a non-existent id took it from 183 MB to 1.46 GB. Every route must answer from the
 * headers alone, while the sender is still sending; bodies that can only be verified once read
 * (GitHub signatures) are read within a bounded budget.
 */
import { createCloudSource } from '@peregrine/db';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../app.js';
import { createWorld, type World } from '../testing/world.js';

const MB = 1024 * 1024;

interface EarlyAnswer {
  status: number;
  retryAfter: string | undefined;
  /** Body bytes the client had sent when the answer came. */
  sent: number;
}

/**
 * Declares a `declared`-byte body, sends its first `sendFirst` bytes and then nothing more: the
 * answer must come without the rest. Rejects when the server waits for the body instead.
 */
function postWithoutTheBody(
  url: string,
  headers: Record<string, string>,
  declared: number,
  sendFirst = MB,
  waitMs = 5_000,
): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declared), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${waitMs} ms: the server waited for the ${declared}-byte body`));
    }, waitMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      const answer = { status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string, sent };
      res.resume();
      req.destroy();
      resolve(answer);
    });
    req.on('error', (err) => {
      // The server may close the connection after answering; the answer already settled the promise.
      if (!timer.hasRef()) return;
      clearTimeout(timer);
      reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (sent < sendFirst) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

describe('ingest routes refuse unauthenticated bodies before reading them', () => {
  let world: World;
  let collector: Collector;
  let base: string;
  let githubId: string;
  let disabledGithubId: string;
  let oktaId: string;

  beforeAll(async () => {
    world = await createWorld('body_before_auth');
    const secretKey = Buffer.alloc(32, 7);
    const add = async (kind: 'github' | 'okta', enabled = true) => {
      const { source } = await createCloudSource(world.db, {
        organizationId: world.organizationId,
        environmentId: world.environmentId,
        kind,
        name: `${kind}-${Math.random()}`,
        config: {},
        ...(kind === 'github' ? { secrets: { webhookSecret: 'hook-secret' }, secretKey } : {}),
        issueToken: kind === 'okta',
      });
      if (!enabled) await world.db.prisma.cloudSource.update({ where: { id: source.id }, data: { enabled } });
      return source.id;
    };
    githubId = await add('github');
    disabledGithubId = await add('github', false);
    oktaId = await add('okta');
    // 4 MiB of unverified bodies on the GitHub route, 2 MiB for one peer.
    collector = await world.collector({
      PEREGRINE_SECRET_KEY: secretKey.toString('base64'),
      COLLECTOR_UNVERIFIED_BODY_MB: '4',
    });
    base = await collector.start();
  }, 120_000);
  afterAll(async () => {
    await collector?.stop();
    await world?.close();
  });

  it('GitHub: a non-existent or disabled source, or no signature, is answered from the headers', async () => {
    const signed = { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-github-event': 'push' };
    const unknown = await postWithoutTheBody(
      `${base}/ingest/github/00000000-0000-0000-0000-000000000000`,
      signed,
      24 * MB,
    );
    expect(unknown.status).toBe(404);
    const disabled = await postWithoutTheBody(`${base}/ingest/github/${disabledGithubId}`, signed, 24 * MB);
    expect(disabled.status).toBe(404);
    const unsigned = await postWithoutTheBody(
      `${base}/ingest/github/${githubId}`,
      { 'x-github-event': 'push' },
      24 * MB,
    );
    expect(unsigned.status).toBe(401);
  });

  it('GitHub: signed-looking bodies beyond the unverified budget get 429 + Retry-After at once', async () => {
    const headers = { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-github-event': 'push' };
    // The first holds 1.5 MiB of this peer's 2 MiB while it is (slowly) being read.
    const first = postWithoutTheBody(
      `${base}/ingest/github/${githubId}`,
      headers,
      1.5 * MB,
      64 * 1024,
      1_500,
    );
    await new Promise((r) => setTimeout(r, 200));
    const second = await postWithoutTheBody(`${base}/ingest/github/${githubId}`, headers, 1.5 * MB);
    expect(second.status).toBe(429);
    expect(Number(second.retryAfter)).toBeGreaterThan(0);
    // The first is still waiting for its body (the collector does not answer it early).
    await expect(first).rejects.toThrow(/no answer/);
    // Its reservation ends with it: a delivery fits again.
    await expect
      .poll(
        async () =>
          (await postWithoutTheBody(`${base}/ingest/github/${githubId}`, headers, 1.5 * MB, 1.5 * MB)).status,
        {
          timeout: 5_000,
        },
      )
      .toBe(401);
  });

  it('Okta event hooks, Falco, Kubernetes audit and the sensor API answer 401 without the body', async () => {
    // Each declared size is within the route's body limit, so the answer is not a 413 either.
    const targets = [
      { url: `${base}/ingest/okta/${oktaId}`, declared: 3 * MB },
      { url: `${base}/`, declared: 900 * 1024 },
      { url: `${base}/api/v1/events/add`, declared: 900 * 1024 },
      { url: `${base}/ingest/k8s-audit`, declared: 10 * MB },
      { url: `${base}/v1/sensor/events`, declared: 7 * MB },
    ];
    for (const { url, declared } of targets) {
      const answer = await postWithoutTheBody(
        url,
        { authorization: 'Bearer not-a-valid-token' },
        declared,
        64 * 1024,
      );
      expect({ url, status: answer.status }).toEqual({ url, status: 401 });
      expect(answer.sent).toBeLessThan(declared);
    }
  });
});
