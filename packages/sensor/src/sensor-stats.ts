import type { SensorDropCause, SensorDropCounters } from '@peregrine/protocol';

/** Counters every stage of the sensor writes to; heartbeats and the summary read them. */
export class SensorStats {
  captured = 0;
  filtered = 0;
  shipped = 0;
  /** Events the collector rejected individually (also counted under drops.rejected). */
  rejected = 0;
  readonly drops: SensorDropCounters = { kernel: 0, parse: 0, queue: 0, spool: 0, rejected: 0 };

  drop(cause: SensorDropCause, count = 1): void {
    this.drops[cause] += count;
  }

  totalDrops(): number {
    return Object.values(this.drops).reduce((sum, n) => sum + n, 0);
  }
}
