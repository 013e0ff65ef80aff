import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CollectorError } from '../../http/errors.js';
import type { CollectorMetrics } from '../../ops/metrics.js';

/**
 * Bytes of request bodies being read before the request can be verified (GitHub signs the body,
 * so its signature can only be checked once the body is in memory). Without a bound, anyone could
 * make the collector hold `bodyLimit` bytes per connection: 40 parallel 24 MB requests took it from
 * 183 MB to 1.46 GB. Each route has its budget; one peer address may use `perPeerBytes` of it.
 */
export class BodyBudget {
  private used = 0;
  private readonly byPeer = new Map<string, number>();

  constructor(
    readonly totalBytes: number,
    readonly perPeerBytes: number,
  ) {}

  /** Reserves `bytes` for `peer`; false (nothing reserved) when either bound would be passed. */
  reserve(peer: string, bytes: number): boolean {
    const mine = this.byPeer.get(peer) ?? 0;
    if (this.used + bytes > this.totalBytes || mine + bytes > this.perPeerBytes) return false;
    this.used += bytes;
    this.byPeer.set(peer, mine + bytes);
    return true;
  }

  release(peer: string, bytes: number): void {
    if (bytes <= 0) return;
    this.used = Math.max(0, this.used - bytes);
    const left = (this.byPeer.get(peer) ?? 0) - bytes;
    if (left > 0) this.byPeer.set(peer, left);
    else this.byPeer.delete(peer);
  }
}

/** Seconds a refused sender is told to wait: bodies being read finish within seconds. */
const RETRY_AFTER_SECONDS = 2;

function busy(): CollectorError {
  return new CollectorError(
    'BUSY',
    'too many unverified request bytes are being read right now: send again later',
    RETRY_AFTER_SECONDS,
  );
}

/**
 * Bounds the bodies of a scope's requests by `budget` while they are read: a declared
 * Content-Length is reserved before a byte is read (refused with 429 + Retry-After beyond the
 * budget), a chunked body reserves as it arrives and is cut off once past it. Reservations end
 * with the response. Install after the hooks that refuse requests by their headers (unknown
 * source, no signature), so only plausible deliveries spend the budget.
 */
export function boundUnverifiedBodies(
  scope: FastifyInstance,
  budget: BodyBudget,
  options: { bodyLimit: number; metrics: CollectorMetrics; source: string },
): void {
  /** `bytes` reserved for the request, `read` (decompressed) bytes seen so far. */
  const held = new WeakMap<FastifyRequest, { peer: string; bytes: number; read: number }>();
  const refuse = () => {
    options.metrics.rejects.inc({ source: options.source, reason: 'unverified_bytes' });
    return busy();
  };
  scope.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' && req.method !== 'PUT') return;
    const peer = req.ip;
    const declared = Number(req.headers['content-length']);
    const hold = { peer, bytes: 0, read: 0 };
    if (Number.isFinite(declared) && declared > 0) {
      // Over the body limit: Fastify answers 413 without reading; nothing to reserve.
      if (declared > options.bodyLimit) return;
      if (!budget.reserve(peer, declared)) throw refuse();
      hold.bytes = declared;
    }
    held.set(req, hold);
    reply.raw.once('close', () => budget.release(hold.peer, hold.bytes));
  });
  scope.addHook('preParsing', async (req, _reply, payload) => {
    const hold = held.get(req);
    if (!hold) return payload;
    // Chunked or compressed bodies: what arrives beyond the reservation is reserved as it comes.
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hold.read += chunk.length;
        const extra = hold.read - hold.bytes;
        if (extra > 0) {
          if (!budget.reserve(hold.peer, extra)) return done(refuse());
          hold.bytes += extra;
        }
        done(null, chunk);
      },
    });
    payload.on('error', (err) => counter.destroy(err));
    return payload.pipe(counter);
  });
}
