import { createHash } from 'node:crypto';
import type { SourceKind } from '@peregrine/db';
import { CollectorError } from '../../http/errors.js';
import type { CloudSourceStore, ResolvedSource } from './source-store.js';

/** Time, injectable so pollers can be driven deterministically. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** One polled source: `poll` handles what is new and says how long to wait before the next call. */
export interface SourcePoller {
  poll(signal: AbortSignal): Promise<{ delayMs: number }>;
  /** Releases clients (sockets) when the loop ends. */
  close?(): void;
}

export interface PollLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The polling position of one source, saved with compare-and-set after each durably handled page.
 * When another process moved it meanwhile (two collectors polling one source), `save` reloads
 * the newer position and reports false, so the caller continues from there instead of rewinding.
 */
export class CursorKeeper<C> {
  constructor(
    private readonly sources: CloudSourceStore,
    private readonly sourceId: string,
    public cursor: C | null,
    private updatedAt: Date | null,
  ) {}

  async save(cursor: C): Promise<boolean> {
    const r = await this.sources.saveCursor(this.sourceId, cursor, this.updatedAt);
    if (r.saved) {
      this.cursor = cursor;
      this.updatedAt = r.cursorUpdatedAt;
      return true;
    }
    const fresh = await this.sources.byId(this.sourceId);
    this.cursor = (fresh?.cursor as C | null) ?? null;
    this.updatedAt = fresh?.cursorUpdatedAt ?? null;
    return false;
  }
}

/** Exponential backoff with full jitter: attempt 1 -> up to initial, doubling up to max. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(initialMs / 2, Math.floor(random() * ceiling));
}

/** Exclusive right to poll a source, shared among collectors (SourceLeases in @peregrine/db). */
export interface PollLeases {
  tryAcquire(sourceId: string): Promise<boolean>;
  holds(sourceId: string): boolean;
  release(sourceId: string): Promise<void>;
}

export interface PollSupervisorOptions {
  kind: SourceKind;
  sources: CloudSourceStore;
  log: PollLogger;
  create(source: ResolvedSource): SourcePoller;
  /**
   * With leases, a source is polled only by the collector holding its lease; the others try to
   * take it over at each refresh (so within `refreshMs` of its holder stopping or dying).
   */
  leases?: PollLeases;
  /** Sources of the kind that are polled at all (default: every enabled one). */
  accepts?(source: ResolvedSource): boolean;
  /** How often the list of enabled sources is re-read (new, changed, disabled sources). */
  refreshMs?: number;
  errorBackoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
}

interface Running {
  fingerprint: string;
  abort: AbortController;
  done: Promise<void>;
}

/** Identity of a source's settings: a change restarts its poller with the new settings. */
function fingerprint(s: ResolvedSource): string {
  return createHash('sha256')
    .update(JSON.stringify([s.config, s.secrets, s.secretsError ?? null]))
    .digest('hex');
}

/**
 * Runs one polling loop per enabled source of a kind, picks up sources added, changed or disabled
 * in the console (every `refreshMs`), backs off on errors (recording them on the source), and
 * stops every loop on `stop()` after the page in hand is finished.
 */
export class PollSupervisor {
  private readonly running = new Map<string, Running>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly options: PollSupervisorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    if (this.loop) return;
    this.loop = (async () => {
      while (!this.stopping.signal.aborted) {
        // A poke during the refresh below cuts the following sleep short.
        const wake = new AbortController();
        this.wake = wake;
        try {
          await this.refresh();
        } catch (err) {
          this.options.log.error({ err, kind: this.options.kind }, 'cannot list cloud sources');
        }
        await this.clock.sleep(
          this.options.refreshMs ?? 30_000,
          AbortSignal.any([this.stopping.signal, wake.signal]),
        );
      }
    })();
  }

  /**
   * Re-reads the sources now instead of at the next refresh: a source was disabled, deleted or
   * reconfigured (revocation feed), and its poller must stop or restart at once.
   */
  poke(): void {
    this.wake.abort();
  }

  /** Reconciles running loops with the enabled sources now in the database. */
  async refresh(): Promise<void> {
    const accepts = this.options.accepts ?? (() => true);
    const wanted = (await this.options.sources.listEnabled(this.options.kind)).filter((s) => accepts(s));
    const ids = new Set(wanted.map((s) => s.id));
    const leases = this.options.leases;
    for (const [id, r] of this.running) {
      if (!ids.has(id)) {
        await this.halt(id, r);
        await leases?.release(id);
      } else if (leases && !leases.holds(id)) {
        // The lease went with its connection: another collector may own the source now.
        await this.halt(id, r);
      }
    }
    for (const source of wanted) {
      const fp = fingerprint(source);
      const current = this.running.get(source.id);
      if (current?.fingerprint === fp) continue;
      if (current) await this.halt(source.id, current);
      if (this.stopping.signal.aborted) return;
      if (leases && !(await leases.tryAcquire(source.id))) continue;
      if (this.stopping.signal.aborted) {
        await leases?.release(source.id);
        return;
      }
      this.launch(source, fp);
    }
  }

  /** Ids of the sources being polled. */
  get sourceIds(): string[] {
    return [...this.running.keys()];
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    const ids = [...this.running.keys()];
    await Promise.all([...this.running].map(([id, r]) => this.halt(id, r)));
    await this.loop;
    // Handing the sources over now beats waiting for the lease connection to close.
    for (const id of ids) await this.options.leases?.release(id);
  }

  private async halt(id: string, r: Running): Promise<void> {
    r.abort.abort();
    await r.done;
    if (this.running.get(id) === r) this.running.delete(id);
  }

  private launch(source: ResolvedSource, fp: string): void {
    const abort = new AbortController();
    const { log, sources } = this.options;
    const backoff = this.options.errorBackoff ?? { initialMs: 1_000, maxMs: 5 * 60_000 };
    const done = (async () => {
      let failures = 0;
      let poller: SourcePoller | undefined;
      while (!abort.signal.aborted) {
        let delayMs: number;
        try {
          poller ??= this.options.create(source);
          delayMs = (await poller.poll(abort.signal)).delayMs;
          if (failures > 0) await sources.recordActivity(source.id, { error: null }).catch(() => {});
          failures = 0;
        } catch (err) {
          if (abort.signal.aborted) break;
          if (err instanceof CollectorError && err.code === 'BUSY') {
            // The pipeline is saturated: wait as told, not an error of the source.
            delayMs = (err.retryAfterSeconds ?? 1) * 1000;
          } else {
            failures++;
            delayMs = backoffMs(failures, backoff.initialMs, backoff.maxMs);
            const message = err instanceof Error ? err.message : String(err);
            log.warn({ err, source: source.id, kind: source.kind, retryInMs: delayMs }, 'polling failed');
            await sources.recordActivity(source.id, { error: message }).catch(() => {});
          }
        }
        await this.clock.sleep(delayMs, abort.signal);
      }
      poller?.close?.();
    })();
    this.running.set(source.id, { fingerprint: fp, abort, done });
    log.info({ source: source.id, kind: source.kind, name: source.name }, 'polling started');
  }
}
