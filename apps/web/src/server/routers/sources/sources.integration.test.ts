import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

const SECRET_KEY = randomBytes(32).toString('base64');
process.env.PEREGRINE_SECRET_KEY = SECRET_KEY;
process.env.PEREGRINE_COLLECTOR_URL = 'https://collector.example.test';
await provisionTestDatabase();
const { createCaller } = await import('../../root');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);
const db = await import('@peregrine/db');

const handle = () => db.getDb(process.env.DATABASE_URL as string);
const key = Buffer.from(SECRET_KEY, 'base64');

let admin: ReturnType<typeof createCaller>;
let viewer: ReturnType<typeof createCaller>;
let environmentId: string;

beforeAll(async () => {
  const org = await createOrganization('Sources Org');
  const adminUser = await createUser('Sources Admin');
  const viewerUser = await createUser('Sources Viewer');
  await addMember(org.id, adminUser.id, 'admin');
  await addMember(org.id, viewerUser.id, 'viewer');
  admin = createCaller(contextFor(adminUser));
  viewer = createCaller(contextFor(viewerUser));
  environmentId = (await admin.environment.list())[0]?.id as string;
});

async function storedSecrets(sourceId: string) {
  const source = await db.getCloudSource(handle(), sourceId);
  return source?.secretsEncrypted ? db.decryptSourceSecrets(key, source.secretsEncrypted) : {};
}

async function auditText(sourceId: string) {
  const rows = await handle().prisma.auditLog.findMany({ where: { targetId: sourceId } });
  return JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

describe('Kubernetes audit and Falco sources', () => {
  it('issue a bearer token once, usable by the collector, and rotate it', async () => {
    const { source, credential } = await admin.sources.create({
      environmentId,
      name: 'prod cluster',
      settings: { kind: 'k8s_audit', config: {} },
    });
    expect(credential).toMatch(/^pgs_/);
    expect(source.connection.endpoint).toBe(`https://collector.example.test/ingest/k8s-audit/${source.id}`);
    expect(source.connection.snippet?.text).toContain(`token: ${credential}`);
    const found = await db.findCloudSourceByTokenHash(handle(), db.hashSourceToken(credential as string));
    expect(found?.id).toBe(source.id);

    const listed = (await viewer.sources.list({})).find((s) => s.id === source.id);
    expect(listed?.tokenPrefix).toBe((credential as string).slice(0, 10));
    expect(JSON.stringify(listed)).not.toContain(credential);

    const rotated = await admin.sources.rotateCredential({ sourceId: source.id });
    expect(rotated.credential).not.toBe(credential);
    expect(
      await db.findCloudSourceByTokenHash(handle(), db.hashSourceToken(credential as string)),
    ).toBeNull();
    expect((await db.findCloudSourceByTokenHash(handle(), db.hashSourceToken(rotated.credential)))?.id).toBe(
      source.id,
    );
    expect(await auditText(source.id)).not.toContain(rotated.credential);
  });

  it("give Falco's http_output its URL with the token", async () => {
    const { credential, source } = await admin.sources.create({
      environmentId,
      name: 'legacy falco',
      settings: { kind: 'falco', config: {} },
    });
    expect(source.connection.snippet?.text).toContain(
      `url: "https://collector.example.test/?token=${credential}"`,
    );
  });
});

describe('GitHub sources', () => {
  it('generate a webhook secret when none is typed, stored encrypted and never returned again', async () => {
    const { source, credential } = await admin.sources.create({
      environmentId,
      name: 'github org',
      settings: {
        kind: 'github',
        config: { scanDiffs: true, scanWorkflows: false, allowSha1Signature: false },
      },
    });
    expect(credential).toMatch(/^[0-9a-f]{64}$/);
    expect(source.connection.endpoint).toBe(`https://collector.example.test/ingest/github/${source.id}`);
    expect(await storedSecrets(source.id)).toEqual({ webhookSecret: credential });
    const listed = (await admin.sources.list({})).find((s) => s.id === source.id);
    expect(listed?.secretNames).toEqual(['webhookSecret']);
    expect(listed?.config).toEqual({ scanDiffs: true, scanWorkflows: false, allowSha1Signature: false });
    expect(JSON.stringify(listed)).not.toContain(credential);
    expect(await auditText(source.id)).not.toContain(credential);

    const rotated = await admin.sources.rotateCredential({ sourceId: source.id });
    expect(await storedSecrets(source.id)).toEqual({ webhookSecret: rotated.credential });
  });

  it('keep stored secrets that the form leaves empty, and set typed ones', async () => {
    const { source } = await admin.sources.create({
      environmentId,
      name: 'github private',
      settings: { kind: 'github', secrets: { webhookSecret: 'hook-secret', apiToken: 'ghp_first' } },
    });
    await admin.sources.update({
      sourceId: source.id,
      settings: { kind: 'github', config: { scanDiffs: false }, secrets: { apiToken: 'ghp_second' } },
    });
    expect(await storedSecrets(source.id)).toEqual({ webhookSecret: 'hook-secret', apiToken: 'ghp_second' });
    await admin.sources.update({ sourceId: source.id, clearSecrets: ['apiToken'] });
    expect(await storedSecrets(source.id)).toEqual({ webhookSecret: 'hook-secret' });
    expect(await auditText(source.id)).not.toMatch(/ghp_|hook-secret/);
    expect(await appCodeOf(admin.sources.update({ sourceId: source.id, clearSecrets: ['password'] }))).toBe(
      'INVALID_INPUT',
    );
    expect(
      await appCodeOf(admin.sources.update({ sourceId: source.id, settings: { kind: 'falco', config: {} } })),
    ).toBe('INVALID_INPUT');
  });
});

describe('polled sources', () => {
  it('store Okta settings as the collector reads them and require the API token', async () => {
    expect(
      await appCodeOf(
        admin.sources.create({
          environmentId,
          name: 'okta no token',
          settings: { kind: 'okta', config: { domain: 'acme.okta.com', pollIntervalSeconds: 30 } },
        }),
      ),
    ).toBe('INVALID_INPUT');
    const { source, credential } = await admin.sources.create({
      environmentId,
      name: 'okta',
      settings: {
        kind: 'okta',
        config: { domain: 'https://acme.okta.com/', pollIntervalSeconds: 30 },
        secrets: { apiToken: '00abc-okta' },
      },
    });
    // The event hook's push endpoint and its token, shown once, next to the polling.
    expect(credential).toMatch(/^\S{20,}$/);
    expect(source.connection.endpoint).toMatch(new RegExp(`/ingest/okta/${source.id}$`));
    expect(source.connection.snippet?.text).toContain(`Bearer ${credential}`);
    expect(source.tokenPrefix).not.toBeNull();
    const stored = await db.getCloudSource(handle(), source.id);
    expect(stored?.config).toEqual({
      domain: 'acme.okta.com',
      baseUrl: 'https://acme.okta.com',
      polling: true,
      pollIntervalSeconds: 30,
    });
    expect(await storedSecrets(source.id)).toEqual({ apiToken: '00abc-okta' });

    await admin.sources.update({
      sourceId: source.id,
      settings: { kind: 'okta', config: { domain: 'acme', pollIntervalSeconds: 60 } },
    });
    expect((await db.getCloudSource(handle(), source.id))?.config).toEqual({
      domain: 'acme',
      organization: 'acme',
      polling: true,
      pollIntervalSeconds: 60,
    });
    expect(await storedSecrets(source.id)).toEqual({ apiToken: '00abc-okta' });
    expect(await appCodeOf(admin.sources.update({ sourceId: source.id, clearSecrets: ['apiToken'] }))).toBe(
      'INVALID_INPUT',
    );
    // Rotating replaces the event hook's token; the API token stays.
    const rotated = await admin.sources.rotateCredential({ sourceId: source.id });
    expect(rotated.credential).not.toBe(credential);
    expect(await storedSecrets(source.id)).toEqual({ apiToken: '00abc-okta' });
  });

  it('point an Okta source at a test server only as an explicit choice, and take hook-only sources', async () => {
    // The domain field stays an Okta domain: a URL with a port or plain http is refused there.
    for (const domain of ['http://127.0.0.1:9000', 'localhost:9000']) {
      await expect(
        admin.sources.create({
          environmentId,
          name: `okta bad ${domain}`,
          settings: { kind: 'okta', config: { domain, pollIntervalSeconds: 30 }, secrets: { apiToken: 't' } },
        }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    const { source } = await admin.sources.create({
      environmentId,
      name: 'okta test server',
      settings: {
        kind: 'okta',
        config: { testServerUrl: 'http://127.0.0.1:9000/', pollIntervalSeconds: 5 },
        secrets: { apiToken: 'test-token' },
      },
    });
    expect((await db.getCloudSource(handle(), source.id))?.config).toEqual({
      testServerUrl: 'http://127.0.0.1:9000/',
      baseUrl: 'http://127.0.0.1:9000',
      polling: true,
      pollIntervalSeconds: 5,
    });
    await expect(
      admin.sources.create({
        environmentId,
        name: 'okta both',
        settings: {
          kind: 'okta',
          config: { domain: 'acme', testServerUrl: 'http://127.0.0.1:9000', pollIntervalSeconds: 5 },
          secrets: { apiToken: 't' },
        },
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // Event hooks only: no domain, no API token, a push endpoint with its token.
    const hooks = await admin.sources.create({
      environmentId,
      name: 'okta hooks',
      settings: { kind: 'okta', config: { polling: false, pollIntervalSeconds: 10 } },
    });
    expect(hooks.credential).toBeTruthy();
    expect((await db.getCloudSource(handle(), hooks.source.id))?.config).toEqual({
      polling: false,
      pollIntervalSeconds: 10,
    });
  });

  it('store CloudTrail S3 and folder settings, with credentials in pairs', async () => {
    expect(
      await appCodeOf(
        admin.sources.create({
          environmentId,
          name: 'trail half',
          settings: {
            kind: 'aws_cloudtrail',
            config: { mode: 's3', bucket: 'my-trail', region: 'eu-west-1' },
            secrets: { accessKeyId: 'AKIA' },
          },
        }),
      ),
    ).toBe('INVALID_INPUT');
    const { source } = await admin.sources.create({
      environmentId,
      name: 'trail',
      settings: {
        kind: 'aws_cloudtrail',
        config: {
          mode: 's3',
          bucket: 'my-trail',
          prefix: 'AWSLogs/123/CloudTrail/',
          region: 'eu-west-1',
          endpoint: 'http://minio.local:9000',
          forcePathStyle: true,
        },
        secrets: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalr' },
      },
    });
    expect((await db.getCloudSource(handle(), source.id))?.config).toEqual({
      mode: 's3',
      bucket: 'my-trail',
      prefix: 'AWSLogs/123/CloudTrail/',
      region: 'eu-west-1',
      endpoint: 'http://minio.local:9000',
      forcePathStyle: true,
      pollIntervalSeconds: 60,
    });
    expect((await admin.sources.list({})).find((s) => s.id === source.id)?.secretNames).toEqual([
      'accessKeyId',
      'secretAccessKey',
    ]);
    const folder = await admin.sources.create({
      environmentId,
      name: 'trail folder',
      settings: {
        kind: 'aws_cloudtrail',
        config: { mode: 'folder', path: '/var/lib/trail', pollIntervalSeconds: 5 },
      },
    });
    expect(folder.source.hasSecrets).toBe(false);
    // A tenant admin cannot aim a folder source at the host with a relative path or `..`.
    for (const path of ['/var/lib/trail/../../../etc', 'etc/secrets'])
      await expect(
        admin.sources.create({
          environmentId,
          name: `trail ${path}`,
          settings: { kind: 'aws_cloudtrail', config: { mode: 'folder', path, pollIntervalSeconds: 5 } },
        }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('show the collector-reported health and can be disabled and deleted', async () => {
    const { source } = await admin.sources.create({
      environmentId,
      name: 'health',
      settings: { kind: 'falco', config: {} },
    });
    const at = new Date('2026-11-20T10:00:00Z');
    await db.recordCloudSourceActivity(
      handle(),
      source.id,
      { lastEventAt: at, error: 'HTTP 401 from okta' },
      at,
    );
    const listed = (await viewer.sources.list({ environmentId })).find((s) => s.id === source.id);
    expect(listed).toMatchObject({ lastEventAt: at.toISOString(), lastError: 'HTTP 401 from okta' });
    expect((await admin.sources.update({ sourceId: source.id, enabled: false })).enabled).toBe(false);
    await admin.sources.delete({ sourceId: source.id });
    expect((await admin.sources.list({})).some((s) => s.id === source.id)).toBe(false);
    const deleted = await handle().prisma.auditLog.findFirstOrThrow({
      where: { action: 'source.delete', targetId: source.id },
    });
    expect(deleted.before).toMatchObject({ name: 'health', kind: 'falco', enabled: false });
  });

  it('refuse a duplicate name in one environment', async () => {
    await admin.sources.create({ environmentId, name: 'dup', settings: { kind: 'falco', config: {} } });
    expect(
      await appCodeOf(
        admin.sources.create({ environmentId, name: 'dup', settings: { kind: 'k8s_audit', config: {} } }),
      ),
    ).toBe('CONFLICT');
  });
});
