import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type ClaimedNotification, decryptSourceSecrets, type NotificationStore } from '@peregrine/db';
import { deadline, type OutboundPolicy, OutboundRefusedError } from '@peregrine/outbound';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorMetrics } from '../ops/metrics.js';
import { buildDigestMessage } from './digest-message.js';
import { buildMessage, ChannelConfigError, type HttpMessage } from './messages.js';
import { MailDeliveryError, sendMail } from './send-mail.js';

export interface NotificationWorkerOptions {
  /** How often an idle worker looks for owed notifications (the local write path also wakes it). */
  pollMs: number;
  /** A request answering slower than this fails (and is retried). */
  timeoutMs: number;
  /** Attempts before a notification is dead (shown in the console with its last error). */
  maxAttempts: number;
  /** Notifications sent at once. */
  concurrency: number;
  /** Backoff: attempt n waits about base * 2^(n-1), at most max, with jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  policy: OutboundPolicy;
  /** PEREGRINE_SECRET_KEY's bytes; without it channels with secrets cannot be sent. */
  secretKey: Buffer | undefined;
  consoleUrl: string | undefined;
  /** Extra trusted CA certificates for SMTP (tests). */
  ca?: readonly string[] | undefined;
  /** What rows fall due by (digests at their period's end); default Date.now. */
  clock?: (() => number) | undefined;
  log: FastifyBaseLogger;
  metrics: CollectorMetrics;
}

/** One attempt's failure: retried unless `permanent`; `retryAfterMs` from a 429/503's Retry-After. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** HTTP answers that will not change on a retry. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 410, 413, 422]);
/** Most a Retry-After is honoured for (a receiver asking for a day is retried sooner). */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** `Retry-After` as delay seconds or an HTTP date, in ms from `now`; undefined when absent or bad. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** Exponential backoff with jitter: attempt 1 waits ~base, each next one twice as long, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * Delivers the notification outbox. Any collector sharing the database may run one: rows are
 * claimed with FOR UPDATE SKIP LOCKED and a lease, so each is sent by one worker at a time; a row
 * whose worker died mid-send is claimed again when its lease runs out (at-least-once in that case:
 * every request carries the row id, `X-Peregrine-Delivery`, and vendors get the alert group as
 * their dedup key, so a receiver can tell a repeat). Stopping lets requests under way finish
 * (bounded) and gives back what was claimed but not started.
 */
export class NotificationWorker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake = false;
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly store: NotificationStore,
    private readonly options: NotificationWorkerOptions,
  ) {}

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  /** Lease of a claim: longer than any attempt can take. */
  get leaseMs(): number {
    return this.options.timeoutMs * 2 + 30_000;
  }

  start(): void {
    if (this.stopping || this.timer || this.running) return;
    this.schedule(0);
  }

  /** Something was just owed (this collector stored it): look now instead of at the next poll. */
  nudge(): void {
    if (this.stopping) return;
    if (this.running) {
      this.wake = true;
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake = false;
      this.running = this.drain()
        .then(() => undefined)
        .catch((err: unknown) => this.options.log.warn({ err }, 'notification pass failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopping) this.schedule(this.wake ? 0 : this.options.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Claims and sends until nothing is due (or the worker stops); returns how many it handled. */
  async drain(): Promise<number> {
    let handled = 0;
    while (!this.stopping) {
      const claimed = await this.store.claim(this.id, {
        limit: this.options.concurrency,
        leaseMs: this.leaseMs,
        now: new Date(this.now()),
      });
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((n) => this.deliver(n)));
      handled += claimed.length;
    }
    return handled;
  }

  /**
   * Stops claiming; requests under way may finish for `deadlineMs`, then are aborted and given
   * back (sent again by the next worker). Resolves false when it stopped waiting.
   */
  async stop(deadlineMs = 5_000): Promise<boolean> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.running.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      const ids = [...this.inFlight.keys()];
      for (const c of this.inFlight.values()) c.abort(new Error('the collector is stopping'));
      await this.store.release(ids, this.id).catch(() => {});
      this.options.log.warn({ deadlineMs, released: ids.length }, 'notification worker stopped mid-delivery');
    }
    return finished;
  }

  private async deliver(n: ClaimedNotification): Promise<void> {
    const { log, metrics } = this.options;
    const kind = n.channel?.kind ?? 'unknown';
    const controller = new AbortController();
    this.inFlight.set(n.id, controller);
    try {
      const status = await this.attempt(n, controller.signal);
      if (controller.signal.aborted) return;
      const mine = await this.store.delivered(n.id, this.id, status);
      if (!mine) log.warn({ notificationId: n.id }, 'notification delivered after its claim was taken over');
      metrics.notifications.inc({ kind, outcome: 'delivered' });
      // Latency of what is sent as it happens; a digest waits for its period by design.
      if (!n.digest)
        metrics.notificationSeconds.observe({ kind }, (Date.now() - n.createdAt.getTime()) / 1000);
    } catch (err) {
      if (controller.signal.aborted && this.stopping) return; // given back by stop()
      const e =
        err instanceof AttemptError
          ? err
          : new AttemptError(err instanceof Error ? err.message : String(err), null, false);
      const dead = e.permanent || n.attempts >= this.options.maxAttempts;
      const delay =
        e.retryAfterMs ?? backoffMs(n.attempts, this.options.retryBaseMs, this.options.retryMaxMs);
      const error =
        dead && !e.permanent
          ? `${e.message} (gave up after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'})`
          : e.message;
      metrics.notifications.inc({ kind, outcome: dead ? 'dead' : 'retry' });
      log[dead ? 'warn' : 'info'](
        {
          notificationId: n.id,
          channel: n.channel?.name,
          kind,
          attempt: n.attempts,
          error: e.message,
          retryInMs: dead ? undefined : delay,
        },
        dead ? 'notification dead' : 'notification attempt failed; retrying',
      );
      await this.store
        .failed(n.id, this.id, {
          error,
          status: e.status,
          retryAt: dead ? null : new Date(this.now() + delay),
        })
        .catch((dbErr: unknown) =>
          log.warn({ err: dbErr, notificationId: n.id }, 'could not record the attempt'),
        );
    } finally {
      this.inFlight.delete(n.id);
    }
  }

  /** One attempt; resolves with the answer's status, throws AttemptError. */
  private async attempt(n: ClaimedNotification, signal: AbortSignal): Promise<number | null> {
    let secrets: Record<string, string> = {};
    try {
      if (n.channel?.secretsEncrypted && n.channel.secretsEncrypted.length > 0) {
        if (!this.options.secretKey)
          throw new ChannelConfigError(
            'PEREGRINE_SECRET_KEY is not set on the collector: the channel secrets cannot be read',
          );
        secrets = decryptSourceSecrets(this.options.secretKey, n.channel.secretsEncrypted);
      }
    } catch (err) {
      throw new AttemptError(err instanceof Error ? err.message : String(err), null, true);
    }
    let message: ReturnType<typeof buildMessage>;
    try {
      message = (n.digest ? buildDigestMessage : buildMessage)(n, secrets, {
        consoleUrl: this.options.consoleUrl,
      });
    } catch (err) {
      throw new AttemptError(
        err instanceof Error ? err.message : String(err),
        null,
        err instanceof ChannelConfigError,
      );
    }
    if (message.kind === 'mail') {
      try {
        await sendMail(message, {
          policy: this.options.policy,
          timeoutMs: this.options.timeoutMs,
          ca: this.options.ca,
        });
        return 250;
      } catch (err) {
        if (err instanceof OutboundRefusedError) throw new AttemptError(err.message, null, true);
        if (err instanceof MailDeliveryError)
          throw new AttemptError(
            err.message,
            err.code,
            err.code !== null && err.code >= 500 && err.code < 600,
          );
        throw new AttemptError(err instanceof Error ? err.message : String(err), null, false);
      }
    }
    return this.post(message, signal);
  }

  private async post(message: HttpMessage, outer: AbortSignal): Promise<number> {
    // The whole exchange, answer body included, within the timeout.
    const limit = deadline(this.options.timeoutMs, outer);
    let res: Response;
    let text = '';
    try {
      try {
        res = await this.options.policy.fetch(message.url, {
          method: 'POST',
          headers: message.headers,
          body: message.body,
          signal: limit.signal,
        });
      } catch (err) {
        if (err instanceof OutboundRefusedError) throw new AttemptError(err.message, null, true);
        const reason = limit.timedOut
          ? `no answer within ${this.options.timeoutMs} ms`
          : err instanceof Error
            ? ((err as { code?: string }).code ?? err.message)
            : String(err);
        throw new AttemptError(`request failed: ${reason}`, null, false);
      }
      try {
        text = (await res.text()).slice(0, 500);
      } catch {
        // The answer's status is what counts; a body cut short changes nothing.
      }
    } finally {
      limit.done();
    }
    if (res.status >= 200 && res.status < 300) return res.status;
    const detail = text.replace(/\s+/g, ' ').trim().slice(0, 300);
    const msg = `HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status === 429 || res.status === 503)
      throw new AttemptError(msg, res.status, false, retryAfterMs(res.headers.get('retry-after')));
    throw new AttemptError(msg, res.status, PERMANENT_STATUSES.has(res.status));
  }
}
