import type { EncodedBatch, EventTransport, ExportResult } from './transport.js';

/** Backoff policy of the retrying decorator. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  multiplier: number;
  /** Fraction of the delay randomised (0.2 = +-20%), so many sensors do not retry in lockstep. */
  jitter: number;
}

/** The defaults: 5 attempts, 1 s doubling to 16 s, +-20% jitter (about 30 s before giving up to the spool). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 1000,
  maxBackoffMs: 16_000,
  multiplier: 2,
  jitter: 0.2,
};

/** Delay before retry number `attempt` (1-based), honouring the collector's Retry-After when larger. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  const jittered = base * (1 - policy.jitter + 2 * policy.jitter * random());
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}

/**
 * Retries retryable results with jittered exponential backoff (the shape of OpenTelemetry's
 * retrying transport). Success and failure pass through at once; after the last attempt the
 * retryable result is returned so the caller can spool the batch.
 */
export class RetryingTransport implements EventTransport {
  readonly #inner: EventTransport;
  readonly #policy: RetryPolicy;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #abort = new AbortController();

  constructor(inner: EventTransport, policy: Partial<RetryPolicy> = {}, sleep = abortableSleep) {
    this.#inner = inner;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...policy };
    this.#sleep = sleep;
  }

  /** Stops waiting between attempts (shutdown): the pending send returns its last result. */
  abort(): void {
    this.#abort.abort();
  }

  async send(batch: EncodedBatch): Promise<ExportResult> {
    let result = await this.#inner.send(batch);
    for (let attempt = 1; attempt < this.#policy.maxAttempts && result.kind === 'retryable'; attempt++) {
      if (this.#abort.signal.aborted) return result;
      await this.#sleep(backoffDelay(this.#policy, attempt, result.retryAfterMs), this.#abort.signal);
      if (this.#abort.signal.aborted) return result;
      result = await this.#inner.send(batch);
    }
    return result;
  }
}

/** setTimeout as a promise that an AbortSignal ends early; the timer never keeps the process alive. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
