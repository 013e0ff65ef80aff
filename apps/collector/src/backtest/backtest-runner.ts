import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type BacktestStore, type ClaimedBacktestJob, isDatabaseUnavailable } from '@peregrine/db';
import type { FastifyBaseLogger } from 'fastify';
import { BacktestCompileError, type RunOutcome, runBacktest } from './backtest-run.js';

export interface BacktestRunnerOptions {
  /** How often the queue is looked at while idle. */
  pollMs: number;
  /** A running job whose runner gave no sign of life this long is taken over (or failed). */
  leaseMs: number;
  /** Claims of one job before it is failed rather than tried again. */
  maxAttempts?: number;
  pageRows?: number;
  /** Scans read side by side (default 2: Postgres reads for one while the other is evaluated). */
  scans?: number;
  /** Checkpoints (progress, heartbeat, cancel check) at least this often; well under `leaseMs`. */
  checkpointMs?: number;
  samplesPerRule?: number;
  /** Event sources a job without a choice of sources replays. */
  knownSources: readonly string[];
  /**
   * Finished jobs (done, failed, cancelled) are deleted, with their samples, this long after they
   * finished. Queued and running jobs are never pruned. Undefined: nothing is pruned.
   */
  retentionMs?: number;
  /** How often a pruning pass runs between polls (default every 10 minutes; the first at start). */
  pruneEveryMs?: number;
  log: FastifyBaseLogger;
}

/** Jobs deleted per statement: a large backlog is pruned in short transactions. */
const PRUNE_CHUNK = 500;

/**
 * Runs queued backtests, one at a time, in this collector. The queue is the `backtest_jobs`
 * table: any collector may claim a job, and a job whose runner stopped (crash, restart, lost
 * database) is resumed from its last checkpoint by whichever collector polls next after its lease
 * ran out; one that keeps stopping its runners is failed (see BacktestStore.claim). Evaluation
 * runs on the event loop between page reads, a page at a time, so ingest is never held up for
 * longer than one page takes to evaluate.
 */
export class BacktestRunner {
  /** Identifies this runner's claims (host and process, for whoever reads the table). */
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: BacktestStore,
    private readonly options: BacktestRunnerOptions,
  ) {}

  start(): void {
    if (this.timer || this.stopping) return;
    const tick = () => {
      this.timer = undefined;
      this.running = this.pruneIfDue()
        .then(() => this.runQueued())
        .then(() => undefined)
        .catch((err: unknown) => this.options.log.warn({ err }, 'backtest runner pass failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopping) {
            this.timer = setTimeout(tick, this.options.pollMs);
            this.timer.unref();
          }
        });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  /**
   * Stops polling; a job being run is checkpointed and put back in the queue for the next runner.
   * Waits at most `deadlineMs` for the current pass: with the database unreachable its query may
   * never answer, and shutdown must not hang on it (a job left running is resumed by the next
   * runner once its lease runs out). Resolves false when it stopped waiting.
   */
  async stop(deadlineMs = 5_000): Promise<boolean> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.running.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished)
      this.options.log.warn({ deadlineMs }, 'backtest runner stopped without waiting for the database');
    return finished;
  }

  /**
   * Deletes finished jobs older than the retention (and their samples), in chunks; returns how
   * many jobs and samples went. Several collectors pruning at once is harmless: each deletes the
   * rows it could lock.
   */
  async prune(now = Date.now()): Promise<{ jobs: number; samples: number }> {
    const { retentionMs, log } = this.options;
    const total = { jobs: 0, samples: 0 };
    if (retentionMs === undefined) return total;
    const before = new Date(now - retentionMs);
    while (!this.stopping) {
      const pass = await this.store.prune(before, PRUNE_CHUNK);
      total.jobs += pass.jobs;
      total.samples += pass.samples;
      if (pass.jobs < PRUNE_CHUNK) break;
    }
    if (total.jobs > 0) log.info(total, 'backtests pruned');
    return total;
  }

  /** A pruning pass when the last one is `pruneEveryMs` old; its failure never stops the runner. */
  private async pruneIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPruneAt < (this.options.pruneEveryMs ?? 10 * 60_000)) return;
    this.lastPruneAt = now;
    await this.prune(now).catch((err: unknown) =>
      this.options.log.warn({ err }, 'backtest pruning pass failed'),
    );
  }

  /** Runs queued jobs until none is left (or the runner stops); returns how many it ended. */
  async runQueued(): Promise<number> {
    let ended = 0;
    while (!this.stopping) {
      const job = await this.store.claim(this.id, {
        staleMs: this.options.leaseMs,
        maxAttempts: this.options.maxAttempts ?? 3,
      });
      if (!job) break;
      const outcome = await this.run(job);
      if (outcome === 'done' || outcome === 'cancelled' || outcome === 'failed') ended++;
    }
    return ended;
  }

  private async run(job: ClaimedBacktestJob): Promise<RunOutcome | 'failed' | 'interrupted'> {
    const { log } = this.options;
    const at = performance.now();
    log.info({ backtestId: job.id, attempt: job.attempts, resumed: job.cursor !== null }, 'backtest started');
    try {
      const outcome = await runBacktest(this.store, job, this.options.knownSources, {
        runnerId: this.id,
        pageRows: this.options.pageRows ?? 1000,
        scans: this.options.scans ?? 2,
        checkpointMs: this.options.checkpointMs ?? Math.min(1000, this.options.leaseMs / 4),
        samplesPerRule: this.options.samplesPerRule ?? 5,
        stopping: () => this.stopping,
      });
      log.info({ backtestId: job.id, outcome, ms: Math.round(performance.now() - at) }, 'backtest ended');
      return outcome;
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // The checkpoint is safe in the table: once the lease runs out, a runner resumes from it.
        log.warn({ err, backtestId: job.id }, 'backtest interrupted: database unavailable');
        return 'interrupted';
      }
      const message =
        err instanceof BacktestCompileError
          ? err.message
          : `The backtest stopped on an error: ${err instanceof Error ? err.message : String(err)}`;
      log.error({ err, backtestId: job.id }, 'backtest failed');
      await this.store
        .fail(job.id, this.id, message)
        .catch((e: unknown) => log.warn({ err: e, backtestId: job.id }, 'could not record the failure'));
      return 'failed';
    }
  }
}
