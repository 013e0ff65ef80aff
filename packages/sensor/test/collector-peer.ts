import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  CompactContainerSchema,
  expandSensorEventBatchV2,
  ProcessInfoSchema,
  readSensorBatchV3,
  SENSOR_API_PATHS,
  SENSOR_BATCH_V3_CONTENT_TYPE,
  SensorBatchV3Error,
  type SensorEventBatch,
  SensorEventBatchSchema,
  type SensorEventBatchV2,
  SensorEventBatchV2Schema,
  type SensorHeartbeat,
  SensorHeartbeatSchema,
  type WireSyscallEvent,
} from '@peregrine/protocol';

/** How the peer answers the next event posts. */
export type PeerFault =
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Store the batch but answer 500, as if the acknowledgement were lost on the way back. */
  | { kind: 'lose-ack' }
  /** Never answer (a hung collector). */
  | { kind: 'hang' };

/**
 * A collector for tests: a real HTTP server that implements the sensor API as
 * @peregrine/protocol defines it (auth, gzip, batch versions 1, 2 and 3, validation, 413, dedup by
 * batchId, config, heartbeat). The sensor under test talks to it over TCP exactly as it would to
 * apps/collector. `batches` holds every batch as version 1 (version-2 and -3 bodies expanded), and
 * `versions` the version of each.
 */
export class CollectorPeer {
  readonly key = 'test-sensor-key';
  readonly batches: SensorEventBatch[] = [];
  /** Body version of each batch in `batches`. */
  readonly versions: number[] = [];
  /** Event posts being handled at once, at most so far. */
  maxConcurrentPosts = 0;
  #posts = 0;
  readonly events: WireSyscallEvent[] = [];
  readonly heartbeats: SensorHeartbeat[] = [];
  readonly requests: Array<{ path: string; at: number; status: number }> = [];
  readonly faults: PeerFault[] = [];
  readonly #seen = new Set<string>();
  maxBodyBytes = 8 * 1024 * 1024;
  /** Validate each batch with the protocol schema (off in benchmarks, where the peer must stay cheap). */
  validate = true;
  /** When false, events are counted (and per-pid counted) but not kept: for long benchmarks. */
  keepEvents = true;
  /** Events received (first delivery only). */
  received = 0;
  /** Events received per process id (filled when `keepEvents` is false). */
  readonly receivedByPid = new Map<number, number>();
  /** Counts events matching `countWhere` (filled when `keepEvents` is false). */
  countWhere: ((event: WireSyscallEvent) => boolean) | undefined;
  receivedMatching = 0;
  config: {
    rulesVersion: string;
    eventTypes: string[] | null;
    ruleEventTypes?: string[];
    batchVersions?: number[];
  } = {
    rulesVersion: 'v1',
    eventTypes: null,
    batchVersions: [1, 2],
  };
  #server: Server | undefined;
  #port = 0;
  readonly #hung: ServerResponse[] = [];
  /** While true, heartbeats are recorded but not answered until `releaseHeartbeats`. */
  holdHeartbeats = false;
  readonly #heldHeartbeats: ServerResponse[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens (again, on the same port after a stop). */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and drops open connections (the collector goes away). */
  /** Answers every hung request now, with `status`. */
  releaseHung(status: number): void {
    for (const res of this.#hung.splice(0))
      this.#send(res, SENSOR_API_PATHS.events, status, { error: { code: 'fault', message: 'released' } });
  }

  /** Stops holding heartbeats and answers the held ones. */
  releaseHeartbeats(): void {
    this.holdHeartbeats = false;
    for (const res of this.#heldHeartbeats.splice(0))
      this.#send(res, SENSOR_API_PATHS.heartbeat, 200, { ok: true, rulesVersion: this.config.rulesVersion });
  }

  async stop(): Promise<void> {
    for (const res of [...this.#hung.splice(0), ...this.#heldHeartbeats.splice(0)]) res.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  #send(
    res: ServerResponse,
    path: string,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    this.requests.push({ path, at: Date.now(), status });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === SENSOR_API_PATHS.events && req.method === 'POST') {
      this.maxConcurrentPosts = Math.max(this.maxConcurrentPosts, ++this.#posts);
      // Open until answered or abandoned by the sender (a hung request counts until it times out).
      res.once('close', () => this.#posts--);
    }
    await this.#handleRequest(req, res);
  }

  /** The body as a version-1 batch, or the reason it is not a valid batch. */
  #decode(body: unknown): { batch: SensorEventBatch; version: number } | { error: string } {
    const v2 = typeof body === 'object' && body !== null && (body as { v?: unknown }).v === 2;
    if (!this.validate) {
      if (!v2) return { batch: body as SensorEventBatch, version: 1 };
      const b = body as SensorEventBatchV2;
      return { batch: { ...b, events: expandSensorEventBatchV2(b) }, version: 2 };
    }
    if (v2) {
      const parsed = SensorEventBatchV2Schema.safeParse(body);
      if (!parsed.success) return { error: parsed.error.message };
      const { v: _v, procs: _p, argNames: _a, containers: _c, hostname: _h, ...head } = parsed.data;
      return { batch: { ...head, events: expandSensorEventBatchV2(parsed.data) }, version: 2 };
    }
    const parsed = SensorEventBatchSchema.safeParse(body);
    return parsed.success ? { batch: parsed.data, version: 1 } : { error: parsed.error.message };
  }

  /** A version-3 body as a version-1 batch, or why it is not a valid batch (any bad row refuses it). */
  #decodeV3(bytes: Uint8Array): { batch: SensorEventBatch; version: number } | { error: string } {
    const events: WireSyscallEvent[] = [];
    const errors: string[] = [];
    const validate = this.validate;
    const checks = {
      proc: (p: unknown) => !validate || ProcessInfoSchema.safeParse(p).success || 'invalid process',
      container: (c: unknown) =>
        !validate || CompactContainerSchema.safeParse(c).success || 'invalid container',
    };
    try {
      const read = readSensorBatchV3(bytes, checks, (index, event, error) => {
        if (event === undefined) errors.push(`event ${index}: ${error}`);
        else events.push(event);
      });
      if (errors.length > 0) return { error: errors[0]! };
      return { batch: { sensorId: read.sensorId, batchId: read.batchId, seq: read.seq, events }, version: 3 };
    } catch (error) {
      if (error instanceof SensorBatchV3Error) return { error: error.message };
      throw error;
    }
  }

  async #handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '';
    const raw = await this.#body(req);
    if (req.headers.authorization !== `Bearer ${this.key}`) {
      this.#send(res, path, 401, { error: { code: 'unauthorized', message: 'bad sensor key' } });
      return;
    }
    if (path === SENSOR_API_PATHS.config && req.method === 'GET') {
      this.#send(res, path, 200, this.config);
      return;
    }
    if (path === SENSOR_API_PATHS.heartbeat && req.method === 'POST') {
      const parsed = SensorHeartbeatSchema.safeParse(JSON.parse(raw.toString('utf8')));
      if (!parsed.success) {
        this.#send(res, path, 400, { error: { code: 'invalid', message: parsed.error.message } });
        return;
      }
      this.heartbeats.push(parsed.data);
      if (this.holdHeartbeats) this.#heldHeartbeats.push(res);
      else this.#send(res, path, 200, { ok: true, rulesVersion: this.config.rulesVersion });
      return;
    }
    if (path !== SENSOR_API_PATHS.events || req.method !== 'POST') {
      this.#send(res, path, 404, { error: { code: 'not-found', message: path } });
      return;
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'hang') {
      this.#hung.push(res);
      return;
    }
    if (fault?.kind === 'status') {
      this.#send(
        res,
        path,
        fault.status,
        { error: { code: 'fault', message: 'injected' } },
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
      return;
    }
    if (req.headers['content-encoding'] !== 'gzip') {
      this.#send(res, path, 400, { error: { code: 'invalid', message: 'expected gzip' } });
      return;
    }
    const json = gunzipSync(raw);
    if (json.length > this.maxBodyBytes) {
      this.#send(res, path, 413, { error: { code: 'too-large', message: `${json.length} bytes` } });
      return;
    }
    const decoded =
      req.headers['content-type'] === SENSOR_BATCH_V3_CONTENT_TYPE
        ? this.#decodeV3(json)
        : this.#decode(JSON.parse(json.toString('utf8')));
    if ('error' in decoded) {
      this.#send(res, path, 400, { error: { code: 'invalid', message: decoded.error } });
      return;
    }
    const batch = decoded.batch;
    const duplicate = this.#seen.has(batch.batchId);
    if (!duplicate) {
      this.#seen.add(batch.batchId);
      this.received += batch.events.length;
      if (this.keepEvents) {
        this.batches.push(batch);
        this.versions.push(decoded.version);
        this.events.push(...batch.events);
      } else {
        for (const e of batch.events) {
          this.receivedByPid.set(e.proc.pid, (this.receivedByPid.get(e.proc.pid) ?? 0) + 1);
          if (this.countWhere?.(e)) this.receivedMatching++;
        }
      }
    }
    if (fault?.kind === 'lose-ack') {
      this.#send(res, path, 500, { error: { code: 'fault', message: 'ack lost' } });
      return;
    }
    this.#send(res, path, 200, { accepted: duplicate ? 0 : batch.events.length, duplicate, rejected: [] });
  }
}
