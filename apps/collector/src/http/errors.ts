import { isDatabaseUnavailable } from '@peregrine/db';
import { UnknownEnvironmentError } from '../pipeline/rules-cache.js';
import { BackpressureError, StoreUnavailableError } from '../pipeline/types.js';

/** Stable error codes of the collector's HTTP API; `STATUS` maps them to HTTP in exactly one place. */
export type CollectorErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INVALID_BODY'
  | 'INVALID_JSON'
  | 'UNSUPPORTED_ENCODING'
  | 'BODY_TOO_LARGE'
  | 'UNKNOWN_SOURCE'
  | 'BUSY'
  | 'DRAINING'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const STATUS: Record<CollectorErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_BODY: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_ENCODING: 415,
  BODY_TOO_LARGE: 413,
  UNKNOWN_SOURCE: 404,
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

/** The JSON body of every error answer: `{ error: { code, message } }` (SensorApiErrorSchema). */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
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
