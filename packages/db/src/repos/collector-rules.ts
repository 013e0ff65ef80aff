import { createHash } from 'node:crypto';
import type { Db, Prisma } from '../client.js';

/** One condition of an exception override: a field, Falco's comparison and its value(s). */
export interface ExceptionItemDto {
  field: string;
  comp: string;
  value: string | string[];
}

/** An environment override of a list's items, a macro's condition, or an exception on a rule. */
export interface OverrideDto {
  kind: 'list' | 'macro' | 'exception';
  name: string;
  items: string[];
  condition: string | null;
  /** The rule an exception is appended to (kind = exception). */
  rule: string | null;
  /** The exception's conditions (kind = exception); null when the stored value is not one. */
  exception: ExceptionItemDto[] | null;
}

/** Exception items as the JSON stored in the `exception` column. */
export function exceptionJson(items: readonly ExceptionItemDto[]) {
  return items.map((i) => ({
    field: i.field,
    comp: i.comp,
    value: typeof i.value === 'string' ? i.value : [...i.value],
  }));
}

/** A stored exception column read back as items, or null when it does not have their shape. */
export function exceptionItemsOf(value: unknown): ExceptionItemDto[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const items: ExceptionItemDto[] = [];
  for (const v of value) {
    const o = v as { field?: unknown; comp?: unknown; value?: unknown } | null;
    if (typeof o?.field !== 'string' || typeof o.comp !== 'string') return null;
    const ok =
      typeof o.value === 'string' ||
      (Array.isArray(o.value) && o.value.every((x): x is string => typeof x === 'string'));
    if (!ok) return null;
    items.push({ field: o.field, comp: o.comp, value: o.value as string | string[] });
  }
  return items;
}

/** One rule set active in an environment: the active version's files plus the overrides. */
export interface ActiveRuleSet {
  ruleSetId: string;
  name: string;
  versionId: string;
  versionNumber: number;
  files: { name: string; content: string }[];
  overrides: OverrideDto[];
}

/** Everything the collector compiles for one environment. */
export interface EnvironmentRules {
  environmentId: string;
  organizationId: string;
  /** Changes whenever an activation or an override of the environment changes. */
  stamp: string;
  ruleSets: ActiveRuleSet[];
}

/**
 * Cheap version stamps of environments' rules: one short query for many environments, meant to be
 * polled every second. A stamp covers the newest activation per rule set and every override row.
 */
export function getRulesStamps(db: Db, environmentIds: readonly string[]): Promise<Map<string, string>> {
  return queryStamps(db.prisma, environmentIds);
}

async function queryStamps(
  q: Pick<Prisma, '$queryRaw'>,
  environmentIds: readonly string[],
): Promise<Map<string, string>> {
  if (environmentIds.length === 0) return new Map();
  const rows = await q.$queryRaw<{ id: string; basis: string }[]>`
    SELECT e.id::text AS id,
      coalesce((SELECT string_agg(a."ruleSetId"::text || ':' || a."versionId"::text, ',' ORDER BY a."ruleSetId")
                FROM (SELECT DISTINCT ON ("ruleSetId") "ruleSetId", "versionId" FROM activations
                      WHERE "environmentId" = e.id ORDER BY "ruleSetId", "createdAt" DESC, id DESC) a), '')
      || '|' ||
      coalesce((SELECT string_agg(o.id::text || '@' || o."updatedAt"::text, ',' ORDER BY o.id)
                FROM environment_overrides o WHERE o."environmentId" = e.id), '') AS basis
    FROM environments e WHERE e.id = ANY(${environmentIds as string[]}::uuid[])`;
  const out = new Map<string, string>();
  for (const r of rows) out.set(r.id, stampOf(r.basis));
  return out;
}

function stampOf(basis: string): string {
  return createHash('sha256').update(basis).digest('hex').slice(0, 16);
}

/** Loads the active version of every rule set of an environment with the environment's overrides. */
export async function loadEnvironmentRules(db: Db, environmentId: string): Promise<EnvironmentRules | null> {
  const env = await db.prisma.environment.findUnique({
    where: { id: environmentId },
    select: { id: true, organizationId: true },
  });
  if (!env) return null;
  // Read the stamp in the same snapshot as the contents so a change between the two reads is
  // picked up by the next poll instead of being hidden under a stamp that already includes it.
  return db.prisma.$transaction(
    async (tx) => {
      const stamps = await queryStamps(tx, [environmentId]);
      const active = await tx.$queryRaw<{ ruleSetId: string; versionId: string }[]>`
        SELECT DISTINCT ON ("ruleSetId") "ruleSetId"::text AS "ruleSetId", "versionId"::text AS "versionId"
        FROM activations WHERE "environmentId" = ${environmentId}::uuid
        ORDER BY "ruleSetId", "createdAt" DESC, id DESC`;
      const versions = await tx.ruleSetVersion.findMany({
        where: { id: { in: active.map((a) => a.versionId) } },
        select: {
          id: true,
          number: true,
          ruleSet: { select: { id: true, name: true, createdAt: true } },
          files: { select: { name: true, content: true }, orderBy: { position: 'asc' } },
        },
      });
      const overrides = await tx.environmentOverride.findMany({
        where: { environmentId },
        select: {
          ruleSetId: true,
          kind: true,
          name: true,
          items: true,
          condition: true,
          rule: true,
          exception: true,
        },
        orderBy: [{ kind: 'asc' }, { name: 'asc' }],
      });
      const ruleSets = versions
        .sort(
          (a, b) =>
            a.ruleSet.createdAt.getTime() - b.ruleSet.createdAt.getTime() ||
            a.ruleSet.name.localeCompare(b.ruleSet.name),
        )
        .map((v) => ({
          ruleSetId: v.ruleSet.id,
          name: v.ruleSet.name,
          versionId: v.id,
          versionNumber: v.number,
          files: v.files,
          overrides: overrides
            .filter((o) => o.ruleSetId === v.ruleSet.id)
            .map((o) => ({
              kind: o.kind,
              name: o.name,
              items: o.items,
              condition: o.condition,
              rule: o.rule,
              exception: exceptionItemsOf(o.exception),
            })),
        }));
      return {
        environmentId,
        organizationId: env.organizationId,
        stamp: stamps.get(environmentId) ?? stampOf(''),
        ruleSets,
      };
    },
    { isolationLevel: 'RepeatableRead' },
  );
}

/** Sets (creates or replaces) an environment override; used by the console and by tests. */
export async function setEnvironmentOverride(
  db: Db,
  input: {
    environmentId: string;
    ruleSetId: string;
    kind: 'list' | 'macro' | 'exception';
    name: string;
    items?: string[];
    condition?: string;
    rule?: string;
    exception?: ExceptionItemDto[];
  },
): Promise<void> {
  const data = {
    items: input.items ?? [],
    condition: input.condition ?? null,
    rule: input.rule ?? null,
    ...(input.exception ? { exception: exceptionJson(input.exception) } : {}),
  };
  await db.prisma.environmentOverride.upsert({
    where: {
      environmentId_ruleSetId_kind_name: {
        environmentId: input.environmentId,
        ruleSetId: input.ruleSetId,
        kind: input.kind,
        name: input.name,
      },
    },
    create: {
      environmentId: input.environmentId,
      ruleSetId: input.ruleSetId,
      kind: input.kind,
      name: input.name,
      ...data,
    },
    update: data,
  });
}

/** Environments that have a live sensor or an enabled cloud source (worth compiling at start). */
export async function listIngestingEnvironmentIds(db: Db): Promise<string[]> {
  const rows = await db.prisma.environment.findMany({
    where: {
      OR: [{ sensors: { some: { revokedAt: null } } }, { cloudSources: { some: { enabled: true } } }],
    },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}
