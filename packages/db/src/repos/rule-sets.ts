import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { ActivationAction, VersionStatus } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';

/** One YAML rules file of a version. */
export interface RuleFileInput {
  name: string;
  content: string;
}

/** A new immutable version, with the verdict of the engine's loader on it. */
export interface NewVersionInput {
  ruleSetId: string;
  files: RuleFileInput[];
  message: string;
  authorId: string | null;
  /** The API key that saved it (CI), when no user did. */
  authorApiKeyId?: string | null;
  /** `valid` only when the files compile without errors (the caller runs the engine). */
  status: VersionStatus;
  diagnostics: unknown[];
  summary: Record<string, unknown>;
  /**
   * Where the files came from when they were not edited in the console: an uploaded archive or
   * folder, or a Git branch head (whose commit the version records). Audited as an import.
   */
  imported?:
    | { from: 'archive' | 'folder'; name: string }
    | { from: 'git'; url: string; branch: string; commit: string };
}

export interface VersionDto {
  id: string;
  ruleSetId: string;
  number: number;
  message: string;
  status: VersionStatus;
  createdAt: Date;
}

/** Creates the next version of a rule set (versions are never edited). */
export async function createRuleSetVersion(
  db: Db,
  input: NewVersionInput,
  actor: Actor,
): Promise<VersionDto> {
  if (input.files.length === 0) throw new DbError('INVALID', 'a version needs at least one rules file');
  const names = new Set(input.files.map((f) => f.name));
  if (names.size !== input.files.length) throw new DbError('INVALID', 'rules file names must be unique');
  return db.prisma.$transaction(async (tx) => {
    const set = await tx.ruleSet.findUnique({
      where: { id: input.ruleSetId },
      select: { id: true, organizationId: true },
    });
    if (!set) throw new DbError('NOT_FOUND', 'rule set not found');
    // Row lock on the rule set: concurrent saves get consecutive numbers instead of a conflict.
    await tx.$executeRaw`SELECT 1 FROM rule_sets WHERE id = ${set.id}::uuid FOR UPDATE`;
    const last = await tx.ruleSetVersion.findFirst({
      where: { ruleSetId: set.id },
      orderBy: { number: 'desc' },
      select: { number: true },
    });
    const version = await tx.ruleSetVersion.create({
      data: {
        ruleSetId: set.id,
        number: (last?.number ?? 0) + 1,
        message: input.message,
        authorId: input.authorId,
        authorApiKeyId: input.authorApiKeyId ?? null,
        status: input.status,
        diagnostics: input.diagnostics as object[],
        summary: input.summary as object,
        gitCommit: input.imported?.from === 'git' ? input.imported.commit : null,
        files: { create: input.files.map((f, position) => ({ position, name: f.name, content: f.content })) },
      },
      select: { id: true, ruleSetId: true, number: true, message: true, status: true, createdAt: true },
    });
    await recordAudit(tx, actor, {
      organizationId: set.organizationId,
      action: input.imported ? 'ruleset.version.import' : 'ruleset.version.create',
      targetType: 'rule_set_version',
      targetId: version.id,
      after: {
        ruleSetId: set.id,
        number: version.number,
        status: version.status,
        message: input.message,
        ...(input.imported ? { imported: input.imported, files: input.files.length } : {}),
      },
    });
    return version;
  });
}

/**
 * Makes `versionId` the active version of its rule set in `environmentId`. Drafts (versions that
 * do not compile) are refused.
 */
export async function activateVersion(
  db: Db,
  input: {
    environmentId: string;
    versionId: string;
    action: ActivationAction;
    fromEnvironmentId?: string | null;
    comment?: string;
    /** An admin activated the version although its rule tests fail: why, and how many failed. */
    testsOverride?: { reason: string; failing: number; total: number };
  },
  actor: Actor,
): Promise<{ id: string; createdAt: Date }> {
  return db.prisma.$transaction(async (tx) => {
    const version = await tx.ruleSetVersion.findUnique({
      where: { id: input.versionId },
      select: {
        id: true,
        number: true,
        status: true,
        ruleSet: { select: { id: true, organizationId: true } },
      },
    });
    if (!version) throw new DbError('NOT_FOUND', 'version not found');
    if (version.status !== 'valid') {
      throw new DbError('INVALID', `version ${version.number} does not compile: save a fixed version first`);
    }
    const env = await tx.environment.findUnique({
      where: { id: input.environmentId },
      select: { id: true, organizationId: true },
    });
    if (!env || env.organizationId !== version.ruleSet.organizationId) {
      throw new DbError('NOT_FOUND', 'environment not found');
    }
    const previous = await tx.activation.findFirst({
      where: { environmentId: env.id, ruleSetId: version.ruleSet.id },
      orderBy: { createdAt: 'desc' },
      select: { versionId: true },
    });
    const row = await tx.activation.create({
      data: {
        environmentId: env.id,
        ruleSetId: version.ruleSet.id,
        versionId: version.id,
        action: input.action,
        fromEnvironmentId: input.fromEnvironmentId ?? null,
        activatedById: actor.userId ?? null,
        activatedByApiKeyId: actor.apiKeyId ?? null,
        comment: input.comment ?? '',
      },
      select: { id: true, createdAt: true },
    });
    await recordAudit(tx, actor, {
      organizationId: env.organizationId,
      action: `ruleset.${input.action}`,
      targetType: 'environment',
      targetId: env.id,
      before: previous ? { versionId: previous.versionId } : undefined,
      after: {
        versionId: version.id,
        number: version.number,
        fromEnvironmentId: input.fromEnvironmentId,
        ...(input.testsOverride ? { failingTestsOverridden: input.testsOverride } : {}),
      },
    });
    return row;
  });
}
