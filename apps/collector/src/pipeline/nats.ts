import {
  AckPolicy,
  type ConsumerMessages,
  DiscardPolicy,
  type JetStreamClient,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CollectorMetrics } from '../ops/metrics.js';
import type { BatchProcessor } from './batch-processor.js';
import { UnknownEnvironmentError } from './rules-cache.js';
import { StoreUnavailableError, type SubmitResult } from './types.js';
import { decodeWork, encodeWork, type WorkItem, withRowsBuilt } from './work.js';

export interface NatsOptions {
  url: string;
  stream: string;
  consumer: string;
  /** Messages processed at once by this process (overlaps evaluation with database round trips). */
  concurrency: number;
  log: FastifyBaseLogger;
  metrics: CollectorMetrics;
}

/**
 * JetStream transport for scale-out. Ingest publishes each work item (gzip JSON) to a work-queue
 * stream and answers once JetStream has stored it; every collector process pulls from one durable
 * consumer and acknowledges a message only after its alerts are committed. A process dying
 * mid-batch leaves the message unacknowledged: it is redelivered, and the database's unique keys
 * (sensor batch id, event identity per rule) keep the alerts stored exactly once.
 */
export class NatsWorkQueue {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private messages: ConsumerMessages | undefined;
  private running = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private maxPayload = 1024 * 1024;
  private depthTimer: NodeJS.Timeout | undefined;

  /** Subjects are per stream, so several deployments (or test runs) can share one NATS server. */
  private readonly subjectPrefix: string;

  constructor(private readonly options: NatsOptions) {
    this.subjectPrefix = `peregrine.${options.stream}`;
  }

  async connect(): Promise<void> {
    const { url, stream, consumer } = this.options;
    this.nc = await connect({ servers: url, name: 'peregrine-collector', maxReconnectAttempts: -1 });
    this.maxPayload = this.nc.info?.max_payload ?? this.maxPayload;
    const jsm = await jetstreamManager(this.nc);
    const config = {
      name: stream,
      subjects: [`${this.subjectPrefix}.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_bytes: 1024 * 1024 * 1024,
      // Re-sent sensor batches within this window are dropped by JetStream itself (msg id).
      duplicate_window: nanos(2 * 60 * 1000),
    };
    try {
      await jsm.streams.info(stream);
    } catch {
      try {
        await jsm.streams.add(config);
      } catch (err) {
        // Another collector created it between our two calls.
        if (!/already in use|exists/i.test((err as Error).message)) throw err;
      }
    }
    try {
      await jsm.consumers.info(stream, consumer);
    } catch {
      try {
        await jsm.consumers.add(stream, {
          durable_name: consumer,
          ack_policy: AckPolicy.Explicit,
          ack_wait: nanos(30_000),
          max_ack_pending: 1024,
        });
      } catch (err) {
        if (!/already in use|exists/i.test((err as Error).message)) throw err;
      }
    }
    this.js = jetstream(this.nc);
    this.depthTimer = setInterval(() => {
      jsm.consumers
        .info(stream, consumer)
        .then((info) => this.options.metrics.workQueueDepth.set(info.num_pending + info.num_ack_pending))
        .catch(() => {
          // NATS unreachable for a moment: the gauge keeps its last value.
        });
    }, 5000);
    this.depthTimer.unref();
  }

  /** Publishes a work item; resolves once JetStream has it on disk. */
  async publish(item: WorkItem): Promise<SubmitResult> {
    const js = this.js;
    if (!js) throw new Error('NATS work queue is not connected');
    const parts = this.split(withRowsBuilt(item));
    let duplicates = 0;
    let accepted = 0;
    for (const part of parts) {
      let msgID: string | undefined;
      if (part.kind === 'events' && part.batchId !== undefined && part.origin.sensorId) {
        msgID = `${part.origin.sensorId}:${part.batchId}`;
      }
      let ack: Awaited<ReturnType<typeof js.publish>>;
      try {
        ack = await js.publish(
          `${this.subjectPrefix}.${part.origin.environmentId}`,
          gzipSync(encodeWork(part), { level: 1 }),
          msgID ? { msgID } : undefined,
        );
      } catch (err) {
        // Not on JetStream's disk: the sender must send again (503 + Retry-After).
        throw new StoreUnavailableError(err);
      }
      const n = part.kind === 'events' ? part.events.length : part.alerts.length;
      if (ack.duplicate) duplicates += n;
      else accepted += n;
    }
    return { accepted, duplicates, alerts: 0, queued: true };
  }

  /**
   * Work items larger than the server's max payload are split; split sensor batches get batch ids
   * `<batchId>/<part>/<parts>` so each part is deduplicated on its own and `isBatchSeen(batchId)`
   * still recognises the batch.
   */
  private split(item: WorkItem): WorkItem[] {
    const size = gzipSync(encodeWork(item), { level: 1 }).length;
    const n = item.kind === 'events' ? item.events.length : item.alerts.length;
    if (size <= this.maxPayload * 0.9 || n <= 1) return [item];
    const parts = Math.ceil(size / (this.maxPayload * 0.5));
    const per = Math.ceil(n / parts);
    const out: WorkItem[] = [];
    for (let p = 0; p * per < n; p++) {
      if (item.kind === 'events') {
        out.push({
          ...item,
          events: item.events.slice(p * per, (p + 1) * per),
          batchId: item.batchId === undefined ? undefined : `${item.batchId}/${p}/${parts}`,
        });
      } else {
        out.push({ ...item, alerts: item.alerts.slice(p * per, (p + 1) * per) });
      }
    }
    return out;
  }

  /** Starts pulling work and handing it to `processor`. */
  async startConsuming(processor: Pick<BatchProcessor, 'process'>): Promise<void> {
    const js = this.js;
    if (!js) throw new Error('NATS work queue is not connected');
    const consumer = await js.consumers.get(this.options.stream, this.options.consumer);
    const messages = await consumer.consume({ max_messages: this.options.concurrency * 2 });
    this.messages = messages;
    this.loop = (async () => {
      for await (const m of messages) {
        while (this.running.size >= this.options.concurrency) await Promise.race(this.running);
        const task = this.handle(processor, m).finally(() => this.running.delete(task));
        this.running.add(task);
      }
    })();
  }

  private async handle(processor: Pick<BatchProcessor, 'process'>, m: JsMsg): Promise<void> {
    let item: WorkItem;
    try {
      item = decodeWork(gunzipSync(m.data));
    } catch (err) {
      this.options.metrics.drops.inc({ reason: 'undecodable_work' });
      this.options.log.error({ err, seq: m.seq }, 'dropping an undecodable work item');
      m.term('undecodable');
      return;
    }
    try {
      await processor.process(item);
      await m.ackAck();
    } catch (err) {
      if (err instanceof UnknownEnvironmentError) {
        this.options.metrics.drops.inc({ reason: 'unknown_environment' });
        m.term('unknown environment');
        return;
      }
      this.options.log.warn(
        { err, seq: m.seq, redelivered: m.redelivered },
        'work item failed; redelivering',
      );
      m.nak(1000);
    }
  }

  /** Stops pulling, waits for the messages in hand to be committed and acknowledged. */
  async stopConsuming(): Promise<void> {
    if (this.messages) await this.messages.close();
    await this.loop;
    await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    clearInterval(this.depthTimer);
    await this.stopConsuming();
    if (this.nc) await this.nc.drain();
    this.nc = undefined;
  }
}
