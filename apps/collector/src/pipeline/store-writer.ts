import type { CollectorStore, StoreBatchInput, StoreBatchResult } from '@peregrine/db';

interface Pending {
  input: StoreBatchInput;
  resolve(result: StoreBatchResult): void;
  reject(err: unknown): void;
}

interface Lane {
  pending: Pending[];
  /** Statements of this environment in flight. */
  running: number;
}

/**
 * Group commit per environment. Batches of one environment share hot rows (alert groups, hourly
 * rollups), so one statement per batch would queue them on row locks, each paying its own commit.
 * Instead at most `concurrency` statements per environment run at a time, each carrying every batch
 * that arrived while the earlier ones ran: under load many batches share one statement and one
 * commit; at low rates a batch is written alone, immediately.
 */
export class StoreWriter {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly store: Pick<CollectorStore, 'storeBatches'>,
    private readonly limits: { maxBatches: number; maxAlerts: number; concurrency: number } = {
      maxBatches: 64,
      maxAlerts: 5000,
      // Measured: a second concurrent statement per environment lowered throughput (both queue
      // on the same hot group and rollup rows at the end of the statement).
      concurrency: 1,
    },
  ) {}

  /** Resolves once the batch is committed (or recognised as a duplicate). */
  submit(input: StoreBatchInput): Promise<StoreBatchResult> {
    const key = `${input.organizationId}/${input.environmentId}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { pending: [], running: 0 };
      this.lanes.set(key, lane);
    }
    const result = new Promise<StoreBatchResult>((resolve, reject) =>
      lane.pending.push({ input, resolve, reject }),
    );
    this.pump(key, lane);
    return result;
  }

  private pump(key: string, lane: Lane): void {
    while (lane.running < this.limits.concurrency && lane.pending.length > 0) {
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
    while (lane.pending.length > 0 && out.length < this.limits.maxBatches) {
      const next = lane.pending[0]!;
      if (out.length > 0 && alerts + next.input.alerts.length > this.limits.maxAlerts) break;
      out.push(lane.pending.shift()!);
      alerts += next.input.alerts.length;
    }
    return out;
  }

  private async write(group: Pending[]): Promise<void> {
    try {
      const results = await this.store.storeBatches(group.map((p) => p.input));
      for (const [i, p] of group.entries()) p.resolve(results[i]!);
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One bad batch must not fail the others it was grouped with: retry them one by one.
      for (const p of group) {
        try {
          p.resolve((await this.store.storeBatches([p.input]))[0]!);
        } catch (single) {
          p.reject(single);
        }
      }
    }
  }
}
