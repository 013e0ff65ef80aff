import { type Revocation, RevocationListener } from '@peregrine/db';

/** A revocation, or a change in whether revocations are being received. */
export type RevocationEvent = Revocation | { kind: 'lost' } | { kind: 'listening' };

/**
 * Revocations committed by any process sharing the database (Postgres LISTEN/NOTIFY, see
 * @peregrine/db RevocationListener), for the collector's caches: the sensor key cache, the cloud
 * source cache, the pollers and the live stream evict at once what was revoked. While the
 * listening connection is down, `listening` is false: caches then expire what they hold and keep
 * entries only for `SHORT_TTL_MS` until it is back (nothing revoked meanwhile was heard).
 */
export interface RevocationFeed {
  readonly listening: boolean;
  /** Calls `handler` for every event until the returned function is called. */
  subscribe(handler: (event: RevocationEvent) => void): () => void;
}

/** How long a cached credential may be trusted while revocations are not being received. */
export const SHORT_TTL_MS = 1_000;

/** The TTL a cache should use now: its own while listening, at most `SHORT_TTL_MS` otherwise. */
export function effectiveTtl(feed: RevocationFeed | undefined, ttlMs: number): number {
  return feed?.listening === false ? Math.min(ttlMs, SHORT_TTL_MS) : ttlMs;
}

/** Hands each event to the subscribers and tracks `listening` (the database feed below feeds it). */
class RevocationFanout implements RevocationFeed {
  private readonly handlers = new Set<(event: RevocationEvent) => void>();
  listening = true;

  subscribe(handler: (event: RevocationEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  emit(event: RevocationEvent): void {
    if (event.kind === 'lost') this.listening = false;
    if (event.kind === 'listening') this.listening = true;
    for (const h of this.handlers) {
      try {
        h(event);
      } catch {
        // One cache's failure must not keep the others from evicting.
      }
    }
  }
}

/** The feed from the database: one listening connection per collector. */
export class DbRevocationFeed extends RevocationFanout {
  private readonly listener: RevocationListener;

  constructor(
    url: string,
    log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
  ) {
    super();
    // Not listening until the first LISTEN succeeds: short TTLs until then.
    this.listening = false;
    this.listener = new RevocationListener(url, {
      onRevocation: (r) => this.emit(r),
      onLost: (err) => {
        log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'revocation feed lost; short cache TTLs until it is back',
        );
        this.emit({ kind: 'lost' });
      },
      onListening: () => {
        log.info({}, 'listening for revocations');
        this.emit({ kind: 'listening' });
      },
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  /** Test support: drops the listening connection as a network failure would. */
  dropConnection(): void {
    this.listener.dropConnection();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }
}
