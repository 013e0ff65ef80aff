import {
  SENSOR_API_PATHS,
  type SensorEventBatchResponse,
  SensorEventBatchResponseSchema,
} from '@peregrine/protocol';

/** Outcome of one delivery attempt, in OpenTelemetry's three-way style. */
export type ExportResult =
  | { kind: 'success'; response: SensorEventBatchResponse }
  /** Will never succeed as sent (bad key, invalid body, too large): do not retry. */
  | {
      kind: 'failure';
      code: 'unauthorized' | 'too-large' | 'invalid' | 'http';
      error: string;
      status?: number;
    }
  /** May succeed later (network down, 5xx, backpressure); `retryAfterMs` from the collector when given. */
  | { kind: 'retryable'; error: string; retryAfterMs?: number; status?: number };

/** A gzip-compressed batch ready to send; `batchId` is what the collector deduplicates on. */
export interface EncodedBatch {
  batchId: string;
  seq: number;
  /** Events in the batch (for counting drops and shipped events). */
  count: number;
  /** gzip of the JSON `SensorEventBatch`. */
  body: Buffer;
}

/** Sends event batches to the collector. */
export interface EventTransport {
  send(batch: EncodedBatch): Promise<ExportResult>;
}

/** Where the collector is and how to authenticate. */
export interface CollectorEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** Sensor key sent as `Authorization: Bearer <key>`. */
  key: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Classifies an HTTP status the way the sensor API defines it (see @peregrine/protocol sensor-api). */
export function classifyStatus(
  status: number,
  retryAfter: string | null,
  bodyText: string,
): ExportResult | undefined {
  if (status >= 200 && status < 300) return undefined;
  const error = `HTTP ${status}: ${bodyText.slice(0, 200)}`;
  if (status === 429 || status === 503 || status === 408 || status >= 500) {
    const result: ExportResult = { kind: 'retryable', error, status };
    const ms = parseRetryAfter(retryAfter);
    if (ms !== undefined) result.retryAfterMs = ms;
    return result;
  }
  if (status === 401 || status === 403) return { kind: 'failure', code: 'unauthorized', error, status };
  if (status === 413) return { kind: 'failure', code: 'too-large', error, status };
  if (status === 400 || status === 422) return { kind: 'failure', code: 'invalid', error, status };
  return { kind: 'failure', code: 'http', error, status };
}

/** `POST /v1/sensor/events` over HTTP(S) with Node's fetch. */
export class HttpEventTransport implements EventTransport {
  readonly #endpoint: CollectorEndpoint;

  constructor(endpoint: CollectorEndpoint) {
    this.#endpoint = endpoint;
  }

  async send(batch: EncodedBatch): Promise<ExportResult> {
    let response: Response;
    try {
      response = await fetch(new URL(SENSOR_API_PATHS.events, this.#endpoint.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#endpoint.key}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'x-peregrine-batch-id': batch.batchId,
        },
        body: batch.body,
        signal: AbortSignal.timeout(this.#endpoint.timeoutMs ?? 10_000),
      });
    } catch (error) {
      return { kind: 'retryable', error: `collector unreachable: ${describe(error)}` };
    }
    const text = await response.text().catch(() => '');
    const classified = classifyStatus(response.status, response.headers.get('retry-after'), text);
    if (classified) return classified;
    try {
      return { kind: 'success', response: SensorEventBatchResponseSchema.parse(JSON.parse(text)) };
    } catch {
      // The collector stored the batch (2xx) but answered something unexpected; retrying would
      // only be deduplicated, so count it delivered with no per-event detail.
      return { kind: 'success', response: { accepted: batch.count, duplicate: false, rejected: [] } };
    }
  }
}

/** A readable message for any thrown value (fetch wraps the cause). */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
