import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
import type { Prisma } from '../client.js';
import { type Actor, recordAudit } from './audit.js';

/** Key text prefix: lets secret scanners and humans recognise a leaked Peregrine API key. */
export const API_KEY_PREFIX = 'pgk_';

/** `lastUsedAt` is written at most this often per key, so busy automation is not a write per call. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** An API key as listed in the console (never the key itself). */
export interface ApiKeyDto {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: { id: string; name: string } | null;
  /** The key that minted this one (revoked with it), when a key did. */
  parentKey: { id: string; name: string } | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** What a valid key authenticates as. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  organizationId: string;
  organizationName: string;
  organizationSlug: string;
  role: Role;
}

const SELECT = {
  id: true,
  name: true,
  prefix: true,
  role: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  createdBy: { select: { id: true, name: true } },
  parentKey: { select: { id: true, name: true } },
} as const;

/** Role order, lowest first: a key may mint keys up to its own role, never above. */
const ROLE_RANK: Record<Role, number> = { viewer: 0, triager: 1, author: 2, admin: 3 };

/** SHA-256 hex of an API key: the only form in which keys are stored and looked up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Creates a key; the clear key is in the result once and never retrievable again. A key minted
 * by another key (`parentKeyId`) holds at most its parent's role, expires no later than it, and
 * is revoked with it (revokeApiKey); FORBIDDEN when the parent asks for more or is no longer
 * active.
 */
export async function createApiKey(
  db: Db,
  input: {
    organizationId: string;
    name: string;
    role: Role;
    createdById: string | null;
    parentKeyId?: string | null;
    expiresAt?: Date | null;
  },
  actor: Actor,
  now: Date = new Date(),
): Promise<{ apiKey: ApiKeyDto; key: string }> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, API_KEY_PREFIX.length + 8);
  return db.prisma.$transaction(async (tx) => {
    let expiresAt = input.expiresAt ?? null;
    if (input.parentKeyId) {
      const parent = await lockActiveKey(tx, input.parentKeyId, input.organizationId, now);
      if (!parent) throw new DbError('FORBIDDEN', 'the API key minting this key is no longer active');
      if (ROLE_RANK[input.role] > ROLE_RANK[parent.role]) {
        throw new DbError(
          'FORBIDDEN',
          `an API key with the ${parent.role} role cannot create a key with the ${input.role} role`,
        );
      }
      if (parent.expiresAt && (!expiresAt || expiresAt > parent.expiresAt)) expiresAt = parent.expiresAt;
    }
    const row = await tx.apiKey.create({
      data: {
        organizationId: input.organizationId,
        name: input.name,
        prefix,
        keyHash: hashApiKey(key),
        role: input.role,
        createdById: input.createdById,
        parentKeyId: input.parentKeyId ?? null,
        expiresAt,
      },
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      after: {
        name: row.name,
        prefix: row.prefix,
        role: row.role,
        expiresAt: row.expiresAt,
        ...(row.parentKey ? { parentKeyId: row.parentKey.id } : {}),
      },
    });
    return { apiKey: row, key };
  });
}

/**
 * The key, locked against concurrent revocation until the transaction ends, if it is active
 * (not revoked, not expired). A revocation that commits first is seen here; one that starts
 * later waits, and its cascade then sees the key minted in this transaction.
 */
async function lockActiveKey(
  tx: Pick<Prisma, '$queryRaw'>,
  id: string,
  organizationId: string,
  now: Date,
): Promise<{ role: Role; expiresAt: Date | null } | null> {
  const rows = await tx.$queryRaw<{ role: Role; expiresAt: Date | null; revokedAt: Date | null }[]>`
    SELECT "role", "expiresAt", "revokedAt" FROM "api_keys"
    WHERE "id" = ${id}::uuid AND "organizationId" = ${organizationId}::uuid
    FOR SHARE`;
  const row = rows[0];
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  return { role: row.role, expiresAt: row.expiresAt };
}

/** The organisation's keys, active first, newest first. */
export async function listApiKeys(db: Db, organizationId: string): Promise<ApiKeyDto[]> {
  return db.prisma.apiKey.findMany({
    where: { organizationId },
    orderBy: [{ revokedAt: { sort: 'desc', nulls: 'first' } }, { createdAt: 'desc' }],
    select: SELECT,
  });
}

/**
 * Revokes a key of the organisation (idempotent) and every key minted from it, directly or
 * through other minted keys; NOT_FOUND for another organisation's key. Keys are checked against
 * the database on every request, so the revocation holds in every console process at once.
 */
export async function revokeApiKey(
  db: Db,
  input: { organizationId: string; apiKeyId: string },
  actor: Actor,
  now: Date = new Date(),
): Promise<ApiKeyDto> {
  return db.prisma.$transaction(async (tx) => {
    const before = await tx.apiKey.findFirst({
      where: { id: input.apiKeyId, organizationId: input.organizationId },
      select: SELECT,
    });
    if (!before) throw new DbError('NOT_FOUND', 'API key not found');
    const row = before.revokedAt
      ? before
      : await tx.apiKey.update({ where: { id: before.id }, data: { revokedAt: now }, select: SELECT });
    if (!before.revokedAt) {
      await recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: row.id,
        before: { name: before.name, prefix: before.prefix, role: before.role, revokedAt: null },
        after: { name: row.name, prefix: row.prefix, role: row.role, revokedAt: row.revokedAt },
      });
    }
    // Descendants still active, also under an already revoked key (a mint that raced an earlier
    // revocation is caught by the next one). Runs after the update above, so a concurrent mint
    // holding the parent's row lock has committed and its key is seen.
    const minted = await tx.$queryRaw<{ id: string; name: string; prefix: string; role: Role }[]>`
      WITH RECURSIVE tree AS (
        SELECT "id" FROM "api_keys" WHERE "parentKeyId" = ${before.id}::uuid
        UNION
        SELECT k."id" FROM "api_keys" k JOIN tree ON k."parentKeyId" = tree."id"
      )
      UPDATE "api_keys" SET "revokedAt" = ${now}
      WHERE "id" IN (SELECT "id" FROM tree) AND "revokedAt" IS NULL
      RETURNING "id", "name", "prefix", "role"`;
    for (const child of minted) {
      await recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: child.id,
        before: { name: child.name, prefix: child.prefix, role: child.role, revokedAt: null },
        after: {
          name: child.name,
          prefix: child.prefix,
          role: child.role,
          revokedAt: now,
          revokedWith: before.id,
        },
      });
    }
    return row;
  });
}

/**
 * Resolves a presented key: null for unknown, revoked or expired keys. Records `lastUsedAt`
 * (at most once a minute per key).
 */
export async function authenticateApiKey(
  db: Db,
  key: string,
  now: Date = new Date(),
): Promise<ApiKeyPrincipal | null> {
  if (!key.startsWith(API_KEY_PREFIX)) return null;
  const row = await db.prisma.apiKey.findUnique({
    where: { keyHash: hashApiKey(key) },
    select: {
      id: true,
      name: true,
      organizationId: true,
      role: true,
      revokedAt: true,
      expiresAt: true,
      lastUsedAt: true,
      organization: { select: { name: true, slug: true } },
    },
  });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.prisma.apiKey.updateMany({
      where: {
        id: row.id,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
      },
      data: { lastUsedAt: now },
    });
  }
  return {
    id: row.id,
    name: row.name,
    organizationId: row.organizationId,
    organizationName: row.organization.name,
    organizationSlug: row.organization.slug,
    role: row.role,
  };
}
