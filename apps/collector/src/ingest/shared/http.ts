import type { FastifyInstance, FastifyRequest } from 'fastify';
import { installRequestDecompression } from '../../http/decompress.js';
import { CollectorError } from '../../http/errors.js';
import type { CollectorMetrics } from '../../ops/metrics.js';
import { type CleanReport, parseCleanJson } from './clean-text.js';
import { errorHandler } from '../../http/errors.js';

/**
 * Sets up an encapsulated ingest scope: every body arrives as raw bytes (GitHub signs the exact
 * bytes; each module decides which content types it accepts and answers its own JSON errors),
 * `Content-Encoding: gzip|deflate` is undone while streaming, bodies over `bodyLimit` (after
 * decompression) get 413 before they are buffered, and errors map to one JSON shape.
 * Call inside a fastify plugin that is NOT wrapped in fastify-plugin, so nothing leaks out.
 */
export function setupIngestScope(
  app: FastifyInstance,
  options: { source: string; bodyLimit: number; metrics: CollectorMetrics },
): void {
  installRequestDecompression(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) => {
    done(null, body);
  });
  app.setErrorHandler(errorHandler(options.metrics, options.source));
}

/** The (already decompressed) request body as bytes. */
export function requestBytes(req: FastifyRequest): Buffer {
  const body = req.body;
  if (body === undefined || body === null)
    throw new CollectorError('INVALID_BODY', 'the request has no body');
  if (!Buffer.isBuffer(body)) throw new CollectorError('INTERNAL', 'ingest scope did not receive raw bytes');
  return body;
}

/** A parsed JSON body, cleaned of characters Postgres refuses (clean-text.ts). */
export interface JsonBody {
  value: unknown;
  /** What cleaning replaced; `report.touched(item)` tells which events had characters replaced. */
  report: CleanReport;
}

/**
 * JSON.parse (cleaned, see clean-text.ts) with a 400 that says where the text broke;
 * `exactIntegers` keeps integers beyond 2^53 exact, as bigint.
 */
export function parseJsonBody(bytes: Buffer, options: { exactIntegers?: boolean } = {}): JsonBody {
  if (bytes.length === 0) throw new CollectorError('INVALID_BODY', 'the request body is empty');
  try {
    return parseCleanJson(bytes.toString('utf8'), options);
  } catch (err) {
    throw new CollectorError('INVALID_JSON', `body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The media type of the request without parameters, lower-cased (`application/json`). */
export function mediaType(req: FastifyRequest): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase() as string;
}

/**
 * An ingest token from, in order: `Authorization: Bearer <t>`, `X-Peregrine-Token: <t>`, the
 * `token` query parameter (Falco's http_output cannot send headers, so its URL carries it).
 */
export function requestToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = req.headers['x-peregrine-token'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const query = req.query as Record<string, unknown> | undefined;
  const q = query?.token;
  if (typeof q === 'string' && q !== '') return q;
  return undefined;
}
