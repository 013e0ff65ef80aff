import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { VersionStatus } from '../generated/prisma/enums.js';
import { type Actor, type ActorRef, actorRef, recordAudit } from './audit.js';

/** A rule set as the console lists it. */
export interface RuleSetListItem {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  versionCount: number;
  latest: { id: string; number: number; status: VersionStatus; message: string; createdAt: Date } | null;
  /** The version active in each environment that has one. */
  active: { environmentId: string; versionId: string; number: number }[];
}

/** A rule set's own fields. */
export interface RuleSetDto {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
}

/** One version in a rule set's history. */
export interface RuleSetVersionListItem {
  id: string;
  number: number;
  message: string;
  status: VersionStatus;
  createdAt: Date;
  author: ActorRef | null;
  summary: unknown;
  /** The Git commit the version was imported from, if it was. */
  gitCommit: string | null;
  errorCount: number;
  warningCount: number;
}

/** A version with its files, for the editor and for diffs. */
export interface RuleSetVersionDetail {
  id: string;
  ruleSetId: string;
  ruleSetName: string;
  number: number;
  message: string;
  status: VersionStatus;
  createdAt: Date;
  author: ActorRef | null;
  diagnostics: unknown[];
  summary: unknown;
  /** The Git commit the version was imported from, if it was. */
  gitCommit: string | null;
  files: { name: string; content: string }[];
}

const countSeverity = (diagnostics: unknown, severity: string): number =>
  Array.isArray(diagnostics)
    ? diagnostics.filter((d) => (d as { severity?: unknown } | null)?.severity === severity).length
    : 0;

/** The newest activation per (environment, rule set) for the given rule sets. */
async function activeVersionsOf(
  db: Db,
  ruleSetIds: readonly string[],
): Promise<{ ruleSetId: string; environmentId: string; versionId: string; number: number }[]> {
  if (ruleSetIds.length === 0) return [];
  return db.prisma.$queryRaw<
    { ruleSetId: string; environmentId: string; versionId: string; number: number }[]
  >`
    SELECT DISTINCT ON (a."environmentId", a."ruleSetId")
      a."ruleSetId"::text AS "ruleSetId", a."environmentId"::text AS "environmentId",
      a."versionId"::text AS "versionId", v.number AS number
    FROM activations a JOIN rule_set_versions v ON v.id = a."versionId"
    WHERE a."ruleSetId" = ANY(${ruleSetIds as string[]}::uuid[])
    ORDER BY a."environmentId", a."ruleSetId", a."createdAt" DESC, a.id DESC`;
}

/** The organisation's rule sets, oldest first, with their newest version and what is active where. */
export async function listRuleSets(db: Db, organizationId: string): Promise<RuleSetListItem[]> {
  const sets = await db.prisma.ruleSet.findMany({
    where: { organizationId },
    orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
    select: {
      id: true,
      name: true,
      description: true,
      createdAt: true,
      _count: { select: { versions: true } },
      versions: {
        orderBy: { number: 'desc' },
        take: 1,
        select: { id: true, number: true, status: true, message: true, createdAt: true },
      },
    },
  });
  const active = await activeVersionsOf(
    db,
    sets.map((s) => s.id),
  );
  return sets.map((s) => ({
    id: s.id,
    name: s.name,
    description: s.description,
    createdAt: s.createdAt,
    versionCount: s._count.versions,
    latest: s.versions[0] ?? null,
    active: active
      .filter((a) => a.ruleSetId === s.id)
      .map(({ environmentId, versionId, number }) => ({ environmentId, versionId, number })),
  }));
}

/** A rule set of the organisation, or null (also for another organisation's rule set). */
export async function getRuleSet(
  db: Db,
  organizationId: string,
  ruleSetId: string,
): Promise<RuleSetDto | null> {
  return db.prisma.ruleSet.findFirst({
    where: { id: ruleSetId, organizationId },
    select: { id: true, name: true, description: true, createdAt: true },
  });
}

/** Creates an empty rule set (its first version is saved separately). Names are unique per organisation. */
export async function createRuleSet(
  db: Db,
  input: { organizationId: string; name: string; description: string },
  actor: Actor,
): Promise<RuleSetDto> {
  return db.prisma.$transaction(async (tx) => {
    const clash = await tx.ruleSet.findFirst({
      where: { organizationId: input.organizationId, name: input.name },
      select: { id: true },
    });
    if (clash) throw new DbError('CONFLICT', `a rule set named '${input.name}' already exists`);
    const set = await tx.ruleSet.create({
      data: { organizationId: input.organizationId, name: input.name, description: input.description },
      select: { id: true, name: true, description: true, createdAt: true },
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'ruleset.create',
      targetType: 'rule_set',
      targetId: set.id,
      after: { name: set.name, description: set.description },
    });
    return set;
  });
}

/** Every version of a rule set, newest first (empty for another organisation's rule set). */
export async function listRuleSetVersions(
  db: Db,
  organizationId: string,
  ruleSetId: string,
): Promise<RuleSetVersionListItem[]> {
  const rows = await db.prisma.ruleSetVersion.findMany({
    where: { ruleSetId, ruleSet: { organizationId } },
    orderBy: { number: 'desc' },
    select: {
      id: true,
      number: true,
      message: true,
      status: true,
      createdAt: true,
      summary: true,
      gitCommit: true,
      diagnostics: true,
      author: { select: { id: true, name: true } },
      authorApiKey: { select: { id: true, name: true } },
    },
  });
  return rows.map(({ diagnostics, author, authorApiKey, ...row }) => ({
    ...row,
    author: actorRef(author, authorApiKey),
    errorCount: countSeverity(diagnostics, 'error'),
    warningCount: countSeverity(diagnostics, 'warning'),
  }));
}

/** A version with its files in load order, or null when it is not the organisation's. */
export async function getRuleSetVersion(
  db: Db,
  organizationId: string,
  versionId: string,
): Promise<RuleSetVersionDetail | null> {
  const row = await db.prisma.ruleSetVersion.findFirst({
    where: { id: versionId, ruleSet: { organizationId } },
    select: {
      id: true,
      number: true,
      message: true,
      status: true,
      createdAt: true,
      diagnostics: true,
      summary: true,
      gitCommit: true,
      author: { select: { id: true, name: true } },
      authorApiKey: { select: { id: true, name: true } },
      ruleSet: { select: { id: true, name: true } },
      files: { orderBy: { position: 'asc' }, select: { name: true, content: true } },
    },
  });
  if (!row) return null;
  const { ruleSet, diagnostics, author, authorApiKey, ...rest } = row;
  return {
    ...rest,
    author: actorRef(author, authorApiKey),
    ruleSetId: ruleSet.id,
    ruleSetName: ruleSet.name,
    diagnostics: Array.isArray(diagnostics) ? diagnostics : [],
  };
}
