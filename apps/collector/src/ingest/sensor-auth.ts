import {
  type Db,
  findSensorByKey,
  hashSensorKey,
  retryWhileUnavailable,
  type SensorIdentity,
} from '@peregrine/db';
import type { FastifyRequest } from 'fastify';
import { effectiveTtl, type RevocationFeed } from '../auth/revocation-feed.js';
import { CollectorError } from '../http/errors.js';

interface Cached {
  identity: SensorIdentity | null;
  expires: number;
}

/**
 * Resolves `Authorization: Bearer <sensor key>` to its sensor. Lookups are cached for `ttlMs` (a
 * sensor sends a batch every second); a revocation committed anywhere evicts the key at once
 * (`revocations`), and while revocations are not being received the cache trusts an entry for a
 * second at most. The cache is keyed by the key's hash and bounded, so a flood of random keys
 * cannot grow it without limit.
 */
export class SensorAuthenticator {
  private readonly cache = new Map<string, Cached>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Db,
    private readonly options: { ttlMs: number; maxEntries: number; revocations?: RevocationFeed } = {
      ttlMs: 30_000,
      maxEntries: 10_000,
    },
  ) {
    this.unsubscribe =
      options.revocations?.subscribe((event) => {
        if (event.kind === 'sensor') {
          if (event.keyHash) this.cache.delete(event.keyHash);
          // A deleted or re-keyed sensor: also any entry naming it under another hash.
          for (const [hash, hit] of this.cache)
            if (hit.identity?.sensorId === event.id) this.cache.delete(hash);
        } else if (event.kind === 'lost') this.cache.clear();
      }) ?? (() => {});
  }

  /** Stops following revocations. */
  close(): void {
    this.unsubscribe();
  }

  async authenticate(req: FastifyRequest): Promise<SensorIdentity> {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new CollectorError('UNAUTHENTICATED', 'missing Authorization: Bearer <sensor key>');
    const key = match[1]!;
    const hash = hashSensorKey(key);
    const now = Date.now();
    let hit = this.cache.get(hash);
    if (!hit || hit.expires <= now) {
      const identity = await retryWhileUnavailable(() => findSensorByKey(this.db, key));
      if (this.cache.size >= this.options.maxEntries) this.cache.clear();
      hit = { identity, expires: now + effectiveTtl(this.options.revocations, this.options.ttlMs) };
      this.cache.set(hash, hit);
    }
    if (!hit.identity) throw new CollectorError('UNAUTHENTICATED', 'unknown or revoked sensor key');
    return hit.identity;
  }
}
