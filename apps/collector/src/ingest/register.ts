import type { CollectorStore, Db } from '@peregrine/db';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { RevocationFeed } from '../auth/revocation-feed.js';
import type { Env } from '../env.js';
import type { SourceReach } from '../net/source-reach.js';
import type { CollectorMetrics } from '../ops/metrics.js';
import type { RulesCache } from '../pipeline/rules-cache.js';
import type { Pipeline } from '../pipeline/types.js';

/** What every ingest module gets from the composition root. */
export interface IngestContext {
  env: Env;
  db: Db;
  pipeline: Pipeline;
  metrics: CollectorMetrics;
  log: FastifyBaseLogger;
  /** Compiled rules per environment (sensor config pull: event types and rules version). */
  rules: RulesCache;
  /** The collector's write path (sensor batch dedup lookups). */
  store: CollectorStore;
  /** What tenant-configured sources may reach (one outbound policy per collector). */
  reach: SourceReach;
  /** Revocations committed anywhere (sensor keys, sources, API keys): caches evict at once. */
  revocations: RevocationFeed;
}

/**
 * One transport (sensor stream, k8s audit webhook, GitHub, Okta, CloudTrail, Falco http_output).
 * Webhook-style modules add routes in `register`; polling modules start their loops in `start` and
 * stop them in `stop` (called on SIGTERM before the pipeline drains).
 *
 * Error answers: throw `CollectorError(code, message)` from `../http/errors.js`; the server maps
 * codes to statuses and bodies (`{ error: { code, message } }`) in http/errors.ts, the one mapping (also
 * for the ingest scopes, `setupIngestScope`), and counts a reject
 * in `metrics.rejects` for the route's `config.source` (set `config: { source: 'github' }` on routes).
 */
export interface IngestModule {
  name: string;
  register(app: FastifyInstance, ctx: IngestContext): void | Promise<void>;
  start?(ctx: IngestContext): Promise<void>;
  stop?(): Promise<void>;
}
