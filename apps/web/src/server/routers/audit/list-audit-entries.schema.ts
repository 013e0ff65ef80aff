import { z } from 'zod';

const jsonValue = z.unknown();

export const auditActor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), id: z.string(), name: z.string(), email: z.string() }),
  z.object({ kind: z.literal('api_key'), id: z.string(), name: z.string(), prefix: z.string() }),
  z.object({ kind: z.literal('deleted_user') }),
  z.object({ kind: z.literal('system') }),
]);

/** Filters; all optional, combined with AND. */
export const auditFilter = z.object({
  actor: z
    .string()
    .regex(/^(user|api_key):[\w-]{1,200}$/, 'Pick an actor from the list')
    .optional(),
  /** An action or an action family prefix such as `member.`. */
  action: z.string().trim().max(100).optional(),
  targetType: z.string().trim().max(100).optional(),
  targetId: z.string().trim().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const listAuditEntriesInput = z.object({
  filter: auditFilter.default({}),
  cursor: z.string().max(200).nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const auditEntry = z.object({
  id: z.string(),
  createdAt: z.iso.datetime(),
  actor: auditActor,
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: jsonValue,
  after: jsonValue,
  userAgent: z.string().nullable(),
});

export const listAuditEntriesOutput = z.object({
  entries: z.array(auditEntry),
  nextCursor: z.string().nullable(),
});
