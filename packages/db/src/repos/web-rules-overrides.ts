import type { Db } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';
import type { OverrideKind } from '../generated/prisma/enums.js';
import { type Actor, type ActorRef, actorRef, recordAudit } from './audit.js';
import { type ExceptionItemDto, exceptionItemsOf, exceptionJson } from './collector-rules.js';

/** An environment's replacement of a list's items or a macro's condition, or an exception on a rule. */
export interface EnvironmentOverrideRow {
  id: string;
  environmentId: string;
  kind: OverrideKind;
  name: string;
  items: string[];
  condition: string | null;
  /** The rule an exception is appended to (kind = exception). */
  rule: string | null;
  /** The exception's conditions (kind = exception). */
  exception: ExceptionItemDto[] | null;
  updatedAt: Date;
  updatedBy: ActorRef | null;
}

const SELECT = {
  id: true,
  environmentId: true,
  kind: true,
  name: true,
  items: true,
  condition: true,
  rule: true,
  exception: true,
  updatedAt: true,
  updatedBy: { select: { id: true, name: true } },
  updatedByApiKey: { select: { id: true, name: true } },
} as const;

function toOverrideRow({
  updatedBy,
  updatedByApiKey,
  exception,
  ...row
}: {
  id: string;
  environmentId: string;
  kind: OverrideKind;
  name: string;
  items: string[];
  condition: string | null;
  rule: string | null;
  exception: unknown;
  updatedAt: Date;
  updatedBy: { id: string; name: string } | null;
  updatedByApiKey: { id: string; name: string } | null;
}): EnvironmentOverrideRow {
  return { ...row, exception: exceptionItemsOf(exception), updatedBy: actorRef(updatedBy, updatedByApiKey) };
}

/**
 * Overrides of a rule set, in one environment or (without `environmentId`) in all of them. Rows
 * of another organisation's rule set or environment are never returned.
 */
export async function listEnvironmentOverrides(
  db: Db,
  input: { organizationId: string; ruleSetId: string; environmentId?: string },
): Promise<EnvironmentOverrideRow[]> {
  const rows = await db.prisma.environmentOverride.findMany({
    where: {
      ruleSetId: input.ruleSetId,
      ruleSet: { organizationId: input.organizationId },
      environment: { organizationId: input.organizationId },
      ...(input.environmentId ? { environmentId: input.environmentId } : {}),
    },
    orderBy: [{ kind: 'asc' }, { name: 'asc' }],
    select: SELECT,
  });
  return rows.map(toOverrideRow);
}

/** Identifies one override; the organisation scopes both the environment and the rule set. */
export interface OverrideKey {
  organizationId: string;
  environmentId: string;
  ruleSetId: string;
  kind: OverrideKind;
  name: string;
}

async function assertScope(
  tx: Pick<Db['prisma'], 'environment' | 'ruleSet'>,
  key: OverrideKey,
): Promise<boolean> {
  const [env, set] = await Promise.all([
    tx.environment.findFirst({
      where: { id: key.environmentId, organizationId: key.organizationId },
      select: { id: true },
    }),
    tx.ruleSet.findFirst({
      where: { id: key.ruleSetId, organizationId: key.organizationId },
      select: { id: true },
    }),
  ]);
  return Boolean(env && set);
}

/**
 * Creates or replaces an override, audit-logged with the previous value. Returns null when the
 * environment or rule set is not the organisation's. The caller validates the merged rules first.
 * An exception (kind = exception) takes `rule` and `exception`; replacing one keeps its name.
 */
export async function saveEnvironmentOverride(
  db: Db,
  input: OverrideKey & {
    items?: string[];
    condition?: string;
    rule?: string;
    exception?: ExceptionItemDto[];
  },
  actor: Actor,
): Promise<EnvironmentOverrideRow | null> {
  return db.prisma.$transaction(async (tx) => {
    if (!(await assertScope(tx, input))) return null;
    const where = {
      environmentId_ruleSetId_kind_name: {
        environmentId: input.environmentId,
        ruleSetId: input.ruleSetId,
        kind: input.kind,
        name: input.name,
      },
    };
    const before = await tx.environmentOverride.findUnique({
      where,
      select: { items: true, condition: true, rule: true, exception: true },
    });
    const isException = input.kind === 'exception';
    const data = {
      items: input.kind === 'list' ? (input.items ?? []) : [],
      condition: input.kind === 'macro' ? (input.condition ?? '') : null,
      rule: isException ? (input.rule ?? null) : null,
      exception: isException ? exceptionJson(input.exception ?? []) : Prisma.DbNull,
      updatedById: actor.userId ?? null,
      updatedByApiKeyId: actor.apiKeyId ?? null,
    };
    const row = await tx.environmentOverride.upsert({
      where,
      create: {
        environmentId: input.environmentId,
        ruleSetId: input.ruleSetId,
        kind: input.kind,
        name: input.name,
        ...data,
      },
      update: data,
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: before ? 'override.update' : 'override.create',
      targetType: 'environment_override',
      targetId: row.id,
      before: before
        ? {
            kind: input.kind,
            name: input.name,
            items: before.items,
            condition: before.condition,
            ...(isException ? { rule: before.rule, exception: before.exception } : {}),
          }
        : undefined,
      after: {
        environmentId: input.environmentId,
        ruleSetId: input.ruleSetId,
        kind: row.kind,
        name: row.name,
        items: row.items,
        condition: row.condition,
        ...(isException ? { rule: row.rule, exception: row.exception } : {}),
      },
    });
    return toOverrideRow(row);
  });
}

/** Removes an override (the base value applies again); false when there was none. Audit-logged. */
export async function deleteEnvironmentOverride(db: Db, key: OverrideKey, actor: Actor): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    if (!(await assertScope(tx, key))) return false;
    const row = await tx.environmentOverride.findUnique({
      where: {
        environmentId_ruleSetId_kind_name: {
          environmentId: key.environmentId,
          ruleSetId: key.ruleSetId,
          kind: key.kind,
          name: key.name,
        },
      },
      select: { id: true, items: true, condition: true, rule: true, exception: true },
    });
    if (!row) return false;
    await tx.environmentOverride.delete({ where: { id: row.id } });
    await recordAudit(tx, actor, {
      organizationId: key.organizationId,
      action: 'override.delete',
      targetType: 'environment_override',
      targetId: row.id,
      before: {
        environmentId: key.environmentId,
        ruleSetId: key.ruleSetId,
        kind: key.kind,
        name: key.name,
        items: row.items,
        condition: row.condition,
        ...(key.kind === 'exception' ? { rule: row.rule, exception: row.exception } : {}),
      },
    });
    return true;
  });
}
