import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import { type Actor, recordAudit } from './audit.js';
import { decryptSourceSecrets, encryptSourceSecrets } from './sources-secrets.js';

/** A rule set's Git remote as the console shows it: the token never leaves the database in clear. */
export interface RuleSetGitRemoteDto {
  ruleSetId: string;
  url: string;
  branch: string;
  username: string;
  hasToken: boolean;
  lastSync: {
    action: 'push' | 'import';
    commit: string | null;
    versionNumber: number | null;
    at: Date;
    error: string | null;
  } | null;
  updatedAt: Date;
}

const SELECT = {
  ruleSetId: true,
  url: true,
  branch: true,
  username: true,
  secretsEncrypted: true,
  lastSyncAction: true,
  lastSyncCommit: true,
  lastSyncVersion: true,
  lastSyncAt: true,
  lastSyncError: true,
  updatedAt: true,
} as const;

type Row = {
  ruleSetId: string;
  url: string;
  branch: string;
  username: string;
  secretsEncrypted: Uint8Array | null;
  lastSyncAction: string | null;
  lastSyncCommit: string | null;
  lastSyncVersion: number | null;
  lastSyncAt: Date | null;
  lastSyncError: string | null;
  updatedAt: Date;
};

function toDto(row: Row): RuleSetGitRemoteDto {
  return {
    ruleSetId: row.ruleSetId,
    url: row.url,
    branch: row.branch,
    username: row.username,
    hasToken: row.secretsEncrypted !== null,
    lastSync:
      row.lastSyncAt && (row.lastSyncAction === 'push' || row.lastSyncAction === 'import')
        ? {
            action: row.lastSyncAction,
            commit: row.lastSyncCommit,
            versionNumber: row.lastSyncVersion,
            at: row.lastSyncAt,
            error: row.lastSyncError,
          }
        : null,
    updatedAt: row.updatedAt,
  };
}

/** The rule set's Git remote, or null (also for another organisation's rule set). */
export async function getRuleSetGitRemote(
  db: Db,
  organizationId: string,
  ruleSetId: string,
): Promise<RuleSetGitRemoteDto | null> {
  const row = await db.prisma.ruleSetGitRemote.findFirst({
    where: { ruleSetId, ruleSet: { organizationId } },
    select: SELECT,
  });
  return row ? toDto(row) : null;
}

/** The remote with its token in clear, for a push or an import (never sent to a browser). */
export async function getRuleSetGitCredentials(
  db: Db,
  organizationId: string,
  ruleSetId: string,
  secretKey: Buffer | null,
): Promise<(RuleSetGitRemoteDto & { token: string | null }) | null> {
  const row = await db.prisma.ruleSetGitRemote.findFirst({
    where: { ruleSetId, ruleSet: { organizationId } },
    select: SELECT,
  });
  if (!row) return null;
  let token: string | null = null;
  if (row.secretsEncrypted) {
    if (!secretKey)
      throw new DbError('INVALID', 'the Git token cannot be read: PEREGRINE_SECRET_KEY is not set');
    token = decryptSourceSecrets(secretKey, row.secretsEncrypted).token ?? null;
  }
  return { ...toDto(row), token };
}

/**
 * Creates or replaces a rule set's Git remote. `token`: undefined keeps the stored one, null
 * removes it, a string replaces it (encrypted with `secretKey`). Audited without the token.
 */
export async function saveRuleSetGitRemote(
  db: Db,
  input: {
    organizationId: string;
    ruleSetId: string;
    url: string;
    branch: string;
    username: string;
    token: string | null | undefined;
    secretKey: Buffer | null;
  },
  actor: Actor,
): Promise<RuleSetGitRemoteDto> {
  let secretsEncrypted: Uint8Array<ArrayBuffer> | null | undefined;
  if (typeof input.token === 'string') {
    if (!input.secretKey) throw new DbError('INVALID', 'a Git token needs PEREGRINE_SECRET_KEY to be stored');
    secretsEncrypted = encryptSourceSecrets(input.secretKey, { token: input.token });
  } else if (input.token === null) secretsEncrypted = null;
  return db.prisma.$transaction(async (tx) => {
    const set = await tx.ruleSet.findFirst({
      where: { id: input.ruleSetId, organizationId: input.organizationId },
      select: { id: true },
    });
    if (!set) throw new DbError('NOT_FOUND', 'rule set not found');
    const before = await tx.ruleSetGitRemote.findUnique({
      where: { ruleSetId: set.id },
      select: { url: true, branch: true, username: true, secretsEncrypted: true },
    });
    const fields = {
      url: input.url,
      branch: input.branch,
      username: input.username,
      updatedAt: new Date(),
      ...(secretsEncrypted !== undefined ? { secretsEncrypted } : {}),
    };
    const row = await tx.ruleSetGitRemote.upsert({
      where: { ruleSetId: set.id },
      create: { ruleSetId: set.id, ...fields },
      update: fields,
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'ruleset.git.settings',
      targetType: 'rule_set',
      targetId: set.id,
      before: before
        ? {
            url: before.url,
            branch: before.branch,
            username: before.username,
            token: before.secretsEncrypted !== null,
          }
        : undefined,
      after: {
        url: row.url,
        branch: row.branch,
        username: row.username,
        token: row.secretsEncrypted !== null,
      },
    });
    return toDto(row);
  });
}

/**
 * Records a push or an import (or its failure) on the remote; a push is audited here (an import
 * is audited with the version it creates, and a failed one here).
 */
export async function recordRuleSetGitSync(
  db: Db,
  input: {
    organizationId: string;
    ruleSetId: string;
    action: 'push' | 'import';
    commit: string | null;
    versionNumber: number | null;
    error: string | null;
  },
  actor: Actor,
): Promise<RuleSetGitRemoteDto> {
  return db.prisma.$transaction(async (tx) => {
    const found = await tx.ruleSetGitRemote.findFirst({
      where: { ruleSetId: input.ruleSetId, ruleSet: { organizationId: input.organizationId } },
      select: { ruleSetId: true, url: true, branch: true },
    });
    if (!found) throw new DbError('NOT_FOUND', 'no Git remote is configured for this rule set');
    const row = await tx.ruleSetGitRemote.update({
      where: { ruleSetId: found.ruleSetId },
      data: {
        lastSyncAction: input.action,
        lastSyncCommit: input.commit,
        lastSyncVersion: input.versionNumber,
        lastSyncAt: new Date(),
        lastSyncError: input.error,
      },
      select: SELECT,
    });
    if (input.action === 'push' || input.error) {
      await recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action: `ruleset.git.${input.action}`,
        targetType: 'rule_set',
        targetId: found.ruleSetId,
        after: {
          url: found.url,
          branch: found.branch,
          commit: input.commit,
          versionNumber: input.versionNumber,
          ...(input.error ? { error: input.error } : {}),
        },
      });
    }
    return toDto(row);
  });
}
