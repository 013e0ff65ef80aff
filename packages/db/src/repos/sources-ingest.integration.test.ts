import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../client.js';
import { createMigratedTestDatabase } from '../testing.js';
import {
  createCloudSource,
  findCloudSourceByTokenHash,
  getCloudSource,
  listEnabledCloudSources,
  recordCloudSourceActivity,
  saveCloudSourceCursor,
} from './sources-ingest.js';
import {
  decryptSourceSecrets,
  encryptSourceSecrets,
  hashSourceToken,
  parseSecretKey,
} from './sources-secrets.js';

describe('source secrets', () => {
  const key = randomBytes(32);
  it('round-trips and refuses a wrong key or a flipped bit', () => {
    const blob = encryptSourceSecrets(key, { webhookSecret: 's3cr3t' });
    expect(decryptSourceSecrets(key, blob)).toEqual({ webhookSecret: 's3cr3t' });
    expect(() => decryptSourceSecrets(randomBytes(32), blob)).toThrow(/cannot decrypt/);
    const tampered = new Uint8Array(blob);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => decryptSourceSecrets(key, tampered)).toThrow(/cannot decrypt/);
  });
  it('parses a base64 key of 32 bytes only', () => {
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parseSecretKey('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});

describe('cloud source repository (real Postgres)', () => {
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  let db: Db;
  let orgId: string;
  let envId: string;
  beforeAll(async () => {
    handle = await createMigratedTestDatabase('sources');
    db = createDb(handle.url);
    const org = await db.prisma.organization.create({ data: { name: 'Acme', slug: 'acme' } });
    const env = await db.prisma.environment.create({
      data: { organizationId: org.id, name: 'production', displayName: 'Production' },
    });
    orgId = org.id;
    envId = env.id;
  });
  afterAll(async () => {
    await db.close();
    await handle.drop();
  });

  it('creates a push source whose token is found by hash only', async () => {
    const { source, token } = await createCloudSource(db, {
      organizationId: orgId,
      environmentId: envId,
      kind: 'k8s_audit',
      name: 'prod-cluster',
      issueToken: true,
    });
    expect(token).toMatch(/^pgs_/);
    const found = await findCloudSourceByTokenHash(db, hashSourceToken(token as string));
    expect(found?.id).toBe(source.id);
    expect(await findCloudSourceByTokenHash(db, hashSourceToken('pgs_nope'))).toBeNull();
    expect(await getCloudSource(db, 'not-a-uuid')).toBeNull();
    await expect(
      createCloudSource(db, {
        organizationId: orgId,
        environmentId: envId,
        kind: 'k8s_audit',
        name: 'prod-cluster',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('stores secrets encrypted and lists enabled sources by kind', async () => {
    const key = randomBytes(32);
    const { source } = await createCloudSource(db, {
      organizationId: orgId,
      environmentId: envId,
      kind: 'okta',
      name: 'okta',
      config: { baseUrl: 'https://acme.okta.com' },
      secrets: { apiToken: 'ssws-token' },
      secretKey: key,
    });
    const listed = await listEnabledCloudSources(db, 'okta');
    expect(listed.map((s) => s.id)).toEqual([source.id]);
    expect(listed[0]?.config).toEqual({ baseUrl: 'https://acme.okta.com' });
    expect(decryptSourceSecrets(key, listed[0]?.secretsEncrypted as Uint8Array)).toEqual({
      apiToken: 'ssws-token',
    });
    expect(Buffer.from(listed[0]?.secretsEncrypted as Uint8Array).includes('ssws-token')).toBe(false);
  });

  it('moves the cursor with compare-and-set and records activity', async () => {
    const { source } = await createCloudSource(db, {
      organizationId: orgId,
      environmentId: envId,
      kind: 'aws_cloudtrail',
      name: 'trail',
    });
    const first = await saveCloudSourceCursor(db, source.id, { lastKey: 'a' }, null);
    expect(first.saved).toBe(true);
    // A second poller still holding the old view (null) must not overwrite the newer cursor.
    expect((await saveCloudSourceCursor(db, source.id, { lastKey: 'stale' }, null)).saved).toBe(false);
    const second = await saveCloudSourceCursor(db, source.id, { lastKey: 'b' }, first.cursorUpdatedAt);
    expect(second.saved).toBe(true);
    const at = new Date('2026-01-02T03:04:05Z');
    await recordCloudSourceActivity(db, source.id, { lastEventAt: at, error: 'boom' });
    let row = await getCloudSource(db, source.id);
    expect(row?.cursor).toEqual({ lastKey: 'b' });
    expect(row?.cursorUpdatedAt?.getTime()).toBe(second.cursorUpdatedAt.getTime());
    expect(row?.lastEventAt?.toISOString()).toBe(at.toISOString());
    expect(row?.lastError).toBe('boom');
    await recordCloudSourceActivity(db, source.id, { error: null });
    row = await getCloudSource(db, source.id);
    expect(row?.lastError).toBeNull();
  });
});
