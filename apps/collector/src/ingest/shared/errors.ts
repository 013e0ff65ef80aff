import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toCollectorError } from '../../http/errors.js';
import type { CollectorMetrics } from '../../ops/metrics.js';

/** One problem in a body that parsed as JSON but has the wrong shape (zod's issue, trimmed). */
export interface ShapeIssue {
  path: (string | number)[];
  message: string;
}

/**
 * A well-formed body of the wrong shape: answered 422 with the issues, so a sender can see which
 * field is wrong. (The central CollectorError codes have no 422 yet; this stays local until they do.)
 */
export class ShapeError extends Error {
  readonly code = 'INVALID_SHAPE';
  constructor(
    message: string,
    readonly issues: ShapeIssue[],
  ) {
    super(message);
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

interface Mapped {
  status: number;
  code: string;
  message: string;
  issues?: ShapeIssue[];
  retryAfterSeconds?: number;
}

function mapError(err: unknown): Mapped {
  if (err instanceof ShapeError)
    return { status: 422, code: err.code, message: err.message, issues: err.issues };
  const coded = toCollectorError(err);
  if (coded) {
    const m: Mapped = { status: coded.status, code: coded.code, message: coded.message };
    if (coded.retryAfterSeconds !== undefined) m.retryAfterSeconds = coded.retryAfterSeconds;
    return m;
  }
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        code: 'BODY_TOO_LARGE',
        message: 'request body is larger than this endpoint accepts',
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'UNSUPPORTED_ENCODING', message: fe.message ?? 'unsupported media type' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'INVALID_BODY', message: fe.message ?? 'invalid body' };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, code: 'INVALID_BODY', message: fe.message ?? 'bad request' };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}

/** Metric label for a rejected request: the lower-cased error code (`invalid_json`, ...). */
export function rejectReason(code: string): string {
  return code.toLowerCase();
}

/**
 * The error handler of an ingest scope: one JSON shape `{ error: { code, message, issues? } }`,
 * Retry-After on 429/503, a reject counted per source and reason, and 5xx logged (never the body).
 */
export function ingestErrorHandler(source: string, metrics: CollectorMetrics) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const m = mapError(err);
    metrics.rejects.inc({ source, reason: rejectReason(m.code) });
    if (m.code === 'UNAVAILABLE') req.log.warn({ err, source }, 'database unavailable');
    else if (m.status >= 500) req.log.error({ err, source }, 'ingest request failed');
    else req.log.debug({ source, code: m.code, msg: m.message }, 'ingest request rejected');
    if (m.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(Math.max(1, Math.ceil(m.retryAfterSeconds))));
    const error: Record<string, unknown> = { code: m.code, message: m.message };
    if (m.issues) error.issues = m.issues;
    return reply.code(m.status).send({ error });
  };
}
