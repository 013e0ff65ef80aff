import type { CollectorStore } from '@peregrine/db';
import type { FastifyBaseLogger } from 'fastify';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Prunes raw events, remembered sensor batch ids and finished notifications by age (and finishes
 * purging deleted organisations), in bounded chunks so a large backlog
 * never holds long locks. Runs every `intervalMs`; several collectors pruning at once is harmless.
 */
export class RetentionPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: CollectorStore,
    private readonly options: {
      rawEventDays: number;
      ingestBatchDays: number;
      notificationDays: number;
      intervalMs: number;
      log: FastifyBaseLogger;
      /**
       * Finishes deleting organisations marked as being deleted (a console process that marked one
       * may have stopped before its purge ended); returns their ids.
       */
      resumeOrganizationPurges?: () => Promise<string[]>;
    },
  ) {}

  /** One pass; returns how many rows of each kind were removed. */
  async pruneOnce(
    now = Date.now(),
  ): Promise<{ rawEvents: number; ingestBatches: number; notifications: number }> {
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
    const purged = (await this.options.resumeOrganizationPurges?.()) ?? [];
    if (purged.length) this.options.log.info({ organizations: purged }, 'deleted organisations purged');
    return { rawEvents, ingestBatches, notifications };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.pruneOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.options.log.warn({ err }, 'retention pass failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
