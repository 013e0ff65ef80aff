import type { CollectorStore } from '@peregrine/db';
import type { FastifyBaseLogger } from 'fastify';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What one pass removed (and created). */
export interface RetentionPassResult {
  rawEvents: number;
  ingestBatches: number;
  notifications: number;
  /** Alert partitions created ahead (or for alerts the default partition held). */
  partitionsCreated: string[];
  /** Weeks dropped whole, every alert in them past its rule. */
  partitionsDropped: string[];
  /** Alerts gone with those weeks. */
  alertsDropped: number;
  /** Alerts past their rule deleted row by row (weeks that also hold alerts kept longer). */
  alertsExpired: number;
  /** Oldest alerts deleted past an organisation's quota or size limit. */
  alertsOverLimit: number;
  /** Entities nothing names any more (their alerts and raw events gone with their occurrences). */
  entities: number;
}

/**
 * Prunes raw events, remembered sensor batch ids and finished notifications by age, keeps the
 * alert storage bounded (partitions created ahead, weeks past every retention rule dropped, the
 * remainder and the excess over each organisation's limits deleted) and finishes purging deleted
 * organisations, in bounded chunks so a large backlog never holds long locks. Runs when started
 * and every `intervalMs`; passes never overlap in one process, and several collectors pruning at
 * once is harmless. A pass keeps no state of its own: one cut short (stop, crash) is simply done
 * again by the next, and it never deletes an alert its rules still keep.
 */
export class RetentionPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly store: CollectorStore,
    private readonly options: {
      rawEventDays: number;
      ingestBatchDays: number;
      notificationDays: number;
      intervalMs: number;
      log: FastifyBaseLogger;
      /** Alert storage upkeep; without it alerts are left alone. */
      alerts?: { maxAlertsRetained: number; weeksAhead: number; batchSize?: number };
      /**
       * Finishes deleting organisations marked as being deleted (a console process that marked one
       * may have stopped before its purge ended); returns their ids.
       */
      resumeOrganizationPurges?: () => Promise<string[]>;
    },
  ) {}

  /** One pass (after the one running, if any); returns how many rows of each kind were removed. */
  async pruneOnce(now = Date.now()): Promise<RetentionPassResult> {
    const previous = this.running;
    const pass = (async () => {
      await previous?.catch(() => undefined);
      return this.pass(now);
    })();
    this.running = pass;
    try {
      return await pass;
    } finally {
      if (this.running === pass) this.running = undefined;
    }
  }

  private async pass(now: number): Promise<RetentionPassResult> {
    const rawBefore = new Date(now - this.options.rawEventDays * DAY_MS);
    const batchBefore = new Date(now - this.options.ingestBatchDays * DAY_MS);
    const notificationsBefore = new Date(now - this.options.notificationDays * DAY_MS);
    let rawEvents = 0;
    let ingestBatches = 0;
    let notifications = 0;
    for (;;) {
      const n = await this.store.pruneRawEvents(rawBefore, 5_000);
      rawEvents += n;
      if (n < 5_000) break;
    }
    for (;;) {
      const n = await this.store.pruneIngestBatches(batchBefore, 5_000);
      ingestBatches += n;
      if (n < 5_000) break;
    }
    for (;;) {
      const n = await this.store.pruneNotifications(notificationsBefore, 5_000);
      notifications += n;
      if (n < 5_000) break;
    }
    if (rawEvents || ingestBatches || notifications)
      this.options.log.info({ rawEvents, ingestBatches, notifications }, 'retention pruned');
    const alerts = await this.pruneAlerts(now);
    // After raw events and alerts: their occurrences went with them. An entity seen in the last
    // day is kept even unnamed (a store naming it again may be running).
    let entities = 0;
    while (!this.stopping) {
      const n = await this.store.pruneEntities(new Date(now - DAY_MS), 5_000);
      entities += n;
      if (n < 5_000) break;
    }
    if (entities) this.options.log.info({ entities }, 'unnamed entities pruned');
    const purged = (await this.options.resumeOrganizationPurges?.()) ?? [];
    if (purged.length) this.options.log.info({ organizations: purged }, 'deleted organisations purged');
    return { rawEvents, ingestBatches, notifications, ...alerts, entities };
  }

  private async pruneAlerts(
    now: number,
  ): Promise<
    Pick<
      RetentionPassResult,
      'partitionsCreated' | 'partitionsDropped' | 'alertsDropped' | 'alertsExpired' | 'alertsOverLimit'
    >
  > {
    const out = {
      partitionsCreated: [] as string[],
      partitionsDropped: [] as string[],
      alertsDropped: 0,
      alertsExpired: 0,
      alertsOverLimit: 0,
    };
    const options = this.options.alerts;
    if (!options) return out;
    const batch = options.batchSize ?? 5_000;
    out.partitionsCreated = await this.store.ensureAlertPartitions(now, options.weeksAhead);
    for (const d of await this.store.dropExpiredAlertPartitions(now)) {
      out.partitionsDropped.push(d.partition);
      out.alertsDropped += d.alerts;
    }
    // Each call deletes at most `batch` per environment and priority (per organisation for the
    // limits): a stop between batches leaves the rest to the next pass.
    while (!this.stopping) {
      const n = await this.store.deleteExpiredAlerts(now, batch);
      out.alertsExpired += n;
      if (n === 0) break;
    }
    while (!this.stopping) {
      const n = await this.store.enforceAlertLimits(options.maxAlertsRetained, batch);
      out.alertsOverLimit += n;
      if (n === 0) break;
    }
    while (!this.stopping) {
      if ((await this.store.expireAlertIngestKeys(now, batch)) === 0) break;
    }
    if (
      out.partitionsCreated.length ||
      out.partitionsDropped.length ||
      out.alertsExpired ||
      out.alertsOverLimit
    )
      this.options.log.info(out, 'alert retention');
    return out;
  }

  start(): void {
    if (this.timer) return;
    this.stopping = false;
    const tick = () => {
      if (this.running || this.stopping) return;
      this.pruneOnce().catch((err: unknown) => this.options.log.warn({ err }, 'retention pass failed'));
    };
    // At once too: the coming weeks' partitions should not wait for the first interval.
    setImmediate(tick);
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and ends a running pass at its next batch. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }
}
