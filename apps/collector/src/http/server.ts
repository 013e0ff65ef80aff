import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { Writable } from 'node:stream';
import { redactError } from '../ops/log-redaction.js';
import type { CollectorMetrics } from '../ops/metrics.js';
import { CollectorError, errorBody, errorHandler } from './errors.js';

/** What the HTTP layer needs from the rest of the collector. */
export interface ServerDeps {
  logLevel: string;
  /** Resolves when the database answers; rejects with the reason otherwise. */
  checkDatabase(): Promise<void>;
  /** False while starting or draining. */
  isAccepting(): boolean;
  /** Prometheus metrics (served on /metrics, and rejects are counted here). */
  metrics?: CollectorMetrics;
  /** Largest request body after decompression, bytes (default 10 MiB). */
  bodyLimit?: number;
  /** With it, /metrics answers only `Authorization: Bearer <metricsToken>` (COLLECTOR_METRICS_TOKEN). */
  metricsToken?: string;
  /** Where log lines go (default stdout); tests read them. */
  logStream?: Writable;
}

/** Constant-time comparison of a presented bearer token with the expected one. */
function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) return false;
  const given = Buffer.from(m[1] as string);
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Builds the collector's HTTP server: health, readiness, metrics, and one error handler that maps
 * every coded error to its status and `{ error: { code, message } }` body. Ingest modules add
 * their routes through `src/ingest/modules.ts` (see `IngestModule` in src/ingest/register.ts) and
 * mark each route with `config: { source: '<name>' }` so rejects are counted per source.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    // Errors are logged redacted (ops/log-redaction.ts): their messages quote event content.
    logger: {
      level: deps.logLevel,
      serializers: { err: redactError },
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    bodyLimit: deps.bodyLimit ?? 10 * 1024 * 1024,
    // Per-request lines would drown the log at ingest rates; modules log what matters.
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.setErrorHandler(errorHandler(deps.metrics));

  app.setNotFoundHandler((req, reply) => {
    deps.metrics?.rejects.inc({ source: 'http', reason: 'unknown_source' });
    return reply
      .code(404)
      .send(errorBody('UNKNOWN_SOURCE', `no ingest endpoint at ${req.method} ${req.url}`));
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    if (!deps.isAccepting()) return reply.code(503).send({ ok: false, reason: 'draining' });
    try {
      await deps.checkDatabase();
      return { ok: true };
    } catch (err) {
      return reply.code(503).send({ ok: false, reason: `database: ${(err as Error).message}` });
    }
  });

  if (deps.metrics) {
    const { registry } = deps.metrics;
    const token = deps.metricsToken;
    app.get('/metrics', async (req, reply) => {
      if (token !== undefined && !bearerMatches(req.headers.authorization, token))
        throw new CollectorError(
          'UNAUTHENTICATED',
          'metrics need Authorization: Bearer <COLLECTOR_METRICS_TOKEN>',
        );
      void reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  }

  return app;
}
