import 'server-only';
import { type AuditActorDto, listAuditEntries as listAuditRows } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';

/** Audit-log filters as the console sends them. */
export interface AuditListFilter {
  /** `user:<id>` or `api_key:<id>`. */
  actor?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** One audit entry for the console. */
export interface AuditEntryItem {
  id: string;
  createdAt: string;
  actor: AuditActorDto;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  userAgent: string | null;
}

/**
 * A page of the organisation's audit log (`organizationId: null`: the instance-level entries),
 * newest first, with the next page's keyset cursor.
 */
export async function listAuditEntries(input: {
  organizationId: string | null;
  filter: AuditListFilter;
  cursor: string | null;
  limit: number;
}): Promise<{ entries: AuditEntryItem[]; nextCursor: string | null }> {
  const { actor, action, targetType, targetId, from, to } = input.filter;
  const [actorKind, actorId] = actor ? (actor.split(':', 2) as [string, string | undefined]) : [];
  const page = await withDbErrors(() =>
    listAuditRows(db(), {
      organizationId: input.organizationId,
      cursor: input.cursor,
      limit: input.limit,
      filter: {
        ...(actorKind === 'user' && actorId ? { actorUserId: actorId } : {}),
        ...(actorKind === 'api_key' && actorId ? { actorApiKeyId: actorId } : {}),
        ...(action ? { action } : {}),
        ...(targetType ? { targetType } : {}),
        ...(targetId ? { targetId } : {}),
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
      },
    }),
  );
  return {
    nextCursor: page.nextCursor,
    entries: page.entries.map((entry) => ({
      id: entry.id,
      createdAt: entry.createdAt.toISOString(),
      actor: entry.actor,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: entry.before,
      after: entry.after,
      userAgent: entry.userAgent,
    })),
  };
}
