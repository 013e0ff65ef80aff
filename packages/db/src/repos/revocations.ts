import pg from 'pg';
import type { Db } from '../client.js';

/** The channel the revocation triggers notify (migration 20261205120000_revocation_notifications). */
export const REVOCATION_CHANNEL = 'peregrine_revocations';

/** What was revoked or changed; ids and hashes only. */
export type Revocation =
  | { kind: 'sensor'; id: string; keyHash: string | null }
  | { kind: 'source'; id: string; tokenHash: string | null }
  | { kind: 'api_key'; id: string };

/** Parses a notification payload; undefined for anything else. */
export function parseRevocation(payload: string | undefined): Revocation | undefined {
  try {
    const v = JSON.parse(payload ?? '') as Record<string, unknown>;
    if (typeof v.id !== 'string') return undefined;
    const hash = (x: unknown) => (typeof x === 'string' ? x : null);
    if (v.kind === 'sensor') return { kind: 'sensor', id: v.id, keyHash: hash(v.keyHash) };
    if (v.kind === 'source') return { kind: 'source', id: v.id, tokenHash: hash(v.tokenHash) };
    if (v.kind === 'api_key') return { kind: 'api_key', id: v.id };
  } catch {
    // not ours
  }
  return undefined;
}

export interface RevocationListenerOptions {
  /** Called for every revocation committed by any process sharing the database. */
  onRevocation(r: Revocation): void;
  /** The listening connection is gone: revocations may be missed until `onListening` again. */
  onLost?(err: unknown): void;
  /** Listening (again): whatever was cached while not listening should be checked again. */
  onListening?(): void;
  /** Delay between reconnection attempts (ms, default 1000, doubling up to 30 s). */
  retryMs?: number;
}

/**
 * Holds one connection that LISTENs on the revocation channel and reconnects when it is lost.
 * `listening` tells whether revocations are being received right now; while it is false a cache
 * must not trust its entries for long (the collector falls back to short TTLs).
 */
export class RevocationListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  listening = false;

  constructor(
    private readonly url: string,
    private readonly options: RevocationListenerOptions,
  ) {}

  /** Connects and listens; resolves once listening (or after the first failure, retrying). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'peregrine-revocations' });
    const lost = (err: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      this.listening = false;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      this.options.onLost?.(err);
      this.schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== REVOCATION_CHANNEL) return;
      const r = parseRevocation(msg.payload);
      if (r) this.options.onRevocation(r);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (err) {
      lost(err);
      return;
    }
    if (this.stopped) {
      await this.stop();
      return;
    }
    this.attempt = 0;
    this.listening = true;
    this.options.onListening?.();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const base = this.options.retryMs ?? 1000;
    const delay = Math.min(30_000, base * 2 ** Math.min(this.attempt++, 5));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }

  /** Test support and failover: ends the connection as a network failure would. */
  dropConnection(): void {
    const client = this.client;
    if (!client) return;
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = null;
    this.listening = false;
    await client?.end().catch(() => {});
  }
}

/**
 * Whether an API key may still act (exists, not revoked, not expired, of this organisation): the
 * collector asks this when a live-stream token issued by the key connects.
 */
export async function isApiKeyActive(
  db: Db,
  apiKeyId: string,
  organizationId: string,
  now: Date = new Date(),
): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(apiKeyId)) return false;
  const row = await db.prisma.apiKey.findUnique({
    where: { id: apiKeyId },
    select: { organizationId: true, revokedAt: true, expiresAt: true },
  });
  return (
    row !== null &&
    row.organizationId === organizationId &&
    row.revokedAt === null &&
    (row.expiresAt === null || row.expiresAt > now)
  );
}
