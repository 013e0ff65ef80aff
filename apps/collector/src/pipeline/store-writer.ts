import {
  type CollectorStore,
  dbFailureKind,
  dbFailureReason,
  type StoreBatchInput,
  type StoreBatchResult,
  type StoredAlert,
} from '@peregrine/db';
import { type RejectedEvent, StoreUnavailableError } from './types.js';

/** A committed batch (as the store answers it), with the events the database refused. */
export type WriteResult =
  | Extract<StoreBatchResult, { duplicate: true }>
  | (Extract<StoreBatchResult, { duplicate: false }> & {
      /** Events whose rows the database refused; everything else of the batch is committed. */
      rejected: RejectedEvent[];
    });

interface Pending {
  input: StoreBatchInput;
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
}

interface Lane {
  pending: Pending[];
  /** Statements of this environment in flight. */
  running: number;
}

export interface StoreWriterOptions {
  maxBatches: number;
  maxAlerts: number;
  concurrency: number;
  /**
   * Waits before retrying a statement that failed because the database went away (a terminated
   * connection, a restart, a failover): one entry per retry. When they are used up the batch fails
   * with StoreUnavailableError (503 for senders; spooled for push sources).
   */
  retryDelaysMs: readonly number[];
  /** Called for each retry (metrics). */
  onRetry?(err: unknown): void;
}

const DEFAULTS: StoreWriterOptions = {
  maxBatches: 64,
  maxAlerts: 5000,
  // Measured: a second concurrent statement per environment lowered throughput (both queue
  // on the same hot group and rollup rows at the end of the statement).
  concurrency: 1,
  // About 3.5 s in all: a terminated connection is retried at once on a fresh one, and an
  // embedded server restarted by its supervisor is usually back within the last wait.
  retryDelaysMs: [50, 400, 1000, 2000],
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Group commit per environment. Batches of one environment share hot rows (alert groups, hourly
 * rollups), so one statement per batch would queue them on row locks, each paying its own commit.
 * Instead at most `concurrency` statements per environment run at a time, each carrying every batch
 * that arrived while the earlier ones ran: under load many batches share one statement and one
 * commit; at low rates a batch is written alone, immediately.
 *
 * Failures never cost good events: a statement that fails because the database went away is
 * retried (it changed nothing: one statement is one transaction); one that the database refused
 * for its values is split, first into its batches, then each batch into halves by event until the
 * events it refuses are found; those are reported in `rejected` and the rest is committed.
 */
export class StoreWriter {
  private readonly lanes = new Map<string, Lane>();
  private readonly options: StoreWriterOptions;

  constructor(
    private readonly store: Pick<CollectorStore, 'storeBatches'>,
    options: Partial<StoreWriterOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Resolves once the batch is committed (or recognised as a duplicate). */
  submit(input: StoreBatchInput): Promise<WriteResult> {
    const key = `${input.organizationId}/${input.environmentId}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { pending: [], running: 0 };
      this.lanes.set(key, lane);
    }
    const result = new Promise<WriteResult>((resolve, reject) =>
      lane.pending.push({ input, resolve, reject }),
    );
    this.pump(key, lane);
    return result;
  }

  private pump(key: string, lane: Lane): void {
    while (lane.running < this.options.concurrency && lane.pending.length > 0) {
      const group = this.take(lane);
      lane.running++;
      void this.write(group).finally(() => {
        lane.running--;
        if (lane.pending.length > 0) this.pump(key, lane);
        else if (lane.running === 0) this.lanes.delete(key);
      });
    }
  }

  private take(lane: Lane): Pending[] {
    const out: Pending[] = [];
    let alerts = 0;
    while (lane.pending.length > 0 && out.length < this.options.maxBatches) {
      const next = lane.pending[0]!;
      if (out.length > 0 && alerts + next.input.alerts.length > this.options.maxAlerts) break;
      out.push(lane.pending.shift()!);
      alerts += next.input.alerts.length;
    }
    return out;
  }

  private async write(group: Pending[]): Promise<void> {
    try {
      const results = await this.attempt(group.map((p) => p.input));
      for (const [i, p] of group.entries()) p.resolve(withNoRejects(results[i]!));
    } catch (err) {
      if (dbFailureKind(err) === 'unavailable') {
        // Already retried: the database is gone for everyone.
        for (const p of group) p.reject(err);
        return;
      }
      // One bad batch must not fail the others it was grouped with: each on its own.
      for (const p of group) {
        try {
          p.resolve(await this.writeAlone(p.input, group.length === 1 ? err : undefined));
        } catch (single) {
          p.reject(single);
        }
      }
    }
  }

  /** One batch on its own; `failed` is the error it already got alone (no second attempt). */
  private async writeAlone(input: StoreBatchInput, failed?: unknown): Promise<WriteResult> {
    let err = failed;
    if (err === undefined) {
      try {
        return withNoRejects((await this.attempt([input]))[0]!);
      } catch (e) {
        err = e;
      }
    }
    if (dbFailureKind(err) === 'data') return this.isolate(input, err);
    throw err;
  }

  /** storeBatches, retried while the database is unavailable (StoreUnavailableError after that). */
  private async attempt(inputs: StoreBatchInput[]): Promise<StoreBatchResult[]> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.store.storeBatches(inputs);
      } catch (err) {
        const delay = this.options.retryDelaysMs[retry];
        if (dbFailureKind(err) !== 'unavailable') throw err;
        if (delay === undefined) throw new StoreUnavailableError(err);
        this.options.onRetry?.(err);
        await sleep(delay);
      }
    }
  }

  /**
   * Commits what the database accepts of a batch it refused: halves by event (ingest key) until
   * the refused events are alone. Parts of a sensor batch are recorded as `<batchId>/<part>` (what
   * `isBatchSeen` recognises), a refused event's part as a batch without rows, so the batch id
   * stays recorded and a re-sent batch is still a duplicate.
   */
  private async isolate(input: StoreBatchInput, err: unknown): Promise<WriteResult> {
    const keys = eventKeys(input);
    if (keys.length <= 1) {
      const rejected = keys.map((ingestKey) => ({ ingestKey, reason: reasonOf(err) }));
      if (input.batchId === undefined)
        return { duplicate: false, stored: [], skipped: 0, rawDuplicates: 0, rejected };
      const marker = (await this.attempt([{ ...input, alerts: [], rawEvents: [] }]))[0]!;
      return marker.duplicate ? marker : { ...marker, rejected };
    }
    const half = Math.ceil(keys.length / 2);
    const right = new Set(keys.slice(half));
    const parts: StoreBatchInput[] = [false, true].map((isRight, j) => ({
      ...input,
      ...(input.batchId !== undefined ? { batchId: `${input.batchId}/${j}` } : {}),
      // Events that produced no rows are counted with the first part.
      eventCount: isRight ? right.size : Math.max(0, input.eventCount - right.size),
      alerts: input.alerts.filter((a) => right.has(a.ingestKey) === isRight),
      rawEvents: input.rawEvents?.filter((e) => right.has(e.ingestKey) === isRight),
    }));
    const results: WriteResult[] = [];
    for (const part of parts) {
      try {
        results.push(withNoRejects((await this.attempt([part]))[0]!));
      } catch (e) {
        if (dbFailureKind(e) !== 'data') throw e;
        results.push(await this.isolate(part, e));
      }
    }
    return merge(results);
  }
}

function withNoRejects(r: StoreBatchResult): WriteResult {
  return r.duplicate ? r : { ...r, rejected: [] };
}

/** The distinct ingest keys of a batch's rows, in order: the unit a refusal is narrowed down to. */
function eventKeys(input: StoreBatchInput): string[] {
  const keys = new Set<string>();
  for (const a of input.alerts) keys.add(a.ingestKey);
  for (const e of input.rawEvents ?? []) keys.add(e.ingestKey);
  return [...keys];
}

function reasonOf(err: unknown): string {
  const reason = dbFailureReason(err);
  return reason.length > 300 ? `${reason.slice(0, 299)}…` : reason;
}

function merge(results: WriteResult[]): WriteResult {
  if (results.every((r) => r.duplicate)) return { duplicate: true };
  const out = { duplicate: false as const, stored: [] as StoredAlert[], skipped: 0, rawDuplicates: 0 };
  const rejected: RejectedEvent[] = [];
  for (const r of results) {
    if (r.duplicate) continue;
    out.stored.push(...r.stored);
    out.skipped += r.skipped;
    out.rawDuplicates += r.rawDuplicates;
    rejected.push(...r.rejected);
  }
  return { ...out, rejected };
}
