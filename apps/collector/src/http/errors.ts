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
  INTERNAL: 500,
};

/** A coded error raised by ingest modules; the server's error handler turns it into a response. */
export class CollectorError extends Error {
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
    /** Seconds, for BUSY / DRAINING answers. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
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
