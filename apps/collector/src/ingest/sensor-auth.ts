import {
  type Db,
  findSensorByKey,
  hashSensorKey,
  retryWhileUnavailable,
  type SensorIdentity,
} from '@peregrine/db';
import type { FastifyRequest } from 'fastify';
import { CollectorError } from '../http/errors.js';

interface Cached {
  identity: SensorIdentity | null;
  expires: number;
}

/**
 * Resolves `Authorization: Bearer <sensor key>` to its sensor. Lookups are cached for `ttlMs`
 * (a sensor sends a batch every second; a revoked key stops working within the TTL); the cache is
 * keyed by the key's hash and bounded, so a flood of random keys cannot grow it without limit.
 */
export class SensorAuthenticator {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly db: Db,
    private readonly options: { ttlMs: number; maxEntries: number } = { ttlMs: 30_000, maxEntries: 10_000 },
  ) {}

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
      hit = { identity, expires: now + this.options.ttlMs };
      this.cache.set(hash, hit);
    }
    if (!hit.identity) throw new CollectorError('UNAUTHENTICATED', 'unknown or revoked sensor key');
    return hit.identity;
  }
}
