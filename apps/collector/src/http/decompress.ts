import type { FastifyInstance } from 'fastify';
import { createGunzip, createInflate } from 'node:zlib';
import { CollectorError } from './errors.js';

/**
 * Decompresses `Content-Encoding: gzip`/`deflate` request bodies as they stream in. Fastify's
 * body limit then applies to the decompressed bytes, so a small gzip bomb is refused with 413
 * after at most `bodyLimit` bytes instead of exhausting memory.
 */
export function installRequestDecompression(app: FastifyInstance): void {
  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
    if (encoding === 'identity' || encoding === '') return payload;
    let inflater: ReturnType<typeof createGunzip>;
    if (encoding === 'gzip' || encoding === 'x-gzip') inflater = createGunzip();
    else if (encoding === 'deflate') inflater = createInflate();
    else throw new CollectorError('UNSUPPORTED_ENCODING', `unsupported Content-Encoding '${encoding}'`);
    let encoded = 0;
    payload.on('data', (chunk: Buffer) => {
      encoded += chunk.length;
    });
    payload.on('error', (err) => inflater.destroy(err));
    const out = payload.pipe(inflater) as typeof inflater & { receivedEncodedLength?: number };
    Object.defineProperty(out, 'receivedEncodedLength', { get: () => encoded });
    inflater.on('error', (err) => {
      // zlib errors mean a corrupt body: a client error, not a server one.
      (err as Error & { statusCode?: number; code?: string }).statusCode = 400;
      (err as Error & { code?: string }).code = 'INVALID_BODY';
    });
    return out;
  });
}
