import {
  SENSOR_API_PATHS,
  type SensorConfig,
  SensorConfigSchema,
  type SensorHeartbeat,
  type SensorHeartbeatResponse,
  SensorHeartbeatResponseSchema,
  type SensorRecordingComplete,
} from '@peregrine/protocol';
import { type CollectorEndpoint, CollectorHttp, describe, type HttpAnswer } from './transport.js';

/** A coded error from the collector API (status 0 = unreachable). */
export class CollectorApiError extends Error {
  constructor(
    readonly code: 'unreachable' | 'unauthorized' | 'bad-response' | 'http',
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'CollectorApiError';
  }
}

/** The small JSON calls of the sensor API: heartbeat, config pull, recording uploads. */
export class CollectorClient {
  readonly #http: CollectorHttp;

  constructor(endpoint: CollectorEndpoint) {
    // One call at a time in practice (heartbeats are serialised; uploads are sequential).
    this.#http = new CollectorHttp(endpoint, 2);
  }

  async #call(
    path: string,
    init: { method: string; body?: string | Uint8Array },
    contentType = 'application/json',
  ): Promise<unknown> {
    let answer: HttpAnswer;
    try {
      answer = await this.#http.request(path, {
        ...init,
        ...(init.body !== undefined ? { contentType } : {}),
      });
    } catch (error) {
      throw new CollectorApiError('unreachable', `collector unreachable: ${describe(error)}`);
    }
    const { status, text } = answer;
    if (status === 401 || status === 403) {
      throw new CollectorApiError('unauthorized', `sensor key refused (HTTP ${status})`, status);
    }
    if (status < 200 || status >= 300)
      throw new CollectorApiError('http', `HTTP ${status}: ${text.slice(0, 200)}`, status);
    try {
      return JSON.parse(text);
    } catch {
      throw new CollectorApiError('bad-response', `not JSON: ${text.slice(0, 200)}`, status);
    }
  }

  /** `GET /v1/sensor/config`. */
  async fetchConfig(): Promise<SensorConfig> {
    const parsed = SensorConfigSchema.safeParse(await this.#call(SENSOR_API_PATHS.config, { method: 'GET' }));
    if (!parsed.success) throw new CollectorApiError('bad-response', `config: ${parsed.error.message}`);
    return parsed.data;
  }

  /** `POST /v1/sensor/heartbeat`. */
  async heartbeat(heartbeat: SensorHeartbeat): Promise<SensorHeartbeatResponse> {
    const body = await this.#call(SENSOR_API_PATHS.heartbeat, {
      method: 'POST',
      body: JSON.stringify(heartbeat),
    });
    const parsed = SensorHeartbeatResponseSchema.safeParse(body);
    if (!parsed.success) throw new CollectorApiError('bad-response', `heartbeat: ${parsed.error.message}`);
    return parsed.data;
  }

  /** `PUT /v1/sensor/recordings/:id/chunks/:offset`: one chunk of a recording's file. */
  async uploadRecordingChunk(id: string, offset: number, chunk: Uint8Array): Promise<void> {
    const path = SENSOR_API_PATHS.recordingChunk.replace(':id', id).replace(':offset', String(offset));
    await this.#call(path, { method: 'PUT', body: chunk }, 'application/octet-stream');
  }

  /** `POST /v1/sensor/recordings/:id/complete`: the collector checks size and SHA-256. */
  async completeRecording(id: string, body: SensorRecordingComplete): Promise<void> {
    await this.#call(SENSOR_API_PATHS.recordingComplete.replace(':id', id), {
      method: 'POST',
      body: JSON.stringify(body),
    });
  }

  /** `POST /v1/sensor/recordings/:id/fail`. */
  async failRecording(id: string, reason: string): Promise<void> {
    await this.#call(SENSOR_API_PATHS.recordingFail.replace(':id', id), {
      method: 'POST',
      body: JSON.stringify({ reason: reason.slice(0, 1000) }),
    });
  }
}
