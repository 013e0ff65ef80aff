import {
  type CloudSourceDto,
  type Db,
  decryptSourceSecrets,
  findCloudSourceByTokenHash,
  getCloudSource,
  hashSourceToken,
  isDatabaseUnavailable,
  listEnabledCloudSources,
  recordCloudSourceActivity,
  type SourceKind,
  type SourceSecrets,
  saveCloudSourceCursor,
} from '@peregrine/db';
import { effectiveTtl, type RevocationFeed } from '../../auth/revocation-feed.js';
import { cleanString } from './clean-text.js';

/** A cloud source with its secrets in clear, as ingest modules use it. */
export interface ResolvedSource {
  id: string;
  organizationId: string;
  environmentId: string;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  secrets: SourceSecrets;
  /** Why `secrets` is empty although the source has some (no or wrong PEREGRINE_SECRET_KEY). */
  secretsError?: string;
  cursor: unknown;
  cursorUpdatedAt: Date | null;
}

/** What ingest modules need from the cloud_sources table (a seam for the pollers' tests too). */
export interface CloudSourceStore {
  /** The source an ingest token belongs to (enabled or not), or null. */
  byToken(token: string): Promise<ResolvedSource | null>;
  byId(id: string): Promise<ResolvedSource | null>;
  listEnabled(kind: SourceKind): Promise<ResolvedSource[]>;
  /** Compare-and-set of the polling cursor (see saveCloudSourceCursor). */
  saveCursor(
    id: string,
    cursor: unknown,
    expectedUpdatedAt: Date | null,
  ): Promise<{ saved: boolean; cursorUpdatedAt: Date }>;
  /** Notes an event time / an error for the console; event times are written at most every few seconds. */
  recordActivity(id: string, activity: { lastEventAt?: Date; error?: string | null }): Promise<void>;
}

export interface DbSourceStoreOptions {
  /** PEREGRINE_SECRET_KEY as bytes; without it, sources with secrets resolve with `secretsError`. */
  secretKey?: Buffer;
  /** How long a token/id lookup is reused (push endpoints would otherwise hit Postgres per request). */
  cacheTtlMs?: number;
  /** Least time between two lastEventAt writes of one source. */
  activityIntervalMs?: number;
  /** Revocations: a disabled, deleted, re-keyed or reconfigured source is evicted at once. */
  revocations?: RevocationFeed;
  now?: () => number;
}

const CACHE_MAX = 10_000;

/**
 * The database-backed store: lookups cached briefly. A source disabled, deleted, re-keyed or
 * reconfigured anywhere is evicted as soon as the revocation arrives; while revocations are not
 * being received every entry is expired and the TTL is a second at most. (During a database
 * outage the last answer stands, see `cached`: nobody can revoke anything then either.)
 */
export function createDbSourceStore(db: Db, options: DbSourceStoreOptions = {}): CloudSourceStore {
  const ttl = options.cacheTtlMs ?? 5_000;
  const activityInterval = options.activityIntervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: ResolvedSource | null; expires: number }>();
  const lastActivityWrite = new Map<string, number>();
  options.revocations?.subscribe((event) => {
    if (event.kind === 'source') {
      cache.delete(`i:${event.id}`);
      if (event.tokenHash) cache.delete(`t:${event.tokenHash}`);
      for (const [key, hit] of cache) if (hit.value?.id === event.id) cache.delete(key);
    } else if (event.kind === 'lost') {
      // Kept for the outage fallback, but looked up again before any other use.
      for (const hit of cache.values()) hit.expires = 0;
    }
  });

  const resolve = (dto: CloudSourceDto | null): ResolvedSource | null => {
    if (!dto) return null;
    const out: ResolvedSource = {
      id: dto.id,
      organizationId: dto.organizationId,
      environmentId: dto.environmentId,
      kind: dto.kind,
      name: dto.name,
      enabled: dto.enabled,
      config: dto.config,
      secrets: {},
      cursor: dto.cursor,
      cursorUpdatedAt: dto.cursorUpdatedAt,
    };
    if (dto.secretsEncrypted) {
      if (!options.secretKey)
        out.secretsError = 'PEREGRINE_SECRET_KEY is not set: cannot read this source’s secrets';
      else {
        try {
          out.secrets = decryptSourceSecrets(options.secretKey, dto.secretsEncrypted);
        } catch (err) {
          out.secretsError = (err as Error).message;
        }
      }
    }
    return out;
  };

  const cached = async (
    key: string,
    load: () => Promise<ResolvedSource | null>,
  ): Promise<ResolvedSource | null> => {
    const t = now();
    const hit = cache.get(key);
    if (hit && hit.expires > t) return hit.value;
    let value: ResolvedSource | null;
    try {
      value = await load();
    } catch (err) {
      // During a database outage the last answer stands, so a push sender that never retries
      // (Falco, GitHub) still reaches the spool instead of losing its events to a 503.
      if (hit && isDatabaseUnavailable(err)) return hit.value;
      throw err;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, { value, expires: t + effectiveTtl(options.revocations, ttl) });
    return value;
  };

  return {
    byToken: (token) => {
      const hash = hashSourceToken(token);
      return cached(`t:${hash}`, async () => resolve(await findCloudSourceByTokenHash(db, hash)));
    },
    byId: (id) => cached(`i:${id}`, async () => resolve(await getCloudSource(db, id))),
    listEnabled: async (kind) =>
      (await listEnabledCloudSources(db, kind)).map((s) => resolve(s) as ResolvedSource),
    saveCursor: (id, cursor, expected) => saveCloudSourceCursor(db, id, cursor, expected, new Date(now())),
    recordActivity: async (id, activity) => {
      const t = now();
      const wantsEvent =
        activity.lastEventAt !== undefined && t - (lastActivityWrite.get(id) ?? 0) >= activityInterval;
      if (!wantsEvent && activity.error === undefined) return;
      const write: { lastEventAt?: Date; error?: string | null } = {};
      if (wantsEvent && activity.lastEventAt) {
        write.lastEventAt = activity.lastEventAt;
        lastActivityWrite.set(id, t);
      }
      // An error may quote the input (a parser's message): it must be storable too.
      if (activity.error !== undefined)
        write.error = activity.error === null ? null : cleanString(activity.error);
      await recordCloudSourceActivity(db, id, write, new Date(t));
    },
  };
}
