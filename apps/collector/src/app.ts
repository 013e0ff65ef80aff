import {
  type CollectorStore,
  createBacktestStore,
  createCollectorStore,
  createDb,
  createNotificationStore,
  type Db,
  incidentNotificationHook,
  isApiKeyActive,
  parseSecretKey,
  pingDatabase,
  resumeOrganizationPurges,
} from '@peregrine/db';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createClient } from 'redis';
import { DbRevocationFeed } from './auth/revocation-feed.js';
import { BacktestRunner } from './backtest/backtest-runner.js';
import type { Env } from './env.js';
import { buildServer } from './http/server.js';
import { INGEST_MODULES } from './ingest/modules.js';
import type { IngestContext, IngestModule } from './ingest/register.js';
import { sourceReachFromEnv } from './net/source-reach.js';
import { NotificationWorker } from './notify/notification-worker.js';
import { NotificationRoutes, routeAlertFilter } from './notify/routes-cache.js';
import { type CollectorMetrics, createMetrics } from './ops/metrics.js';
import { AdmittingPipeline } from './pipeline/admitting-pipeline.js';
import { NatsWorkQueue } from './pipeline/nats.js';
import { type AlertPublisher, BatchProcessor } from './pipeline/batch-processor.js';
import { IncidentCorrelator, incidentPolicy } from './pipeline/incident-correlator.js';
import { RetentionPruner } from './pipeline/retention.js';
import { collectorCompileCache } from './pipeline/compile-cache.js';
import { RulesCache } from './pipeline/rules-cache.js';
import { KNOWN_SOURCES } from './pipeline/rules-engine.js';
import { spoolingSink, WorkSpool } from './pipeline/work-spool.js';
import type { WorkItem } from './pipeline/work.js';
import { StoreWriter } from './pipeline/store-writer.js';
import { RealtimeServer } from './realtime/server.js';

/** A running (or ready to run) collector: everything main.ts and the tests need. */
export interface Collector {
  app: FastifyInstance;
  db: Db;
  store: CollectorStore;
  rules: RulesCache;
  pipeline: AdmittingPipeline;
  processor: BatchProcessor;
  metrics: CollectorMetrics;
  realtime: RealtimeServer;
  retention: RetentionPruner;
  /** Groups stored alerts into incidents (undefined when INCIDENT_CORRELATOR=0). */
  incidents: IncidentCorrelator | undefined;
  /** Runs queued backtests (undefined when BACKTEST_RUNNER=0). */
  backtests: BacktestRunner | undefined;
  /** Delivers the notification outbox (undefined when NOTIFY_WORKER=0). */
  notifications: NotificationWorker | undefined;
  /** Revocations from the database (LISTEN/NOTIFY): caches evict at once. */
  revocations: DbRevocationFeed;
  /** Push submissions kept while the database is unavailable (local pipeline only). */
  spool: WorkSpool | undefined;
  /** Listens on COLLECTOR_HOST:COLLECTOR_PORT and starts background work; returns the base URL. */
  start(): Promise<string>;
  /** Drains in-flight batches and closes everything (idempotent). */
  stop(): Promise<void>;
}

/** Options for tests and the benchmark. */
export interface CollectorOptions {
  modules?: readonly IngestModule[];
  /** Default metrics (process CPU, memory...) are off in tests that build many collectors. */
  defaultMetrics?: boolean;
  /** Where log lines go (default stdout); tests read them. */
  logStream?: Writable;
  /**
   * Waits of the database-outage paths, for tests that cut the database and want the collector to
   * notice its return at once; production keeps the defaults (src/pipeline/store-writer.ts, work-spool.ts).
   */
  outageWaits?: { storeRetryDelaysMs?: readonly number[]; spoolBackoffMs?: { initial: number; max: number } };
  /** Notification retry waits (tests shorten them) and extra CAs trusted for SMTP (tests' own CA). */
  notify?: { retryBaseMs?: number; retryMaxMs?: number; ca?: readonly string[] };
  /**
   * The time notification digests and quiet hours are read at, and owed rows fall due by (tests
   * move it forward instead of waiting for a period to end); default Date.now.
   */
  clock?: () => number;
  /** How often the incident correlator looks at the queue (ms, default 1000). */
  incidentPollMs?: number;
}

/** Composition: env -> database, rules cache, pipeline (local or JetStream), socket.io, HTTP routes. */
export async function createCollector(env: Env, options: CollectorOptions = {}): Promise<Collector> {
  const metrics = createMetrics({ defaults: options.defaultMetrics ?? true });
  const db = createDb(env.DATABASE_URL, { max: 4 });
  let accepting = false;
  const app = buildServer({
    logLevel: env.LOG_LEVEL,
    metrics,
    ...(env.COLLECTOR_METRICS_TOKEN ? { metricsToken: env.COLLECTOR_METRICS_TOKEN } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
    checkDatabase: () => pingDatabase(db),
    isAccepting: () => accepting,
  });
  const log = app.log;
  const store = createCollectorStore(env.DATABASE_URL, {
    max: env.DB_POOL_MAX,
    onRepairedText: (replaced) => {
      // Every ingest path cleans its events (src/ingest/shared/clean-text.ts): one did not.
      metrics.sanitized.inc({ source: 'store' });
      log.warn(
        { replaced },
        'the store replaced NUL or lone surrogate characters an ingest path let through',
      );
    },
  });
  const compileCache = collectorCompileCache(env.COLLECTOR_COMPILE_CACHE_DIR, (m) => log.warn(m));
  const rules = new RulesCache(db, { pollMs: env.RULES_POLL_MS, log, metrics, compileCache });
  const revocations = new DbRevocationFeed(env.DATABASE_URL, log);
  if (!env.PEREGRINE_SECRET_KEY)
    log.warn('PEREGRINE_SECRET_KEY is not set: the realtime stream refuses every client');
  const realtime = new RealtimeServer(app.server, {
    // Without a configured secret no token can verify (a random secret nobody knows).
    secret: env.PEREGRINE_SECRET_KEY ?? crypto.randomUUID() + crypto.randomUUID(),
    corsOrigins: env.COLLECTOR_CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    log,
    metrics,
    isApiKeyActive: (apiKeyId, organizationId) => isApiKeyActive(db, apiKeyId, organizationId),
    revocations,
  });
  let redis: { pub: { close(): Promise<void> }; sub: { close(): Promise<void> } } | undefined;
  if (env.REDIS_URL) {
    const pub = createClient({ url: env.REDIS_URL });
    const sub = pub.duplicate();
    pub.on('error', (err) => log.warn({ err }, 'redis (publish) error'));
    sub.on('error', (err) => log.warn({ err }, 'redis (subscribe) error'));
    await Promise.all([pub.connect(), sub.connect()]);
    realtime.io.adapter(createAdapter(pub, sub));
    redis = { pub, sub };
  }
  const publisher: AlertPublisher = realtime;
  const storeRetryDelaysMs = options.outageWaits?.storeRetryDelaysMs;
  const writer = new StoreWriter(store, {
    onRetry: () => metrics.storeRetries.inc(),
    ...(storeRetryDelaysMs ? { retryDelaysMs: storeRetryDelaysMs } : {}),
  });
  const reach = sourceReachFromEnv(env);
  const notifyStore = createNotificationStore(env.DATABASE_URL, { max: 3 });
  let secretKey: Buffer | undefined;
  if (env.PEREGRINE_SECRET_KEY) {
    try {
      secretKey = parseSecretKey(env.PEREGRINE_SECRET_KEY);
    } catch {
      // Reported by the cloud sources' wiring; channels with secrets fail with a clear error.
    }
  }
  const notifications = env.NOTIFY_WORKER
    ? new NotificationWorker(notifyStore, {
        pollMs: env.NOTIFY_POLL_MS,
        timeoutMs: env.NOTIFY_TIMEOUT_SECONDS * 1000,
        maxAttempts: env.NOTIFY_MAX_ATTEMPTS,
        concurrency: env.NOTIFY_CONCURRENCY,
        retryBaseMs: options.notify?.retryBaseMs ?? 5_000,
        retryMaxMs: options.notify?.retryMaxMs ?? 10 * 60_000,
        policy: reach.outbound,
        secretKey,
        consoleUrl: env.COLLECTOR_CONSOLE_URL,
        ca: options.notify?.ca,
        clock: options.clock,
        log,
        metrics,
      })
    : undefined;
  const processor = new BatchProcessor({
    rules,
    writer,
    publisher,
    metrics,
    log,
    notify: {
      routes: new NotificationRoutes(notifyStore, { ttlMs: env.NOTIFY_POLL_MS, log }),
      owed: () => notifications?.nudge(),
    },
    clock: options.clock,
  });
  let nats: NatsWorkQueue | undefined;
  if (env.NATS_URL) {
    nats = new NatsWorkQueue({
      url: env.NATS_URL,
      stream: env.NATS_STREAM,
      consumer: env.NATS_CONSUMER,
      concurrency: env.COLLECTOR_CONCURRENCY,
      log,
      metrics,
    });
    await nats.connect();
  }
  const queue = nats;
  // JetStream is durable already; in a single process the spool keeps push submissions through a
  // database outage.
  const spoolBackoff = options.outageWaits?.spoolBackoffMs;
  const spool =
    queue || env.COLLECTOR_SPOOL_MAX_MB === 0
      ? undefined
      : new WorkSpool({
          dir: env.COLLECTOR_SPOOL_DIR,
          maxBytes: env.COLLECTOR_SPOOL_MAX_MB * 1024 * 1024,
          log,
          metrics,
          ...(spoolBackoff ? { initialBackoffMs: spoolBackoff.initial, maxBackoffMs: spoolBackoff.max } : {}),
        });
  if (spool) await spool.open();
  const evaluateAndStore = (item: WorkItem) => processor.process(item);
  const pipeline = new AdmittingPipeline(
    queue ? (item) => queue.publish(item) : spoolingSink(evaluateAndStore, spool, log),
    { maxInFlight: env.COLLECTOR_MAX_IN_FLIGHT, retryAfterSeconds: 1 },
    metrics,
  );
  const retention = new RetentionPruner(store, {
    rawEventDays: env.RAW_EVENT_RETENTION_DAYS,
    ingestBatchDays: env.INGEST_BATCH_RETENTION_DAYS,
    notificationDays: env.NOTIFY_RETENTION_DAYS,
    alerts: {
      maxAlertsRetained: env.PEREGRINE_MAX_ALERTS_RETAINED,
      weeksAhead: env.ALERT_PARTITION_WEEKS_AHEAD,
    },
    intervalMs: env.RETENTION_INTERVAL_MINUTES * 60 * 1000,
    log,
    resumeOrganizationPurges: () => resumeOrganizationPurges(db),
  });
  const incidents = env.INCIDENT_CORRELATOR
    ? new IncidentCorrelator(store, {
        policy: incidentPolicy(env.INCIDENT_WINDOW_MINUTES * 60_000),
        pollMs: options.incidentPollMs ?? 1_000,
        log,
        // Incident routes' notifications are owed in the placement's transaction, on the routes
        // whose filter one of the incident's alerts matches.
        onChanges: incidentNotificationHook((stored, routeId) => routeAlertFilter(stored, routeId, log)),
        onCommitted: () => notifications?.nudge(),
      })
    : undefined;
  const backtestStore = env.BACKTEST_RUNNER ? createBacktestStore(env.DATABASE_URL, { max: 3 }) : undefined;
  const backtests = backtestStore
    ? new BacktestRunner(backtestStore, {
        pollMs: env.BACKTEST_POLL_MS,
        leaseMs: env.BACKTEST_LEASE_SECONDS * 1000,
        retentionMs: env.BACKTEST_RETENTION_DAYS * 86_400_000,
        knownSources: [...KNOWN_SOURCES],
        log,
      })
    : undefined;
  const modules = options.modules ?? INGEST_MODULES;
  const ctx: IngestContext = {
    revocations,
    env,
    db,
    pipeline,
    metrics,
    log,
    rules,
    store,
    reach,
  };
  for (const m of modules) await m.register(app, ctx);

  let stopped: Promise<void> | undefined;
  const collector: Collector = {
    app,
    db,
    store,
    rules,
    pipeline,
    processor,
    metrics,
    realtime,
    retention,
    incidents,
    backtests,
    notifications,
    revocations,
    spool,
    async start() {
      // Compile before listening: the first batches are not held up by a compilation.
      await rules.warm();
      // Listening before the first request is served (until then caches use short TTLs).
      await revocations.start();
      const url = await app.listen({ host: env.COLLECTOR_HOST, port: env.COLLECTOR_PORT });
      rules.start();
      retention.start();
      incidents?.start();
      backtests?.start();
      notifications?.start();
      if (queue) await queue.startConsuming(processor);
      spool?.start(evaluateAndStore);
      for (const m of modules) await m.start?.(ctx);
      accepting = true;
      log.info({ url, nats: Boolean(queue), redis: Boolean(redis) }, 'collector started');
      return url.replace('0.0.0.0', '127.0.0.1');
    },
    stop() {
      stopped ??= (async () => {
        accepting = false;
        for (const m of modules) {
          try {
            await m.stop?.();
          } catch (err) {
            log.warn({ err, module: m.name }, 'ingest module stop failed');
          }
        }
        await pipeline.drain();
        await spool?.stop();
        if (queue) await queue.close();
        rules.stop();
        await retention.stop();
        await incidents?.stop();
        // A backtest being run is checkpointed and queued again for whichever collector is next.
        // Its pool is closed only when its pass ended: a query stuck on a lost database would
        // hold the pool's end forever.
        // Notifications under way finish (bounded); what was claimed and not sent is given back.
        // Both wait side by side: each may be held by a query on a lost database.
        await Promise.all([
          (async () => {
            if ((await backtests?.stop()) !== false) await backtestStore?.close();
          })(),
          (async () => {
            const deadline = Math.min(5_000, env.NOTIFY_TIMEOUT_SECONDS * 1000);
            if ((await notifications?.stop(deadline)) !== false) await notifyStore.close();
          })(),
        ]);
        await realtime.close();
        await app.close();
        await revocations.stop();
        ctx.reach.outbound.close();
        if (redis) await Promise.allSettled([redis.pub.close(), redis.sub.close()]);
        await store.close();
        await db.close();
        log.info('collector stopped');
      })();
      return stopped;
    },
  };
  return collector;
}
