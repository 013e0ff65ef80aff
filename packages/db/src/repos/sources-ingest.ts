import type { Db } from '../client.js';
import { DbError } from '../errors.js';
import type { SourceKind } from '../generated/prisma/enums.js';
import { checkQuota } from './organization-quotas.js';
import { encryptSourceSecrets, generateSourceToken, type SourceSecrets } from './sources-secrets.js';

/** A cloud source as the collector's ingest modules see it (secrets still encrypted). */
export interface CloudSourceDto {
  id: string;
  organizationId: string;
  environmentId: string;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  secretsEncrypted: Uint8Array | null;
  cursor: unknown;
  cursorUpdatedAt: Date | null;
  lastEventAt: Date | null;
  lastError: string | null;
}

const SELECT = {
  id: true,
  organizationId: true,
  environmentId: true,
  kind: true,
  name: true,
  enabled: true,
  config: true,
  secretsEncrypted: true,
  cursor: true,
  cursorUpdatedAt: true,
  lastEventAt: true,
  lastError: true,
} as const;

type Row = {
  id: string;
  organizationId: string;
  environmentId: string;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: unknown;
  secretsEncrypted: Uint8Array | null;
  cursor: unknown;
  cursorUpdatedAt: Date | null;
  lastEventAt: Date | null;
  lastError: string | null;
};

function toDto(r: Row): CloudSourceDto {
  const config =
    typeof r.config === 'object' && r.config !== null && !Array.isArray(r.config)
      ? (r.config as Record<string, unknown>)
      : {};
  return {
    ...r,
    config,
    secretsEncrypted: r.secretsEncrypted ? new Uint8Array(r.secretsEncrypted) : null,
    cursor: r.cursor ?? null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The source whose ingest token hashes to `tokenHash`, or null. */
export async function findCloudSourceByTokenHash(db: Db, tokenHash: string): Promise<CloudSourceDto | null> {
  const row = await db.prisma.cloudSource.findUnique({ where: { tokenHash }, select: SELECT });
  return row ? toDto(row) : null;
}

/** The source with this id, or null (also for ids that are not UUIDs: they name no source). */
export async function getCloudSource(db: Db, id: string): Promise<CloudSourceDto | null> {
  if (!UUID.test(id)) return null;
  const row = await db.prisma.cloudSource.findUnique({ where: { id }, select: SELECT });
  return row ? toDto(row) : null;
}

/** Enabled sources of one kind (what the pollers run). */
export async function listEnabledCloudSources(db: Db, kind: SourceKind): Promise<CloudSourceDto[]> {
  const rows = await db.prisma.cloudSource.findMany({
    where: { kind, enabled: true },
    select: SELECT,
    orderBy: { createdAt: 'asc' },
  });
  return rows.map(toDto);
}

/**
 * Saves a polling position after a page was durably handled. Compare-and-set on
 * `cursorUpdatedAt`: returns false (and writes nothing) when someone else moved the cursor since
 * `expectedUpdatedAt`, so two pollers of one source cannot drag it backwards.
 */
export async function saveCloudSourceCursor(
  db: Db,
  id: string,
  cursor: unknown,
  expectedUpdatedAt: Date | null,
  now: Date = new Date(),
): Promise<{ saved: boolean; cursorUpdatedAt: Date }> {
  const json = JSON.stringify(cursor ?? null);
  const n = await db.prisma.$executeRaw`
    UPDATE cloud_sources
       SET cursor = ${json}::jsonb, "cursorUpdatedAt" = ${now}, "updatedAt" = ${now}
     WHERE id = ${id}::uuid
       AND "cursorUpdatedAt" IS NOT DISTINCT FROM ${expectedUpdatedAt}::timestamptz`;
  return { saved: n === 1, cursorUpdatedAt: now };
}

/**
 * Records what the console shows about a source's health: the time of the latest event and
 * the latest error (`error: null` clears it).
 */
export async function recordCloudSourceActivity(
  db: Db,
  id: string,
  activity: { lastEventAt?: Date; error?: string | null },
  now: Date = new Date(),
): Promise<void> {
  const data: { lastEventAt?: Date; lastError?: string | null; lastErrorAt?: Date | null } = {};
  if (activity.lastEventAt) data.lastEventAt = activity.lastEventAt;
  if (activity.error !== undefined) {
    data.lastError = activity.error === null ? null : activity.error.slice(0, 2000);
    data.lastErrorAt = activity.error === null ? null : now;
  }
  if (Object.keys(data).length === 0) return;
  await db.prisma.cloudSource.updateMany({ where: { id }, data });
}

/** Input for a new cloud source. */
export interface NewCloudSourceInput {
  organizationId: string;
  environmentId: string;
  kind: SourceKind;
  name: string;
  config?: Record<string, unknown>;
  /** Secrets to keep encrypted (needs `secretKey`). */
  secrets?: SourceSecrets;
  secretKey?: Buffer;
  /** Issue an ingest token (push sources: k8s_audit, falco). */
  issueToken?: boolean;
  /** The organisation's source quota; unlimited when absent. */
  maxSources?: number;
}

/** Creates a cloud source; the clear ingest token is returned once and never stored. */
export async function createCloudSource(
  db: Db,
  input: NewCloudSourceInput,
): Promise<{ source: CloudSourceDto; token: string | null }> {
  const env = await db.prisma.environment.findUnique({
    where: { id: input.environmentId },
    select: { organizationId: true },
  });
  if (!env || env.organizationId !== input.organizationId) {
    throw new DbError('NOT_FOUND', 'environment not found in this organization');
  }
  let secretsEncrypted: Uint8Array<ArrayBuffer> | null = null;
  if (input.secrets && Object.keys(input.secrets).length > 0) {
    if (!input.secretKey) throw new DbError('INVALID', 'a secret key is needed to store source secrets');
    secretsEncrypted = encryptSourceSecrets(input.secretKey, input.secrets);
  }
  const token = input.issueToken ? generateSourceToken() : null;
  try {
    const row = await db.prisma.$transaction(async (tx) => {
      if (input.maxSources !== undefined) {
        await checkQuota(tx, input.organizationId, 'sources', input.maxSources);
      }
      return tx.cloudSource.create({
        data: {
          organizationId: input.organizationId,
          environmentId: input.environmentId,
          kind: input.kind,
          name: input.name,
          config: (input.config ?? {}) as object,
          secretsEncrypted,
          tokenHash: token?.hash ?? null,
          tokenPrefix: token?.prefix ?? null,
        },
        select: SELECT,
      });
    });
    return { source: toDto(row), token: token?.token ?? null };
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002') {
      throw new DbError('CONFLICT', `a source named "${input.name}" already exists in this environment`);
    }
    throw err;
  }
}
