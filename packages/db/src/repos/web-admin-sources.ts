import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { SourceKind } from '../generated/prisma/enums.js';
import { type Actor, recordAudit } from './audit.js';
import {
  decryptSourceSecrets,
  mergeSecrets,
  generateSourceToken,
  type SourceSecrets,
} from './sources-secrets.js';

/**
 * A cloud source as the console sees it: settings, health and the *names* of its secrets, never
 * their values (the console is write-only for secrets).
 */
export interface CloudSourceListItem {
  id: string;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  environment: { id: string; name: string; displayName: string };
  config: Record<string, unknown>;
  /** First characters of the ingest token, when the source has one. */
  tokenPrefix: string | null;
  /** Names of the stored secrets; null when they cannot be read (no or wrong secret key). */
  secretNames: string[] | null;
  hasSecrets: boolean;
  lastEventAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = {
  id: true,
  kind: true,
  name: true,
  enabled: true,
  config: true,
  tokenPrefix: true,
  secretsEncrypted: true,
  lastEventAt: true,
  lastError: true,
  lastErrorAt: true,
  createdAt: true,
  updatedAt: true,
  environment: { select: { id: true, name: true, displayName: true } },
} as const;

type Row = {
  id: string;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: unknown;
  tokenPrefix: string | null;
  secretsEncrypted: Uint8Array | null;
  lastEventAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  environment: { id: string; name: string; displayName: string };
};

function readSecrets(blob: Uint8Array | null, secretKey: Buffer | null): SourceSecrets | null {
  if (!blob) return {};
  if (!secretKey) return null;
  try {
    return decryptSourceSecrets(secretKey, new Uint8Array(blob));
  } catch {
    return null;
  }
}

function toItem(row: Row, secretKey: Buffer | null): CloudSourceListItem {
  const { secretsEncrypted, config, ...rest } = row;
  const secrets = readSecrets(secretsEncrypted, secretKey);
  return {
    ...rest,
    config:
      typeof config === 'object' && config !== null && !Array.isArray(config)
        ? (config as Record<string, unknown>)
        : {},
    secretNames: secrets ? Object.keys(secrets).sort() : null,
    hasSecrets: secretsEncrypted !== null,
  };
}

/** The organisation's cloud sources (optionally of one environment). */
export async function listOrganizationCloudSources(
  db: Db,
  organizationId: string,
  options: { environmentId?: string; secretKey?: Buffer | null } = {},
): Promise<CloudSourceListItem[]> {
  const rows = await db.prisma.cloudSource.findMany({
    where: { organizationId, ...(options.environmentId ? { environmentId: options.environmentId } : {}) },
    orderBy: [{ environment: { position: 'asc' } }, { kind: 'asc' }, { name: 'asc' }],
    select: SELECT,
  });
  return rows.map((row) => toItem(row, options.secretKey ?? null));
}

/** One source of the organisation, or null. */
export async function getOrganizationCloudSource(
  db: Db,
  organizationId: string,
  sourceId: string,
  secretKey: Buffer | null = null,
): Promise<CloudSourceListItem | null> {
  const row = await db.prisma.cloudSource.findFirst({
    where: { id: sourceId, organizationId },
    select: SELECT,
  });
  return row ? toItem(row, secretKey) : null;
}

/** An audit-safe view of a source: settings and secret names, no secret values, no hashes. */
function auditView(item: CloudSourceListItem) {
  return {
    kind: item.kind,
    name: item.name,
    environment: item.environment.name,
    enabled: item.enabled,
    config: item.config,
    tokenPrefix: item.tokenPrefix,
    secrets: item.secretNames ?? (item.hasSecrets ? ['(unreadable)'] : []),
  };
}

/** Records the creation of a source made with `createCloudSource` (which takes no actor). */
export async function auditCloudSourceCreated(
  db: Db,
  input: { organizationId: string; sourceId: string; secretKey: Buffer | null },
  actor: Actor,
): Promise<CloudSourceListItem> {
  const item = await getOrganizationCloudSource(db, input.organizationId, input.sourceId, input.secretKey);
  if (!item) throw new DbError('NOT_FOUND', 'cloud source not found');
  await recordAudit(db.prisma, actor, {
    organizationId: input.organizationId,
    action: 'source.create',
    targetType: 'cloud_source',
    targetId: item.id,
    after: auditView(item),
  });
  return item;
}

/**
 * Changes a source's settings. `secrets` is merged into the stored ones: a string sets a
 * secret, null removes it, an absent name keeps what is stored (so the form never needs to
 * see a secret to keep it).
 */
export async function updateOrganizationCloudSource(
  db: Db,
  input: {
    organizationId: string;
    sourceId: string;
    name?: string;
    enabled?: boolean;
    config?: Record<string, unknown>;
    secrets?: Record<string, string | null>;
    secretKey: Buffer | null;
  },
  actor: Actor,
): Promise<CloudSourceListItem> {
  try {
    return await db.prisma.$transaction(async (tx) => {
      const row = await tx.cloudSource.findFirst({
        where: { id: input.sourceId, organizationId: input.organizationId },
        select: SELECT,
      });
      if (!row) throw new DbError('NOT_FOUND', 'cloud source not found');
      const before = toItem(row, input.secretKey);
      let secretsEncrypted: Uint8Array<ArrayBuffer> | null | undefined;
      const changes = Object.entries(input.secrets ?? {});
      if (changes.length > 0) {
        secretsEncrypted = mergeSecrets(input.secretKey, row.secretsEncrypted, changes, 'secrets');
      }
      const updated = await tx.cloudSource.update({
        where: { id: row.id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          ...(input.config !== undefined ? { config: input.config as object } : {}),
          ...(secretsEncrypted !== undefined ? { secretsEncrypted } : {}),
        },
        select: SELECT,
      });
      const after = toItem(updated, input.secretKey);
      await recordAudit(tx, actor, {
        organizationId: input.organizationId,
        action: 'source.update',
        targetType: 'cloud_source',
        targetId: row.id,
        before: auditView(before),
        after: {
          ...auditView(after),
          ...(changes.length > 0 ? { secretsChanged: changes.map(([name]) => name).sort() } : {}),
        },
      });
      return after;
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002') {
      throw new DbError('CONFLICT', `a source named "${input.name}" already exists in this environment`);
    }
    throw err;
  }
}

/** Issues a new ingest token for a push source; the old one stops working at once. */
export async function rotateCloudSourceToken(
  db: Db,
  input: { organizationId: string; sourceId: string; secretKey: Buffer | null },
  actor: Actor,
): Promise<{ source: CloudSourceListItem; token: string }> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.cloudSource.findFirst({
      where: { id: input.sourceId, organizationId: input.organizationId },
      select: SELECT,
    });
    if (!row) throw new DbError('NOT_FOUND', 'cloud source not found');
    const token = generateSourceToken();
    const updated = await tx.cloudSource.update({
      where: { id: row.id },
      data: { tokenHash: token.hash, tokenPrefix: token.prefix },
      select: SELECT,
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'source.rotate_token',
      targetType: 'cloud_source',
      targetId: row.id,
      before: { name: row.name, tokenPrefix: row.tokenPrefix },
      after: { name: updated.name, tokenPrefix: updated.tokenPrefix },
    });
    return { source: toItem(updated, input.secretKey), token: token.token };
  });
}

/** Deletes a source of the organisation (its alerts keep their rows; the FK is set null). */
export async function deleteOrganizationCloudSource(
  db: Db,
  input: { organizationId: string; sourceId: string; secretKey: Buffer | null },
  actor: Actor,
): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    const row = await tx.cloudSource.findFirst({
      where: { id: input.sourceId, organizationId: input.organizationId },
      select: SELECT,
    });
    if (!row) throw new DbError('NOT_FOUND', 'cloud source not found');
    await tx.cloudSource.delete({ where: { id: row.id } });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'source.delete',
      targetType: 'cloud_source',
      targetId: row.id,
      before: auditView(toItem(row, input.secretKey)),
    });
  });
}

/**
 * Records that someone sent a test event of a cloud source or a sensor (it raises real, tagged
 * alerts): the outcome the collector answered, or why it could not be sent.
 */
export async function recordTestEvent(
  db: Db,
  input: {
    organizationId: string;
    target: 'source' | 'sensor';
    targetId: string;
    outcome: Record<string, unknown>;
  },
  actor: Actor,
): Promise<void> {
  await recordAudit(db.prisma, actor, {
    organizationId: input.organizationId,
    action: `${input.target}.test_event`,
    targetType: input.target === 'sensor' ? 'sensor' : 'cloud_source',
    targetId: input.targetId,
    after: input.outcome,
  });
}
