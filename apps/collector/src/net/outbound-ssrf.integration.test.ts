/**
 * Attack (SSRF): a tenant admin sets a source's GitHub `apiBaseUrl`, Okta `baseUrl` or CloudTrail
 * S3 `endpoint` to an address on the collector's own network (loopback, metadata, private), by
 * address, by a name resolving there, through a redirect or an IPv4-mapped IPv6 form; the
 * collector then sends that listener its request with the source's bearer token. An S3 source
 * without keys borrowed the collector's own AWS identity.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3TrailPoller } from '../ingest/cloudtrail.js';
import { registerGithubRoutes } from '../ingest/github.js';
import { OktaPoller } from '../ingest/okta.js';
import { listenLocal } from '../ingest/shared/test-server.js';
import { createIngestTestWorld, type IngestTestWorld } from '../ingest/shared/testing.js';
import { createOutboundPolicy } from '@peregrine/outbound';

const SECRET = 'webhook-secret-for-ssrf';
const TOKEN = 'ghp_the_sources_api_token';

/** A listener that records what reaches it: the attacker's target. */
async function listener(host = '127.0.0.1', answer?: (url: string) => { status: number; location?: string }) {
  const received: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    const a = answer?.(req.url ?? '') ?? { status: 200 };
    res.writeHead(a.status, a.location ? { location: a.location } : { 'content-type': 'application/json' });
    res.end(a.location ? '' : '{"files":[]}');
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return { received, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('tenant-configured outbound requests cannot reach the collector’s own network', () => {
  let world: IngestTestWorld;
  let target: Awaited<ReturnType<typeof listener>>;
  let webhooks: Awaited<ReturnType<typeof listenLocal>>;

  beforeAll(async () => {
    // The operator allowed nothing: the defaults are what a tenant can reach.
    world = await createIngestTestWorld('outbound_ssrf');
    target = await listener();
    webhooks = await listenLocal((app) => registerGithubRoutes(app, world.deps));
  }, 60_000);
  afterAll(async () => {
    await webhooks?.app.close();
    await target?.close();
    await world?.close();
  });

  const push = {
    before: '1111111111111111111111111111111111111111',
    after: '2222222222222222222222222222222222222222',
    repository: { full_name: 'acme/payments' },
    commits: [],
  };

  it('GitHub apiBaseUrl on loopback (literal, name, IPv4-mapped) never receives the token', async () => {
    const bases = [
      `http://127.0.0.1:${target.port}`,
      `http://localhost:${target.port}`,
      `http://[::ffff:127.0.0.1]:${target.port}`,
      'http://169.254.169.254',
      'http://[fd00:ec2::254]',
    ];
    for (const [i, apiBaseUrl] of bases.entries()) {
      const { id } = await world.addSource('github', {
        config: { apiBaseUrl },
        secrets: { webhookSecret: SECRET, apiToken: TOKEN },
      });
      const body = JSON.stringify(push);
      const res = await fetch(`${webhooks.url}/ingest/github/${id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': `ssrf-${i}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      // The event is stored without enrichment; the refusal is the source's error.
      expect(res.status).toBe(200);
      const row = await world.db.prisma.cloudSource.findUnique({ where: { id } });
      expect(row?.lastError).toMatch(/outbound request to .* refused/);
    }
    expect(target.received).toEqual([]);
  });

  it('Okta baseUrl on loopback is refused before the API token is sent', async () => {
    const { id } = await world.addSource('okta', {
      config: { baseUrl: `http://127.0.0.1:${target.port}` },
      secrets: { apiToken: 'okta-api-token' },
    });
    const source = await world.deps.sources.byId(id);
    expect(() => new OktaPoller(source!, world.deps)).toThrow(/refused: loopback/);
    expect(target.received).toEqual([]);
  });

  it('an S3 endpoint on loopback is refused, by address and by name', async () => {
    for (const endpoint of [`http://127.0.0.1:${target.port}`, `http://localhost:${target.port}`]) {
      const { id } = await world.addSource('aws_cloudtrail', {
        config: { mode: 's3', bucket: 'trail', endpoint, forcePathStyle: true },
        secrets: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
      });
      const source = await world.deps.sources.byId(id);
      const attempt = async () => {
        const poller = new S3TrailPoller(source!, world.deps);
        try {
          await poller.poll(new AbortController().signal);
        } finally {
          poller.close();
        }
      };
      await expect(attempt()).rejects.toThrow(/refused: loopback/);
    }
    expect(target.received).toEqual([]);
  });

  it('an S3 source without keys does not borrow the collector’s AWS identity', async () => {
    const { id } = await world.addSource('aws_cloudtrail', {
      config: { mode: 's3', bucket: 'trail', region: 'us-east-1' },
    });
    const source = await world.deps.sources.byId(id);
    expect(() => new S3TrailPoller(source!, world.deps)).toThrow(/does not lend its own AWS credentials/);
  });
});

describe('the outbound policy checks at connect time, after DNS and on redirects', () => {
  it('a name that resolves to a public address when checked and to loopback when used is refused', async () => {
    const target = await listener();
    let calls = 0;
    // DNS rebinding: the first answer is public, every later one is loopback.
    const policy = createOutboundPolicy({
      lookup: ((
        _host: string,
        _opts: unknown,
        cb: (e: null, a: { address: string; family: number }[]) => void,
      ) => {
        calls++;
        cb(null, [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
      }) as never,
    });
    // A check made ahead of time (as a validator at source creation would) sees a public address…
    const first = await new Promise<string>((resolve, reject) =>
      policy.lookup('rebind.example', {}, (err, address) => (err ? reject(err) : resolve(String(address)))),
    );
    expect(first).toBe('93.184.216.34');
    // …the connection resolves again, gets loopback, and is refused there.
    await expect(policy.fetch(`http://rebind.example:${target.port}/`)).rejects.toThrow(/refused: loopback/);
    expect(calls).toBe(2);
    expect(target.received).toEqual([]);
    await target.close();
  });

  it('a redirect from an allowed host to a forbidden one is not followed', async () => {
    const forbidden = await listener('127.0.0.1');
    const allowedServer = await listener('127.0.0.2', () => ({
      status: 302,
      location: `http://127.0.0.1:${forbidden.port}/steal`,
    }));
    const policy = createOutboundPolicy({ allow: ['127.0.0.2'] });
    await expect(
      policy.fetch(`http://127.0.0.2:${allowedServer.port}/`, { headers: { authorization: 'Bearer x' } }),
    ).rejects.toThrow(/refused: loopback/);
    expect(allowedServer.received).toHaveLength(1);
    expect(forbidden.received).toEqual([]);
    await forbidden.close();
    await allowedServer.close();
  });
});
