import type { CollectorStore, IncidentChange, IncidentChangeHook, IncidentPolicy } from '@peregrine/db';
import { defaultIncidentPolicy } from '@peregrine/engine';
import type { FastifyBaseLogger } from 'fastify';

/** The engine's incident policy (`defaultIncidentPolicy`), with `overrides` for tests and benches. */
export function incidentPolicy(windowMs: number, overrides: Partial<IncidentPolicy> = {}): IncidentPolicy {
  return { ...defaultIncidentPolicy(windowMs), ...overrides };
}

/**
 * A pass claims this many queued alerts first; while passes come back full (a backlog) each claims
 * twice as many as the last, up to `MAX_CLAIM`, and a drained queue starts again from here. Small
 * claims keep a quiet queue's transactions short; large ones pay a pass's fixed reads (the claim's
 * entities and the open incidents they reach) once per more alerts. With claims of 200 at most, the
 * collector benchmark's 3,500 alerts/s (10 % of 35k events/s) outran the correlator (2,350-2,510
 * placed a second, 28,000-32,000 queued after 20 s); growing to 1,000 it kept up (3,530-3,550 a
 * second, 1,100-3,900 queued; docs/BENCHMARKS.md).
 */
const FIRST_CLAIM = 200;
const MAX_CLAIM = 1000;

/**
 * Groups stored alerts into incidents: the store statement queues every alert that names an
 * entity; this runs the store's correlator over the queue when nudged (after a store) and every
 * `pollMs`. Any number of collectors may run it at once (claims skip each other's rows, an
 * advisory lock per environment orders the placements); a pass interrupted by a crash is rolled
 * back and done again by the next.
 */
export class IncidentCorrelator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;

  constructor(
    private readonly store: Pick<CollectorStore, 'correlateIncidents'>,
    private readonly options: {
      policy: IncidentPolicy;
      pollMs: number;
      log: FastifyBaseLogger;
      /** Runs in the placement's transaction (incident notifications). */
      onChanges?: IncidentChangeHook;
      /** After the commit (realtime, metrics). */
      onCommitted?: (changes: readonly IncidentChange[]) => void;
      /** The largest claim of one pass (`MAX_CLAIM`). */
      maxClaim?: number;
    },
  ) {}

  start(): void {
    this.stopping = false;
    const tick = () => {
      this.nudge();
      this.timer = setTimeout(tick, this.options.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Runs a pass now (or right after the running one). */
  nudge(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopping) {
        this.again = false;
        this.nudge();
      }
    });
  }

  /** Passes until the queue is empty; returns the changes (tests). */
  async runOnce(): Promise<IncidentChange[]> {
    const all: IncidentChange[] = [];
    const most = this.options.maxClaim ?? MAX_CLAIM;
    let limit = Math.min(FIRST_CLAIM, most);
    for (;;) {
      const r = await this.store.correlateIncidents(this.options.policy, {
        limit,
        ...(this.options.onChanges ? { onChanges: this.options.onChanges } : {}),
      });
      all.push(...r.changes);
      if (r.changes.length > 0) this.options.onCommitted?.(r.changes);
      if (r.handled < limit || this.stopping) return all;
      limit = Math.min(most, limit * 2);
    }
  }

  private async drain(): Promise<void> {
    try {
      await this.runOnce();
    } catch (err) {
      this.options.log.warn({ err }, 'incident correlation failed; retried on the next pass');
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
