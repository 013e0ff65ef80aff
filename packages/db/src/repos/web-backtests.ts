import type { Db } from '../client.js';
import type { BacktestStatus } from '../generated/prisma/enums.js';
import { type Actor, type ActorRef, actorRef, recordAudit } from './audit.js';
import { parseJsonExact } from './json-exact.js';

/** The console's side of backtests: ask for one, follow it, cancel it, open its samples. */

export interface NewBacktestJob {
  organizationId: string;
  environmentId: string;
  ruleSetId: string;
  draftVersionId: string;
  baselineVersionId: string | null;
  overrides: { lists: Record<string, string[]>; macros: Record<string, string> };
  sources: string[];
  from: Date;
  to: Date;
  createdById: string | null;
  createdByApiKeyId: string | null;
}

/** A backtest as the console shows it: what runs against what, where, and how far it got. */
export interface BacktestJobDto {
  id: string;
  status: BacktestStatus;
  ruleSet: { id: string; name: string };
  environment: { id: string; name: string; displayName: string };
  draft: { versionId: string; number: number };
  /** Null when nothing was active in the environment (or the version was deleted since). */
  baseline: { versionId: string; number: number } | null;
  sources: string[];
  from: Date;
  to: Date;
  createdBy: ActorRef | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  cancelRequestedAt: Date | null;
  attempts: number;
  eventsTotal: number;
  eventsScanned: number;
  runMs: number;
  /** Counts so far (written by the runner at each checkpoint; the final figures once done). */
  result: unknown;
  error: string | null;
}

/** An event on which a rule's alert appears or disappears, with both sides' alerts. */
export interface BacktestSampleDto {
  id: string;
  rule: string;
  change: 'added' | 'removed';
  ref: string;
  source: string;
  eventTime: Date;
  event: unknown;
  activeAlerts: unknown;
  draftAlerts: unknown;
}

const SELECT = {
  id: true,
  status: true,
  sources: true,
  fromTime: true,
  toTime: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  heartbeatAt: true,
  cancelRequestedAt: true,
  attempts: true,
  eventsTotal: true,
  eventsScanned: true,
  runMs: true,
  result: true,
  error: true,
  ruleSet: { select: { id: true, name: true } },
  environment: { select: { id: true, name: true, displayName: true } },
  draftVersion: { select: { id: true, number: true } },
  baselineVersion: { select: { id: true, number: true } },
  createdBy: { select: { id: true, name: true } },
  createdByApiKey: { select: { id: true, name: true } },
} as const;

type Row = {
  id: string;
  status: BacktestStatus;
  sources: string[];
  fromTime: Date;
  toTime: Date;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  cancelRequestedAt: Date | null;
  attempts: number;
  eventsTotal: bigint;
  eventsScanned: bigint;
  runMs: bigint;
  result: unknown;
  error: string | null;
  ruleSet: { id: string; name: string };
  environment: { id: string; name: string; displayName: string };
  draftVersion: { id: string; number: number };
  baselineVersion: { id: string; number: number } | null;
  createdBy: { id: string; name: string } | null;
  createdByApiKey: { id: string; name: string } | null;
};

function toDto(row: Row, withResult: boolean): BacktestJobDto {
  return {
    id: row.id,
    status: row.status,
    ruleSet: row.ruleSet,
    environment: row.environment,
    draft: { versionId: row.draftVersion.id, number: row.draftVersion.number },
    baseline: row.baselineVersion
      ? { versionId: row.baselineVersion.id, number: row.baselineVersion.number }
      : null,
    sources: row.sources,
    from: row.fromTime,
    to: row.toTime,
    createdBy: actorRef(row.createdBy, row.createdByApiKey),
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    heartbeatAt: row.heartbeatAt,
    cancelRequestedAt: row.cancelRequestedAt,
    attempts: row.attempts,
    eventsTotal: Number(row.eventsTotal),
    eventsScanned: Number(row.eventsScanned),
    runMs: Number(row.runMs),
    result: withResult ? row.result : null,
    error: row.error,
  };
}

/** Queues a backtest; a collector's runner picks it up. Returns its id. Audited (`backtest.start`). */
export async function createBacktestJob(db: Db, input: NewBacktestJob, actor: Actor): Promise<string> {
  return db.prisma.$transaction(async (tx) => {
    const row = await tx.backtestJob.create({
      data: {
        organizationId: input.organizationId,
        environmentId: input.environmentId,
        ruleSetId: input.ruleSetId,
        draftVersionId: input.draftVersionId,
        baselineVersionId: input.baselineVersionId,
        overrides: input.overrides,
        sources: input.sources,
        fromTime: input.from,
        toTime: input.to,
        createdById: input.createdById,
        createdByApiKeyId: input.createdByApiKeyId,
      },
      select: { id: true },
    });
    await recordAudit(tx, actor, {
      organizationId: input.organizationId,
      action: 'backtest.start',
      targetType: 'backtest',
      targetId: row.id,
      after: {
        ruleSetId: input.ruleSetId,
        environmentId: input.environmentId,
        draftVersionId: input.draftVersionId,
        baselineVersionId: input.baselineVersionId,
        sources: input.sources,
        from: input.from,
        to: input.to,
      },
    });
    return row.id;
  });
}

/** One backtest with its counts, or null when it is not the organisation's. */
export async function getBacktestJob(
  db: Db,
  organizationId: string,
  id: string,
): Promise<BacktestJobDto | null> {
  const row = await db.prisma.backtestJob.findFirst({ where: { id, organizationId }, select: SELECT });
  return row ? toDto(row, true) : null;
}

/** The organisation's backtests, newest first, optionally of one rule set or version (no counts). */
export async function listBacktestJobs(
  db: Db,
  organizationId: string,
  filter: { ruleSetId?: string; versionId?: string; limit: number },
): Promise<BacktestJobDto[]> {
  const rows = await db.prisma.backtestJob.findMany({
    where: {
      organizationId,
      ...(filter.ruleSetId ? { ruleSetId: filter.ruleSetId } : {}),
      ...(filter.versionId ? { draftVersionId: filter.versionId } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: filter.limit,
    select: SELECT,
  });
  return rows.map((r) => toDto(r, false));
}

/**
 * Stops a backtest: a queued one is cancelled at once, a running one is asked to stop (its runner
 * sees the request at its next checkpoint, within a second or so, and keeps what it counted).
 * Returns the job afterwards, or null when it is not the organisation's. A finished job is left
 * as it is. Audited (`backtest.cancel`) when the call stopped or asked to stop the job; a repeated
 * request changes nothing and is not recorded again.
 */
export async function cancelBacktestJob(
  db: Db,
  organizationId: string,
  id: string,
  actor: Actor,
): Promise<BacktestJobDto | null> {
  await db.prisma.$transaction(async (tx) => {
    const now = new Date();
    const queued = await tx.backtestJob.updateMany({
      where: { id, organizationId, status: 'queued' },
      data: { status: 'cancelled', finishedAt: now, cancelRequestedAt: now },
    });
    const running = await tx.backtestJob.updateMany({
      where: { id, organizationId, status: 'running', cancelRequestedAt: null },
      data: { cancelRequestedAt: now },
    });
    if (queued.count + running.count === 0) return;
    await recordAudit(tx, actor, {
      organizationId,
      action: 'backtest.cancel',
      targetType: 'backtest',
      targetId: id,
      before: { status: queued.count > 0 ? 'queued' : 'running' },
      after: { status: queued.count > 0 ? 'cancelled' : 'running', cancelRequestedAt: now },
    });
  });
  return getBacktestJob(db, organizationId, id);
}

/**
 * The newest backtest of a version against an environment, with its counts (what a promotion or
 * rollback review shows), or null when there is none in the organisation.
 */
export async function getLatestBacktestJob(
  db: Db,
  organizationId: string,
  filter: { versionId: string; environmentId: string },
): Promise<BacktestJobDto | null> {
  const row = await db.prisma.backtestJob.findFirst({
    where: { organizationId, draftVersionId: filter.versionId, environmentId: filter.environmentId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: SELECT,
  });
  return row ? toDto(row, true) : null;
}

/**
 * The samples of one job (of one rule and change when given), in the order they were taken.
 * JSON is read exactly: nanosecond times in events and output fields stay whole (as strings).
 */
export async function listBacktestSamples(
  db: Db,
  organizationId: string,
  input: { jobId: string; rule?: string; change?: 'added' | 'removed'; limit: number },
): Promise<BacktestSampleDto[]> {
  const rows = await db.prisma.$queryRaw<
    {
      id: bigint;
      rule: string;
      change: 'added' | 'removed';
      ref: string;
      source: string;
      eventTime: Date;
      event: string;
      activeAlerts: string;
      draftAlerts: string;
    }[]
  >`
    SELECT s.id, s.rule, s.change::text AS change, s.ref, s.source, s."eventTime",
           s.event::text AS event, s."activeAlerts"::text AS "activeAlerts", s."draftAlerts"::text AS "draftAlerts"
    FROM backtest_samples s JOIN backtest_jobs j ON j.id = s."jobId"
    WHERE s."jobId" = ${input.jobId}::uuid AND j."organizationId" = ${organizationId}::uuid
      AND (${input.rule ?? null}::text IS NULL OR s.rule = ${input.rule ?? null}::text)
      AND (${input.change ?? null}::text IS NULL OR s.change::text = ${input.change ?? null}::text)
    ORDER BY s.id
    LIMIT ${input.limit}`;
  return rows.map((r) => ({
    id: r.id.toString(),
    rule: r.rule,
    change: r.change,
    ref: r.ref,
    source: r.source,
    eventTime: r.eventTime,
    event: parseJsonExact(r.event),
    activeAlerts: parseJsonExact(r.activeAlerts),
    draftAlerts: parseJsonExact(r.draftAlerts),
  }));
}
