import {
  SENSOR_API_PATHS,
  type SensorConfig,
  SensorConfigSchema,
  type SensorHeartbeat,
  type SensorHeartbeatResponse,
  SensorHeartbeatResponseSchema,
} from '@peregrine/protocol';
import { describe, type CollectorEndpoint } from './transport.js';

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

/** The small JSON calls of the sensor API: heartbeat and config pull. */
export class CollectorClient {
  readonly #endpoint: CollectorEndpoint;

  constructor(endpoint: CollectorEndpoint) {
    this.#endpoint = endpoint;
  }

  async #call(path: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.#endpoint.url), {
        ...init,
        headers: { authorization: `Bearer ${this.#endpoint.key}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(this.#endpoint.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new CollectorApiError('unreachable', `collector unreachable: ${describe(error)}`);
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new CollectorApiError(
        'unauthorized',
        `sensor key refused (HTTP ${response.status})`,
        response.status,
      );
    }
    if (!response.ok)
      throw new CollectorApiError('http', `HTTP ${response.status}: ${text.slice(0, 200)}`, response.status);
    try {
      return JSON.parse(text);
    } catch {
      throw new CollectorApiError('bad-response', `not JSON: ${text.slice(0, 200)}`, response.status);
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
}
