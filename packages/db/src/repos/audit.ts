import type { Prisma } from '../client.js';

/** Who did something: a signed-in user or an API key (or the system when both are absent). */
export interface Actor {
  userId?: string | null;
  apiKeyId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** A user or an API key, named for display (activity, notes, versions, activations, overrides). */
export interface ActorRef {
  kind: 'user' | 'api_key';
  id: string;
  name: string;
}

/**
 * The actor recorded on a row as its user or API key relation (at most one is set); null when
 * neither is: the system acted, or the user was deleted.
 */
export function actorRef(
  user: { id: string; name: string } | null,
  apiKey: { id: string; name: string } | null,
): ActorRef | null {
  if (user) return { kind: 'user', id: user.id, name: user.name };
  if (apiKey) return { kind: 'api_key', id: apiKey.id, name: apiKey.name };
  return null;
}

/** One audit entry: what changed, before and after. */
export interface AuditEntry {
  organizationId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

type TxClient = Pick<Prisma, 'auditLog'>;

/** Records an audit entry; pass the transaction client so the entry commits with the change. */
export async function recordAudit(tx: TxClient, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      organizationId: entry.organizationId,
      actorUserId: actor.userId ?? null,
      actorApiKeyId: actor.apiKeyId ?? null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      before: toJson(entry.before),
      after: toJson(entry.after),
    },
  });
}

/** JSON-safe copy (bigints as strings, dates as ISO) or undefined for "no value". */
function toJson(value: unknown): object | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) as object;
}
