import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, type AuditEntry, recordAudit } from './audit.js';

/** Who made an audited change, resolved for display. */
export type AuditActorDto =
  | { kind: 'user'; id: string; name: string; email: string }
  | { kind: 'api_key'; id: string; name: string; prefix: string }
  | { kind: 'deleted_user' }
  | { kind: 'system' };

/** One audit entry as the console shows it. */
export interface AuditEntryDto {
  id: string;
  createdAt: Date;
  actor: AuditActorDto;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
}

/** Audit-log filters; every one is optional and they combine with AND. */
export interface AuditFilter {
  actorUserId?: string;
  actorApiKeyId?: string;
  /** An exact action (`member.remove`) or a family (`member.`): matched as a prefix. */
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

/** A page of entries, newest first, with the keyset cursor of the next page. */
export interface AuditPage {
  entries: AuditEntryDto[];
  nextCursor: string | null;
}

/** Keyset cursor: the (createdAt, id) of the last row shown, so pages never shift under inserts. */
export function encodeAuditCursor(createdAt: Date, id: bigint | string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id.toString()}`, 'utf8').toString('base64url');
}

export function decodeAuditCursor(cursor: string): { createdAt: Date; id: bigint } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [iso, id] = text.split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !/^\d+$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new DbError('INVALID', 'malformed audit cursor');
  }
  return { createdAt, id: BigInt(id) };
}

/** One page of the organisation's audit log; `organizationId: null` pages the instance-level entries. */
export async function listAuditEntries(
  db: Db,
  input: { organizationId: string | null; filter?: AuditFilter; cursor?: string | null; limit?: number },
): Promise<AuditPage> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  const filter = input.filter ?? {};
  const after = input.cursor ? decodeAuditCursor(input.cursor) : null;
  const rows = await db.prisma.auditLog.findMany({
    where: {
      organizationId: input.organizationId,
      ...(filter.actorUserId ? { actorUserId: filter.actorUserId } : {}),
      ...(filter.actorApiKeyId ? { actorApiKeyId: filter.actorApiKeyId } : {}),
      ...(filter.action ? { action: { startsWith: filter.action } } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      AND: [
        filter.from ? { createdAt: { gte: filter.from } } : {},
        filter.to ? { createdAt: { lt: filter.to } } : {},
        after
          ? {
              OR: [
                { createdAt: { lt: after.createdAt } },
                { createdAt: after.createdAt, id: { lt: after.id } },
              ],
            }
          : {},
      ],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: {
      id: true,
      createdAt: true,
      actorUserId: true,
      actorApiKeyId: true,
      action: true,
      targetType: true,
      targetId: true,
      before: true,
      after: true,
      ip: true,
      userAgent: true,
      actorUser: { select: { id: true, name: true, email: true } },
    },
  });
  const page = rows.slice(0, limit);
  const keyIds = [...new Set(page.map((r) => r.actorApiKeyId).filter((id): id is string => id !== null))];
  // api_keys rows outlive revocation, so a key actor stays nameable; a key from another
  // organisation can never appear in an organisation's entries (they are scoped by organisation).
  const keys = keyIds.length
    ? await db.prisma.apiKey.findMany({
        where: { id: { in: keyIds } },
        select: { id: true, name: true, prefix: true },
      })
    : [];
  const keyById = new Map(keys.map((k) => [k.id, k]));
  const entries = page.map((row): AuditEntryDto => {
    let actor: AuditActorDto;
    const key = row.actorApiKeyId ? keyById.get(row.actorApiKeyId) : undefined;
    if (row.actorApiKeyId) {
      actor = key
        ? { kind: 'api_key', ...key }
        : { kind: 'api_key', id: row.actorApiKeyId, name: 'deleted key', prefix: '' };
    } else if (row.actorUser) actor = { kind: 'user', ...row.actorUser };
    else if (row.actorUserId) actor = { kind: 'deleted_user' };
    else actor = { kind: 'system' };
    return {
      id: row.id.toString(),
      createdAt: row.createdAt,
      actor,
      action: row.action,
      targetType: row.targetType,
      targetId: row.targetId,
      before: row.before ?? null,
      after: row.after ?? null,
      ip: row.ip,
      userAgent: row.userAgent,
    };
  });
  const last = page.at(-1);
  return {
    entries,
    nextCursor: rows.length > limit && last ? encodeAuditCursor(last.createdAt, last.id) : null,
  };
}

/** The values the audit filters can take in this organisation (for the filter menus). */
export interface AuditFacets {
  actions: string[];
  targetTypes: string[];
  users: { id: string; name: string; email: string }[];
  apiKeys: { id: string; name: string; prefix: string }[];
}

/**
 * Distinct actions, target types and actors present in the organisation's audit log
 * (`organizationId: null`: in the instance-level entries).
 */
export async function getAuditFacets(db: Db, organizationId: string | null): Promise<AuditFacets> {
  const [actions, targetTypes, userIds, keyIds] = await Promise.all([
    db.prisma.auditLog.findMany({
      where: { organizationId },
      distinct: ['action'],
      select: { action: true },
      orderBy: { action: 'asc' },
    }),
    db.prisma.auditLog.findMany({
      where: { organizationId },
      distinct: ['targetType'],
      select: { targetType: true },
      orderBy: { targetType: 'asc' },
    }),
    db.prisma.auditLog.findMany({
      where: { organizationId, actorUserId: { not: null } },
      distinct: ['actorUserId'],
      select: { actorUserId: true },
    }),
    db.prisma.auditLog.findMany({
      where: { organizationId, actorApiKeyId: { not: null } },
      distinct: ['actorApiKeyId'],
      select: { actorApiKeyId: true },
    }),
  ]);
  const [users, apiKeys] = await Promise.all([
    db.prisma.user.findMany({
      where: { id: { in: userIds.map((u) => u.actorUserId).filter((id): id is string => id !== null) } },
      select: { id: true, name: true, email: true },
      orderBy: { name: 'asc' },
    }),
    db.prisma.apiKey.findMany({
      where: {
        ...(organizationId ? { organizationId } : {}),
        id: { in: keyIds.map((k) => k.actorApiKeyId).filter((id): id is string => id !== null) },
      },
      select: { id: true, name: true, prefix: true },
      orderBy: { name: 'asc' },
    }),
  ]);
  return {
    actions: actions.map((a) => a.action),
    targetTypes: targetTypes.map((t) => t.targetType),
    users,
    apiKeys,
  };
}

/** Records one audit entry on its own (for changes made by repositories that take no transaction). */
export async function recordAuditEntry(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await recordAudit(db.prisma, actor, entry);
}
