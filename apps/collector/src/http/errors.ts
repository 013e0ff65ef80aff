import { DbError, isDatabaseUnavailable, RecordingTooLargeError } from '@peregrine/db';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { CollectorMetrics } from '../ops/metrics.js';
import { UnknownEnvironmentError } from '../pipeline/rules-cache.js';
import { BackpressureError, StoreUnavailableError } from '../pipeline/types.js';

/**
 * Stable error codes of the collector's HTTP API. This file is the one mapping from errors to
 * answers: `STATUS` gives each code its HTTP status, `answerFor` turns any thrown value into an
 * answer, and `errorHandler` is the Fastify error handler of the server and of every ingest scope.
 */
export type CollectorErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INVALID_BODY'
  | 'INVALID_JSON'
  | 'INVALID_SHAPE'
  | 'UNSUPPORTED_ENCODING'
  | 'BODY_TOO_LARGE'
  | 'UNKNOWN_SOURCE'
  | 'UNSUPPORTED_SOURCE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BUSY'
  | 'DRAINING'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const STATUS: Record<CollectorErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_BODY: 400,
  INVALID_JSON: 400,
  INVALID_SHAPE: 422,
  UNSUPPORTED_ENCODING: 415,
  BODY_TOO_LARGE: 413,
  UNKNOWN_SOURCE: 404,
  UNSUPPORTED_SOURCE: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BUSY: 429,
  DRAINING: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** A coded error raised by ingest modules; the server's error handler turns it into a response. */
export class CollectorError extends Error {
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
    /** Seconds, for BUSY / DRAINING / UNAVAILABLE answers. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CollectorError';
  }

  get status(): number {
    return STATUS[this.code];
  }
}

/** One problem in a body that parsed as JSON but has the wrong shape (zod's issue, trimmed). */
export interface ShapeIssue {
  path: (string | number)[];
  message: string;
}

/** A well-formed body of the wrong shape: answered 422 with the issues, so a sender sees which field is wrong. */
export class ShapeError extends CollectorError {
  constructor(
    message: string,
    readonly issues: ShapeIssue[],
  ) {
    super('INVALID_SHAPE', message);
    this.name = 'ShapeError';
  }
}

/** zod issues -> ShapeIssue (keeps the path and message only: no echo of the rejected input). */
export function shapeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): ShapeIssue[] {
  return issues.slice(0, 20).map((i) => ({
    path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: i.message,
  }));
}

/** The JSON body of every error answer: `{ error: { code, message, issues? } }` (SensorApiErrorSchema). */
export function errorBody(
  code: string,
  message: string,
  issues?: ShapeIssue[],
): { error: { code: string; message: string; issues?: ShapeIssue[] } } {
  return { error: issues ? { code, message, issues } : { code, message } };
}

/** Retry-After of a 503 while the database is unavailable (a restart or failover takes seconds). */
export const UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * The collector's errors that are not client mistakes of the body itself, as coded errors:
 * a saturated pipeline (429), an environment that no longer exists (404), the database being
 * unreachable, restarting or refusing connections (503 + Retry-After: the sender keeps the events
 * and sends them again). Undefined for anything else. Both error handlers (http/server.ts and the
 * ingest scopes' ingest/shared/errors.ts) start from this, so they agree on these answers.
 */
export function toCollectorError(err: unknown): CollectorError | undefined {
  if (err instanceof CollectorError) return err;
  if (err instanceof BackpressureError) return new CollectorError('BUSY', err.message, err.retryAfterSeconds);
  if (err instanceof UnknownEnvironmentError) return new CollectorError('UNKNOWN_SOURCE', err.message);
  // The database's domain errors (a sensor's recording upload: not its own, no longer open, too big).
  if (err instanceof RecordingTooLargeError) return new CollectorError('BODY_TOO_LARGE', err.message);
  if (err instanceof DbError && err.code === 'NOT_FOUND') return new CollectorError('NOT_FOUND', err.message);
  if (err instanceof DbError && err.code === 'CONFLICT') return new CollectorError('CONFLICT', err.message);
  if (err instanceof DbError && err.code === 'INVALID')
    return new CollectorError('INVALID_BODY', err.message);
  if (err instanceof StoreUnavailableError || isDatabaseUnavailable(err)) {
    return new CollectorError(
      'UNAVAILABLE',
      'the collector cannot store events right now (database or work queue unavailable): nothing was stored, send again later',
      UNAVAILABLE_RETRY_SECONDS,
      { cause: err },
    );
  }
  return undefined;
}

/** Fastify's own client errors, as the collector's codes. */
const FASTIFY_CODES: Record<string, { code: CollectorErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'BODY_TOO_LARGE',
    message: 'request body is larger than this endpoint accepts',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_ENCODING', message: 'unsupported Content-Type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_BODY', message: 'request body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INVALID_BODY' },
};

/** Any thrown value as the coded error it is answered with (INTERNAL for what is not a client's). */
export function answerFor(err: unknown): CollectorError {
  const coded = toCollectorError(err);
  if (coded) return coded;
  const fe = err as Partial<FastifyError>;
  const mapped = FASTIFY_CODES[fe.code ?? ''];
  if (mapped) return new CollectorError(mapped.code, mapped.message ?? fe.message ?? 'bad request');
  if (err instanceof SyntaxError) return new CollectorError('INVALID_JSON', err.message);
  // Other 4xx raised while reading the body (a corrupt gzip stream is marked 400 INVALID_BODY).
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return new CollectorError('INVALID_BODY', fe.message ?? 'bad request');
  return new CollectorError('INTERNAL', 'internal error', undefined, { cause: err });
}

/**
 * The error handler of the server and of each ingest scope: the answer from `answerFor`,
 * Retry-After on 429/503, a reject counted per source and reason, 5xx logged with the route (never
 * the URL: Falco's carries its ingest token) and never the body.
 */
export function errorHandler(metrics: CollectorMetrics | undefined, scopeSource?: string) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const answer = answerFor(err);
    const source =
      scopeSource ?? String((req.routeOptions.config as { source?: string } | undefined)?.source ?? 'http');
    metrics?.rejects.inc({ source, reason: answer.code.toLowerCase() });
    const where = { source, route: req.routeOptions.url, method: req.method };
    if (answer.code === 'UNAVAILABLE') req.log.warn({ err, ...where }, 'database unavailable');
    else if (answer.status >= 500) req.log.error({ err, ...where }, 'request failed');
    else req.log.debug({ ...where, code: answer.code, msg: answer.message }, 'request refused');
    if (answer.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(Math.max(1, Math.ceil(answer.retryAfterSeconds))));
    const issues = answer instanceof ShapeError ? answer.issues : undefined;
    return reply.code(answer.status).send(errorBody(answer.code, answer.message, issues));
  };
}
