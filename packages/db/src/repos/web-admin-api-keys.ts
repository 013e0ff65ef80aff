import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { Role } from '../generated/prisma/enums.js';
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
} as const;

/** SHA-256 hex of an API key: the only form in which keys are stored and looked up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Creates a key; the clear key is in the result once and never retrievable again. */
export async function createApiKey(
  db: Db,
  input: {
    organizationId: string;
    name: string;
    role: Role;
    createdById: string | null;
    expiresAt?: Date | null;
  },
  actor: Actor,
): Promise<{ apiKey: ApiKeyDto; key: string }> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, API_KEY_PREFIX.length + 8);
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: {
        organizationId: input.organizationId,
        name: input.name,
        prefix,
        keyHash: hashApiKey(key),
        role: input.role,
        createdById: input.createdById,
        expiresAt: input.expiresAt ?? null,
      },
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      after: { name: row.name, prefix: row.prefix, role: row.role, expiresAt: row.expiresAt },
    });
    return { apiKey: row, key };
  });
}

/** The organisation's keys, active first, newest first. */
export async function listApiKeys(db: Db, organizationId: string): Promise<ApiKeyDto[]> {
  return db.prisma.apiKey.findMany({
    where: { organizationId },
    orderBy: [{ revokedAt: { sort: 'desc', nulls: 'first' } }, { createdAt: 'desc' }],
    select: SELECT,
  });
}

/** Revokes a key of the organisation (idempotent); NOT_FOUND for another organisation's key. */
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
    if (before.revokedAt) return before;
    const row = await tx.apiKey.update({
      where: { id: before.id },
      data: { revokedAt: now },
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: row.id,
      before: { name: before.name, prefix: before.prefix, role: before.role, revokedAt: null },
      after: { name: row.name, prefix: row.prefix, role: row.role, revokedAt: row.revokedAt },
    });
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
