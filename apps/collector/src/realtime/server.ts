import type { StoredAlert } from '@peregrine/db';
import {
  type AlertsNewPayload,
  environmentRoom,
  REALTIME_EVENTS,
  type RealtimeAlert,
  RealtimeTokenError,
  type ReadyPayload,
  verifyRealtimeToken,
} from '@peregrine/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { RevocationFeed } from '../auth/revocation-feed.js';
import type { CollectorMetrics } from '../ops/metrics.js';
import type { AlertPublisher } from '../pipeline/batch-processor.js';

export interface RealtimeOptions {
  /** Shared with the web app, which signs the tokens. */
  secret: string;
  /** Browser origins allowed to connect (CORS); empty = any. */
  corsOrigins: string[];
  log: FastifyBaseLogger;
  metrics: CollectorMetrics;
  /**
   * Whether the API key that issued a token may still act (not revoked or expired). Without it,
   * tokens issued by API keys are refused: their revocation could not be honoured.
   */
  isApiKeyActive?: (apiKeyId: string, organizationId: string) => Promise<boolean>;
  /** Revocations: the streams of a revoked API key are cut when its revocation arrives. */
  revocations?: RevocationFeed;
}

interface SocketClaims {
  userId: string;
  organizationId: string;
  environmentIds: string[];
  exp: number;
  apiKeyId?: string;
}

/** The issuing API key of a token is revoked, expired or gone. */
class RevokedError extends Error {}

/** Packets a socket may have waiting to be written before it is considered too slow. */
const MAX_PENDING_PACKETS = 1000;

/**
 * Output fields as socket.io's JSON can carry them: a bigint (a nanosecond time) becomes a number
 * when that is exact, else its decimal digits as a string, as the console reads stored alerts.
 */
export function wireFields(fields: Record<string, unknown>): Record<string, unknown> {
  // Field by field: only a bigint, or a list or object that may hold one, needs converting; the
  // rest goes as it is (socket.io writes it as JSON anyway). A JSON round trip of every alert's
  // fields was a few % of the collector's CPU at tens of thousands of events a second.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    if (key === '__proto__') return roundTrip(fields) as Record<string, unknown>;
    const v = fields[key];
    if (typeof v === 'bigint') out[key] = wireBigInt(v);
    else if (typeof v === 'object' && v !== null) out[key] = roundTrip(v);
    else out[key] = v;
  }
  return out;
}

function wireBigInt(v: bigint): number | string {
  return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
}

function roundTrip(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? wireBigInt(v) : v)),
  ) as unknown;
}

function toWire(a: StoredAlert, receivedAt: number): RealtimeAlert {
  return {
    id: a.id,
    groupId: a.groupId,
    rule: a.rule,
    priority: a.priority,
    source: a.source,
    output: a.output,
    outputFields: wireFields(a.outputFields),
    tags: a.tags,
    hostname: a.hostname,
    eventTime: a.eventTime.toISOString(),
    createdAt: a.createdAt.toISOString(),
    receivedAt,
    sensorId: a.sensorId,
    cloudSourceId: a.cloudSourceId,
  };
}

/**
 * The socket.io server console clients connect to. A connection must present a token signed by the
 * web app (`auth.token`); it joins one room per environment the token grants and is cut when the
 * token expires. Alerts are emitted to the environment's room: with the Redis adapter installed
 * (`attachAdapter`), an emit on any collector reaches clients on every collector.
 */
export class RealtimeServer implements AlertPublisher {
  readonly io: Server;
  private readonly slowClientTimer: NodeJS.Timeout;

  constructor(
    http: HttpServer,
    private readonly options: RealtimeOptions,
  ) {
    this.io = new Server(http, {
      cors: { origin: options.corsOrigins.length ? options.corsOrigins : true, credentials: true },
      serveClient: false,
      // Browsers behind proxies fall back to polling; the payloads are small either way.
      transports: ['websocket', 'polling'],
    });
    this.io.use((socket, next) => {
      const auth = (socket.handshake.auth ?? {}) as { token?: unknown; environmentIds?: unknown };
      verifyRealtimeToken(typeof auth.token === 'string' ? auth.token : '', options.secret)
        .then(async (claims) => {
          // A token outlives nothing it was made from: a revoked key's tokens are refused.
          if (
            claims.apiKeyId !== undefined &&
            !(await this.keyActive(claims.apiKeyId, claims.organizationId))
          )
            throw new RevokedError();
          const wanted = Array.isArray(auth.environmentIds)
            ? claims.environmentIds.filter((e) => (auth.environmentIds as unknown[]).includes(e))
            : claims.environmentIds;
          socket.data.claims = { ...claims, environmentIds: wanted } satisfies SocketClaims;
          next();
        })
        .catch((err: unknown) => {
          const code =
            err instanceof RealtimeTokenError
              ? err.code
              : err instanceof RevokedError
                ? 'REVOKED'
                : 'MALFORMED';
          options.metrics.rejects.inc({ source: 'realtime', reason: code.toLowerCase() });
          const e = new Error('unauthorized') as Error & { data?: unknown };
          e.data = { code };
          next(e);
        });
    });
    this.io.on('connection', (socket) => {
      const claims = socket.data.claims as { organizationId: string; environmentIds: string[]; exp: number };
      for (const env of claims.environmentIds) void socket.join(environmentRoom(claims.organizationId, env));
      const ttl = Math.max(0, claims.exp * 1000 - Date.now());
      const expiry = setTimeout(() => socket.disconnect(true), Math.min(ttl, 2 ** 31 - 1));
      expiry.unref();
      socket.on('disconnect', () => clearTimeout(expiry));
      const ready: ReadyPayload = {
        organizationId: claims.organizationId,
        environmentIds: claims.environmentIds,
        exp: claims.exp,
      };
      socket.emit(REALTIME_EVENTS.ready, ready);
    });
    this.slowClientTimer = setInterval(() => this.dropSlowClients(), 1000);
    this.slowClientTimer.unref();
    this.unsubscribe =
      options.revocations?.subscribe((event) => {
        // The notification also fires when a key's expiry changes: check, then cut.
        if (event.kind === 'api_key') void this.recheckKeys((id) => id === event.id);
        // Revocations may have been missed while not listening.
        else if (event.kind === 'listening') void this.recheckKeys(() => true);
      }) ?? (() => {});
  }

  private readonly unsubscribe: () => void;

  private async keyActive(apiKeyId: string, organizationId: string): Promise<boolean> {
    if (!this.options.isApiKeyActive) return false;
    try {
      return await this.options.isApiKeyActive(apiKeyId, organizationId);
    } catch (err) {
      // Unknown is not active: the console issues a new token once the database answers.
      this.options.log.warn({ err: (err as Error).message }, 'cannot check a realtime token’s API key');
      return false;
    }
  }

  /** Disconnects this collector's sockets whose issuing API key (matching `which`) is no longer active. */
  private async recheckKeys(which: (apiKeyId: string) => boolean): Promise<void> {
    const verdicts = new Map<string, Promise<boolean>>();
    for (const socket of this.io.of('/').sockets.values()) {
      const claims = socket.data.claims as SocketClaims | undefined;
      const id = claims?.apiKeyId;
      if (!claims || id === undefined || !which(id)) continue;
      let verdict = verdicts.get(id);
      if (!verdict) {
        verdict = this.keyActive(id, claims.organizationId);
        verdicts.set(id, verdict);
      }
      if (!(await verdict)) {
        this.options.metrics.rejects.inc({ source: 'realtime', reason: 'revoked' });
        socket.disconnect(true);
      }
    }
  }

  /**
   * Memory stays bounded with slow clients: a socket whose outgoing buffer holds more than
   * `MAX_PENDING_PACKETS` is disconnected (the console reconnects and reloads the list).
   */
  private dropSlowClients(): void {
    for (const socket of this.io.of('/').sockets.values()) {
      const pending = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
      if (pending > MAX_PENDING_PACKETS) {
        this.options.metrics.drops.inc({ reason: 'slow_realtime_client' });
        this.options.log.warn({ socket: socket.id, pending }, 'disconnecting a slow realtime client');
        socket.disconnect(true);
      }
    }
  }

  publish(
    organizationId: string,
    environmentId: string,
    alerts: readonly StoredAlert[],
    receivedAt: number,
  ): void {
    const payload: AlertsNewPayload = {
      organizationId,
      environmentId,
      alerts: alerts.map((a) => toWire(a, receivedAt)),
    };
    this.io.to(environmentRoom(organizationId, environmentId)).emit(REALTIME_EVENTS.alertsNew, payload);
    this.options.metrics.alertsPushed.inc(alerts.length);
  }

  async close(): Promise<void> {
    clearInterval(this.slowClientTimer);
    this.unsubscribe();
    // Not io.close(): that also closes the HTTP server, which fastify closes itself.
    this.io.local.disconnectSockets(true);
    this.io.engine.close();
    await this.io.of('/').adapter.close();
  }
}
