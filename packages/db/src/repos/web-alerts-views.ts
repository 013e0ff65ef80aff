import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import { type Actor, recordAudit } from './audit.js';

/** A saved alert-list filter: the caller's own, or shared in the organisation. */
export interface SavedViewDto {
  id: string;
  name: string;
  /** The alert list's query string parameters. */
  query: Record<string, string>;
  shared: boolean;
  ownerId: string;
  ownerName: string;
  createdAt: Date;
}

function toQuery(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
}

/** The caller's views and the organisation's shared ones, by name (API keys, `userId` null: shared only). */
export async function listSavedViews(
  db: Db,
  organizationId: string,
  userId: string | null,
): Promise<SavedViewDto[]> {
  const rows = await db.prisma.savedView.findMany({
    where: { organizationId, OR: [...(userId ? [{ userId }] : []), { shared: true }] },
    orderBy: [{ name: 'asc' }, { createdAt: 'asc' }],
    select: {
      id: true,
      name: true,
      query: true,
      shared: true,
      userId: true,
      createdAt: true,
      user: { select: { name: true } },
    },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    query: toQuery(r.query),
    shared: r.shared,
    ownerId: r.userId,
    ownerName: r.user.name,
    createdAt: r.createdAt,
  }));
}

/** Saves a view; `null` when the caller already has a view with that name. */
export async function createSavedView(
  db: Db,
  input: {
    organizationId: string;
    userId: string;
    name: string;
    query: Record<string, string>;
    shared: boolean;
    actor: Actor;
  },
): Promise<SavedViewDto | null> {
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.savedView.create({
        data: {
          organizationId: input.organizationId,
          userId: input.userId,
          name: input.name,
          query: input.query,
          shared: input.shared,
        },
        select: { id: true, createdAt: true, user: { select: { name: true } } },
      });
      await recordAudit(tx, input.actor, {
        organizationId: input.organizationId,
        action: 'saved_view.create',
        targetType: 'saved_view',
        targetId: row.id,
        after: { name: input.name, query: input.query, shared: input.shared },
      });
      return {
        id: row.id,
        name: input.name,
        query: input.query,
        shared: input.shared,
        ownerId: input.userId,
        ownerName: row.user.name,
        createdAt: row.createdAt,
      };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
    throw error;
  }
}

/**
 * Deletes a view of the organisation if `canDeleteOthers` or the caller owns it.
 * Returns `not_found` / `forbidden` / `deleted`.
 */
export async function deleteSavedView(
  db: Db,
  input: {
    organizationId: string;
    id: string;
    /** Null for an API key, which owns no views. */
    userId: string | null;
    canDeleteOthers: boolean;
    actor: Actor;
  },
): Promise<'deleted' | 'not_found' | 'forbidden'> {
  return db.prisma.$transaction(async (tx) => {
    const view = await tx.savedView.findFirst({
      where: { id: input.id, organizationId: input.organizationId },
      select: { id: true, userId: true, name: true, query: true, shared: true },
    });
    // Someone else's private view is invisible, so it is "not found" rather than "forbidden".
    if (!view || (view.userId !== input.userId && !view.shared)) return 'not_found';
    if (view.userId !== input.userId && !input.canDeleteOthers) return 'forbidden';
    await tx.savedView.delete({ where: { id: view.id } });
    await recordAudit(tx, input.actor, {
      organizationId: input.organizationId,
      action: 'saved_view.delete',
      targetType: 'saved_view',
      targetId: view.id,
      before: { name: view.name, query: view.query, shared: view.shared, ownerId: view.userId },
    });
    return 'deleted';
  });
}
