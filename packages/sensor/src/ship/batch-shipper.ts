import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip as gzipCb } from 'node:zlib';
import { readSensorBatchV3, SENSOR_BATCH_V3_CONTENT_TYPE, type WireSyscallEvent } from '@peregrine/protocol';
import type { SensorStats } from '../sensor-stats.js';
import type { OpenEventParts } from '../enrich/open-event.js';
import {
  type BatchBuilder,
  type BatchV2Builder,
  type BatchV3Builder,
  type BatchVersion,
  createBatchBuilder,
  encodeBatchV3,
  splitBatch,
} from './batch-encoding.js';
import type { DiskSpool } from './disk-spool.js';
import { backoffDelay, DEFAULT_RETRY_POLICY } from './retrying-transport.js';
import type { EncodedBatch, EventTransport, ExportResult } from './transport.js';

const gzip = promisify(gzipCb);
/** Level 1: event JSON is repetitive enough that higher levels cost far more CPU than they save bytes. */
const GZIP_OPTIONS = { level: 1 };

export { serializeEvents } from './batch-encoding.js';

/** Tuning of the shipper. */
export interface ShipperOptions {
  sensorId: string;
  /** Events held in memory at most; more are dropped and counted (`queue`). */
  maxQueueSize: number;
  /** Events per batch; a full batch is sent at once. */
  maxBatchSize: number;
  /** A partial batch is sent after this long. */
  flushIntervalMs: number;
  /** Pause before probing an unreachable collector again grows up to this. */
  maxPauseMs?: number;
  /** Batches sent from memory at once (default 4); spooled batches are replayed one at a time. */
  maxInFlight?: number;
  /** Batch body version (default 2; the sensor uses 1 until the collector says it reads 2 or 3). */
  batchVersion?: BatchVersion;
  /** Called when a batch could not be delivered (for the log). */
  onError?: (message: string) => void;
}

/** A batch being sent straight from the queue. */
interface InFlight {
  batch: EncodedBatch;
  done: Promise<void>;
  /** The outcome, once the send is over. */
  result?: ExportResult;
  /** Written to the spool by a shutdown that could not wait for it. */
  spooled: boolean;
}

/**
 * Event shipping in OpenTelemetry's batch-processor shape: a bounded queue whose overflow is
 * counted, eager sending of full batches, an unref()'d flush timer, and an idempotent shutdown that
 * flushes within a deadline. Delivery is at-least-once: a batch that the (retrying) transport could
 * not deliver goes to the disk spool with its batchId, and while anything is spooled new batches
 * queue behind it, replayed oldest first one at a time; the collector deduplicates resends.
 * Up to `maxInFlight` batches from memory are sent at once (so a collector that takes 100 ms per
 * batch does not cap the sensor at one batch per 100 ms); they are sent in `seq` order but may be
 * acknowledged in any order, which the collector does not depend on. Batches are serialised on the
 * main thread and gzip-compressed on libuv's thread pool, while earlier batches are in flight.
 */
export class BatchShipper {
  /** The batch being filled. */
  #open: BatchBuilder | undefined;
  /** Full batches (or partial ones closed by a version change) waiting to be sent, oldest first. */
  readonly #full: BatchBuilder[] = [];
  /** Events in #open and #full: the bounded in-memory queue. */
  #queued = 0;
  readonly #transport: EventTransport;
  readonly #spool: DiskSpool;
  readonly #stats: SensorStats;
  readonly #options: Required<Omit<ShipperOptions, 'onError' | 'batchVersion'>> &
    Pick<ShipperOptions, 'onError'>;
  readonly #runId = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  #seq: number;
  #version: BatchVersion;
  #timer: NodeJS.Timeout | undefined;
  #wake: NodeJS.Timeout | undefined;
  #pump: Promise<void> | undefined;
  /** Resolves the pump's wait for "a batch is ready or a send finished". */
  #nudge: (() => void) | undefined;
  #flushRequested = false;
  #pausedUntil = 0;
  #failures = 0;
  #shutdown: Promise<void> | undefined;
  #closed = false;
  /**
   * Set when shutdown's deadline passes: the pump stops where it stands, and a batch it is
   * encoding goes to the spool instead of the network (shutdown waits for that encode), so nothing
   * is sent, nor written to the spool, after shutdown() has resolved.
   */
  #abandoned = false;
  /** The pump's encode under way, if any: the one step whose batch is in no queue, flight or spool. */
  #encoding: Promise<unknown> | undefined;
  /** Batches sent from memory and not yet settled, in `seq` order. */
  readonly #inflight: InFlight[] = [];

  constructor(transport: EventTransport, spool: DiskSpool, stats: SensorStats, options: ShipperOptions) {
    this.#transport = transport;
    this.#spool = spool;
    this.#stats = stats;
    this.#options = { maxPauseMs: 30_000, maxInFlight: 4, ...options };
    this.#version = options.batchVersion ?? 2;
    if (!Number.isInteger(options.maxQueueSize) || options.maxQueueSize < 1)
      throw new RangeError('maxQueueSize must be a positive integer');
    this.#seq = spool.maxSeq();
    this.#timer = setInterval(() => this.#requestFlush(), options.flushIntervalMs);
    // The flush timer must never be what keeps the sensor alive.
    this.#timer.unref();
    // Batches spooled by a previous run go out first.
    if (spool.count > 0) this.#kick();
  }

  /** Events waiting in memory. */
  get queueDepth(): number {
    return this.#queued;
  }

  /** Size of the on-disk spool. */
  get spool(): { bytes: number; count: number } {
    return { bytes: this.#spool.bytes, count: this.#spool.count };
  }

  /** True while the collector is considered unreachable. */
  get paused(): boolean {
    return this.#pausedUntil > Date.now();
  }

  /** Body version of the batches encoded from now on. */
  get batchVersion(): BatchVersion {
    return this.#version;
  }

  set batchVersion(version: BatchVersion) {
    this.#version = version;
  }

  /** Queues one event; false (and counted as a `queue` drop) when the queue is full or closed. */
  offer(event: WireSyscallEvent): boolean {
    const open = this.#admit();
    if (open === undefined) return false;
    open.add(event);
    this.#added(open);
    return true;
  }

  /**
   * Queues one open-family event from its parts (the sensor's fast path). Only while the batch
   * version is 2 or 3 (`batchVersion`): its rows are made without the event object.
   */
  offerOpen(parts: OpenEventParts): boolean {
    if (this.#version === 1) throw new Error('offerOpen needs batch version 2 or 3');
    const open = this.#admit();
    if (open === undefined) return false;
    (open as BatchV2Builder | BatchV3Builder).addOpen(parts);
    this.#added(open);
    return true;
  }

  /** The batch an event goes into, or undefined (a `queue` drop) when full or closed. */
  #admit(): BatchBuilder | undefined {
    if (this.#closed || this.#queued >= this.#options.maxQueueSize) {
      this.#stats.drop('queue');
      return undefined;
    }
    let open = this.#open;
    if (open === undefined || open.version !== this.#version) {
      // A version change closes the batch being filled: one body has one version.
      if (open !== undefined && open.size > 0) this.#full.push(open);
      open = createBatchBuilder(this.#version);
      this.#open = open;
    }
    return open;
  }

  /** Accounts an event added to `open`; a full batch goes to the senders. */
  #added(open: BatchBuilder): void {
    this.#queued++;
    if (open.size >= this.#options.maxBatchSize) {
      this.#full.push(open);
      this.#open = undefined;
      this.#kick();
    }
  }

  /** The oldest batch waiting (a full one, else the one being filled), out of the queue. */
  #take(): BatchBuilder | undefined {
    let batch = this.#full.shift();
    if (batch === undefined) {
      batch = this.#open;
      this.#open = undefined;
    }
    if (batch) this.#queued -= batch.size;
    return batch;
  }

  /** Sends (or spools) everything queued now; resolves when done. */
  async forceFlush(): Promise<void> {
    this.#flushRequested = true;
    this.#kick();
    while (this.#pump) await this.#pump;
  }

  /**
   * Stops accepting events and flushes within `deadlineMs`; whatever is still in memory at the
   * deadline is written to the spool, so nothing accepted is lost. Idempotent.
   */
  shutdown(deadlineMs = 5000): Promise<void> {
    this.#shutdown ??= this.#doShutdown(deadlineMs);
    return this.#shutdown;
  }

  async #doShutdown(deadlineMs: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#wake);
    let timedOut = false;
    // This timer is deliberately *not* unref()'d: the retry sleeps and flush timer are, so during
    // shutdown it is what keeps the process alive until the flush is done or the deadline passes.
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      deadlineTimer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, deadlineMs);
    });
    await Promise.race([this.forceFlush(), deadline]);
    clearTimeout(deadlineTimer);
    if (timedOut) {
      // The pump (still running: the race only stopped waiting for it) must not send or spool
      // anything after this returns; a batch it is encoding now is spooled by the pump itself.
      this.#abandoned = true;
      this.#nudge?.();
      while (this.#encoding) await this.#encoding.catch(() => {});
    }
    // Past the deadline (or with the collector away): keep the rest on disk for the next run. Batches
    // still in flight are spooled too; if they did arrive, the collector drops the resend by batchId.
    if (timedOut) {
      for (const flight of this.#inflight) {
        if (flight.result?.kind === 'success' || flight.result?.kind === 'failure') continue;
        flight.spooled = true;
        this.#spool.append(flight.batch);
      }
    }
    for (let batch = this.#take(); batch; batch = this.#take()) {
      if (batch.size > 0) this.#spool.append(await this.#encode(batch));
    }
    if (timedOut)
      this.#options.onError?.(
        `shutdown deadline of ${deadlineMs} ms reached; ${this.#spool.count} batches left in the spool`,
      );
    this.#syncSpoolDrops();
  }

  #requestFlush(): void {
    if (this.#queued === 0 && this.#spool.count === 0) return;
    this.#flushRequested = true;
    this.#kick();
  }

  #kick(): void {
    if (this.#pump) {
      this.#nudge?.();
      return;
    }
    this.#pump = this.#run().finally(() => {
      this.#pump = undefined;
    });
  }

  #ready(): boolean {
    return this.#full.length > 0 || (this.#flushRequested && this.#queued > 0);
  }

  /** Waits until a send finishes or offer()/the flush timer says a batch is ready. */
  #waitForProgress(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#nudge = resolve;
      // Finished sends wait behind an earlier one: only unfinished ones can make progress.
      for (const flight of this.#inflight) if (!flight.result) void flight.done.then(resolve);
    }).finally(() => {
      this.#nudge = undefined;
    });
  }

  /**
   * Takes the oldest batch, encodes it and hands it to `then`; past the shutdown deadline the
   * batch goes to the spool instead (see #abandoned).
   */
  async #encodeNext(then: (batch: EncodedBatch) => void): Promise<void> {
    const encoding = this.#encode(this.#take()!).then((batch) => {
      if (this.#abandoned) {
        this.#spool.append(batch);
        this.#syncSpoolDrops();
      } else then(batch);
    });
    this.#encoding = encoding;
    try {
      await encoding;
    } finally {
      this.#encoding = undefined;
    }
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#abandoned) return;
      const paused = this.paused;
      // Sends under way settle first (a failed one joins the spool), so the spool keeps seq order.
      if ((paused || this.#spool.count > 0) && this.#inflight.length > 0) {
        await this.#waitForProgress();
        continue;
      }
      // Behind spooled batches (or while the collector is away) new batches join the spool, in order.
      while (this.#ready() && (paused || this.#spool.count > 0)) {
        await this.#encodeNext((batch) => this.#spool.append(batch));
        this.#syncSpoolDrops();
        if (this.#abandoned) return;
      }
      if (paused) {
        this.#scheduleWake();
        return;
      }
      const spooled = this.#spool.peek();
      if (spooled) {
        // The spool is replayed oldest first, one batch at a time.
        const result = await this.#send(this.#spool.read(spooled));
        // Past the shutdown deadline the entry stays: a resend is dropped by its batchId.
        if (this.#abandoned) return;
        if (result.kind === 'retryable') this.#pause(result);
        else this.#spool.remove(spooled);
        continue;
      }
      if (this.#ready() && this.#inflight.length < this.#options.maxInFlight) {
        await this.#encodeNext((batch) => this.#start(batch));
        continue;
      }
      if (this.#inflight.length > 0) {
        await this.#waitForProgress();
        continue;
      }
      this.#flushRequested = false;
      return;
    }
  }

  /** Sends a batch from memory without waiting for it. */
  #start(batch: EncodedBatch): void {
    const flight: InFlight = { batch, done: Promise.resolve(), spooled: false };
    flight.done = this.#send(batch)
      .catch((error: unknown): ExportResult => ({ kind: 'retryable', error: String(error) }))
      .then((result) => {
        flight.result = result;
        this.#settle();
      });
    this.#inflight.push(flight);
  }

  /**
   * Retires finished sends in `seq` order: a batch that could not be delivered goes to the spool
   * only after every earlier batch has settled, so the spool (and its replay) keeps batch order
   * even when concurrent sends fail in another order.
   */
  #settle(): void {
    for (let head = this.#inflight[0]; head?.result; head = this.#inflight[0]) {
      this.#inflight.shift();
      if (head.result.kind === 'retryable' && !head.spooled) {
        this.#spool.append(head.batch);
        this.#syncSpoolDrops();
        this.#pause(head.result);
      }
    }
  }

  async #encode(batch: BatchBuilder): Promise<EncodedBatch> {
    const seq = ++this.#seq;
    const batchId = `${this.#options.sensorId}-${this.#runId}-${seq}`.replace(/[^A-Za-z0-9._-]/g, '_');
    const body = batch.finish({ sensorId: this.#options.sensorId, batchId, seq });
    const encoded: EncodedBatch = { batchId, seq, count: batch.size, body: await gzip(body, GZIP_OPTIONS) };
    if (batch.version === 3) encoded.contentType = batch.contentType;
    return encoded;
  }

  /** Sends one batch, splitting it when the collector says it is too large; accounts the outcome. */
  async #send(batch: EncodedBatch): Promise<ExportResult> {
    const result = await this.#transport.send(batch);
    if (result.kind === 'success') {
      this.#failures = 0;
      const rejected = result.response.rejected.length;
      // A duplicate answer means an earlier acknowledgement of this very batch was lost: the
      // collector holds the events once, so they count as shipped now.
      this.#stats.shipped += batch.count - rejected;
      if (rejected > 0) {
        this.#stats.rejected += rejected;
        this.#stats.drop('rejected', rejected);
        this.#options.onError?.(
          `collector rejected ${rejected} events of ${batch.batchId}: ${result.response.rejected[0]?.error}`,
        );
      }
      return result;
    }
    if (result.kind === 'failure' && result.code === 'too-large' && batch.count > 1) {
      return this.#split(batch);
    }
    if (result.kind === 'failure') {
      this.#stats.drop('rejected', batch.count);
      this.#options.onError?.(
        `batch ${batch.batchId} (${batch.count} events) not delivered: ${result.error}`,
      );
    }
    return result;
  }

  async #split(batch: EncodedBatch): Promise<ExportResult> {
    const halves = splitBody(batch);
    const parts = await Promise.all(
      halves.map(async ({ head, count, body }) => {
        const part: EncodedBatch = {
          batchId: head.batchId,
          seq: batch.seq,
          count,
          body: await gzip(body, GZIP_OPTIONS),
        };
        if (batch.contentType !== undefined) part.contentType = batch.contentType;
        return part;
      }),
    );
    let last: ExportResult = { kind: 'success', response: { accepted: 0, duplicate: false, rejected: [] } };
    for (const part of parts) {
      last = await this.#send(part);
      if (last.kind === 'retryable') return last;
    }
    return last;
  }

  #pause(result: Extract<ExportResult, { kind: 'retryable' }>): void {
    this.#failures++;
    const delay = Math.min(
      this.#options.maxPauseMs,
      backoffDelay(
        { ...DEFAULT_RETRY_POLICY, maxBackoffMs: this.#options.maxPauseMs },
        this.#failures,
        result.retryAfterMs,
      ),
    );
    this.#pausedUntil = Date.now() + delay;
    this.#options.onError?.(`collector unavailable (${result.error}); spooling, next attempt in ${delay} ms`);
  }

  #scheduleWake(): void {
    if (this.#closed) return;
    clearTimeout(this.#wake);
    this.#wake = setTimeout(() => this.#kick(), Math.max(0, this.#pausedUntil - Date.now()) + 1);
    this.#wake.unref();
  }

  #syncSpoolDrops(): void {
    const dropped = this.#spool.droppedEvents - this.#stats.drops.spool;
    if (dropped > 0) this.#stats.drop('spool', dropped);
  }
}

/** The two halves of a batch the collector found too large, with derived ids (either version). */
function splitBody(
  batch: EncodedBatch,
): { head: { sensorId: string; batchId: string; seq: number }; count: number; body: string | Uint8Array }[] {
  const raw = gunzipSync(batch.body);
  // Derived ids are deterministic, so a resend of the same half is still deduplicated.
  const headOf = (sensorId: string, n: number) => ({
    sensorId,
    batchId: `${batch.batchId}.${n}`,
    seq: batch.seq,
  });
  if (batch.contentType === SENSOR_BATCH_V3_CONTENT_TYPE) {
    // The sensor's own body: read back (no checks needed) and written again in two.
    const events: WireSyscallEvent[] = [];
    const read = readSensorBatchV3(raw, { proc: () => true, container: () => true }, (_index, event) => {
      if (event) events.push(event);
    });
    const half = Math.ceil(events.length / 2);
    return [events.slice(0, half), events.slice(half)].map((part, n) => {
      const head = headOf(read.sensorId, n);
      return { head, count: part.length, body: encodeBatchV3(head, part) };
    });
  }
  const body = JSON.parse(raw.toString('utf8')) as { sensorId: string; events: unknown[] };
  const half = Math.ceil(body.events.length / 2);
  const counts = [half, body.events.length - half];
  const heads = [headOf(body.sensorId, 0), headOf(body.sensorId, 1)] as const;
  const jsons = splitBatch(body, [heads[0], heads[1]]);
  return jsons.map((json, n) => ({ head: heads[n]!, count: counts[n]!, body: json }));
}
