import { beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

/**
 * API keys minting API keys, as an attacker holding a key would try it over HTTP: keys that
 * outlive the key that made them, or hold more than it does. Each request comes from a TCP peer
 * (runWithPeerAddress, as server.mjs does) and names itself with a spoofed X-Forwarded-For.
 */
const databaseUrl = await provisionTestDatabase();
const { createApiKey, createDb, getDb } = await import('@peregrine/db');
const { handleTRPCRequest } = await import('../../trpc-handler');
const { runWithPeerAddress } = await import('../../client-address');
const { createApiKey: createApiKeyService } = await import('../../services/api-keys/create-api-key');
const { createOrganization } = await import('../../../../test/fixtures');

const ORIGIN = 'http://localhost:3000';
const PEER = '203.0.113.30';

interface Reply<T> {
  status: number;
  data: T;
  appCode: string | null;
}

async function call<T>(key: string, path: string, input?: unknown, mutation = false): Promise<Reply<T>> {
  const url = new URL(`${ORIGIN}/api/trpc/${path}`);
  if (!mutation && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const response = await runWithPeerAddress(PEER, () =>
    handleTRPCRequest(
      new Request(url, {
        method: mutation ? 'POST' : 'GET',
        headers: {
          authorization: `Bearer ${key}`,
          'x-forwarded-for': '6.6.6.6',
          ...(mutation ? { 'content-type': 'application/json' } : {}),
        },
        ...(mutation ? { body: JSON.stringify(input ?? null) } : {}),
      }),
    ),
  );
  const body = (await response.json()) as {
    result?: { data: T };
    error?: { data: { appCode: string | null } };
  };
  return { status: response.status, data: body.result?.data as T, appCode: body.error?.data.appCode ?? null };
}

type Created = { apiKey: { id: string; role: string; expiresAt: string | null }; key: string };
const mint = (key: string, input: { name: string; role: string; expiresInDays: number | null }) =>
  call<Created>(key, 'apiKeys.create', input, true);

let org: Awaited<ReturnType<typeof createOrganization>>;
let admin: { id: string; key: string; expiresAt: Date };

beforeAll(async () => {
  org = await createOrganization('Key Org');
  const expiresAt = new Date(Date.now() + 86_400_000);
  const made = await createApiKey(
    getDb(databaseUrl),
    { organizationId: org.id, name: 'CI admin', role: 'admin', createdById: null, expiresAt },
    {},
  );
  admin = { id: made.apiKey.id, key: made.key, expiresAt };
});

describe('a key minting keys', () => {
  it('cannot mint a key that outlives it', async () => {
    const forever = await mint(admin.key, { name: 'forever', role: 'admin', expiresInDays: null });
    expect(forever.status).toBe(200);
    expect(forever.data.apiKey.expiresAt).not.toBeNull();
    expect(new Date(forever.data.apiKey.expiresAt ?? 0).getTime()).toBeLessThanOrEqual(
      admin.expiresAt.getTime(),
    );
    const long = await mint(admin.key, { name: 'ten years', role: 'viewer', expiresInDays: 3650 });
    expect(new Date(long.data.apiKey.expiresAt ?? 0).getTime()).toBeLessThanOrEqual(
      admin.expiresAt.getTime(),
    );
    // A shorter expiry than the parent's is kept.
    const short = await mint(admin.key, { name: 'short', role: 'viewer', expiresInDays: null });
    expect(short.status).toBe(200);
  });

  it('loses what it minted (and what those minted) when it is revoked, at once, in every process', async () => {
    const parent = await createApiKey(
      getDb(databaseUrl),
      { organizationId: org.id, name: 'parent', role: 'admin', createdById: null },
      {},
    );
    const child = await mint(parent.key, { name: 'child', role: 'admin', expiresInDays: null });
    const grandchild = await mint(child.data.key, {
      name: 'grandchild',
      role: 'viewer',
      expiresInDays: null,
    });
    expect((await call(grandchild.data.key, 'apiKeys.list')).status).toBe(403);
    expect((await call(child.data.key, 'apiKeys.list')).status).toBe(200);

    // Revoked by another console process (its own connection pool), after this one used the keys.
    const other = createDb(databaseUrl, { max: 1 });
    try {
      const { revokeApiKey } = await import('@peregrine/db');
      await revokeApiKey(other, { organizationId: org.id, apiKeyId: parent.apiKey.id }, {});
    } finally {
      await other.close();
    }
    for (const key of [parent.key, child.data.key, grandchild.data.key]) {
      const reply = await call(key, 'alerts.count', { filter: {} });
      expect(reply.status).toBe(401);
      expect(reply.appCode).toBe('UNAUTHENTICATED');
    }
    const rows = await getDb(databaseUrl).prisma.apiKey.findMany({
      where: { id: { in: [child.data.apiKey.id, grandchild.data.apiKey.id] } },
      select: { revokedAt: true, parentKeyId: true },
    });
    expect(rows.every((r) => r.revokedAt !== null && r.parentKeyId !== null)).toBe(true);
  });

  it('cannot mint a key with a role above its own', async () => {
    const author = await createApiKey(
      getDb(databaseUrl),
      { organizationId: org.id, name: 'author', role: 'author', createdById: null },
      {},
    );
    // Only admins reach apiKeys.create over the API; the service holds the line on its own too.
    expect((await mint(author.key, { name: 'escalate', role: 'admin', expiresInDays: null })).status).toBe(
      403,
    );
    await expect(
      createApiKeyService({
        organizationId: org.id,
        name: 'escalate',
        role: 'admin',
        expiresInDays: null,
        actor: { userId: null, apiKeyId: author.apiKey.id, ip: null, userAgent: null },
      }),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_ROLE' });
    const made = await createApiKeyService({
      organizationId: org.id,
      name: 'same role',
      role: 'author',
      expiresInDays: null,
      actor: { userId: null, apiKeyId: author.apiKey.id, ip: null, userAgent: null },
    });
    expect(made.apiKey.role).toBe('author');
  });

  it('records the client address of the request, not the one it claims', async () => {
    const made = await mint(admin.key, { name: 'audited', role: 'viewer', expiresInDays: 1 });
    const entry = await getDb(databaseUrl).prisma.auditLog.findFirstOrThrow({
      where: { action: 'api_key.create', targetId: made.data.apiKey.id },
    });
    expect(entry.ip).toBe(PEER);
    expect(entry.actorApiKeyId).toBe(admin.id);
  });
});
