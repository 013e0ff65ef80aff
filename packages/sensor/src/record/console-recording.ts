import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SENSOR_RECORDING_CHUNK_BYTES,
  type SensorRecordingOrder,
  type SensorRecordingProgress,
} from '@peregrine/protocol';
import type { Logger } from '../logger.js';
import type { EventRecorder } from '../sensor.js';
import { CollectorApiError, type CollectorClient } from '../ship/collector-client.js';
import { CaptureFile } from './capture-file.js';

/** Where a recording's events come from: the running sensor, which records while it ships. */
export interface RecordingHost {
  /** Starts giving every captured event to `recorder` (every event type, shipping untouched). */
  attachRecorder(recorder: EventRecorder): Promise<void>;
  /** Stops doing so (the recording-only capture stops when no recorder is left). */
  detachRecorder(recorder: EventRecorder): Promise<void>;
}

/** Options of the console's recordings on one sensor. */
export interface ConsoleRecordingsOptions {
  client: Pick<CollectorClient, 'uploadRecordingChunk' | 'completeRecording' | 'failRecording'>;
  host: RecordingHost;
  /** Directory for the file while it is recorded and uploaded (removed after). */
  dir: string;
  log: Logger;
  /** Attempts per upload call when the collector is unreachable or busy (default 6). */
  attempts?: number;
  /** First backoff between attempts, doubled each time (default 1 s). */
  backoffMs?: number;
}

interface Current {
  order: SensorRecordingOrder;
  state: 'recording' | 'uploading';
  file?: CaptureFile;
  /** Ends the recording now; `why` set = abandon it (the sensor is stopping). */
  end: (why?: string) => void;
  done: Promise<void>;
}

/** Failures worth another attempt: the collector away, busy, or failing on its side. */
function retryable(error: unknown): boolean {
  if (!(error instanceof CollectorApiError)) return false;
  return error.code === 'unreachable' || error.status === 429 || error.status >= 500;
}

/**
 * Recordings the console asks for (docs/SCAP.md): on an order from the heartbeat answer, a
 * second capture file is attached to the running sensor for the order's seconds (or until its
 * byte bound), then the gzip file is uploaded in chunks with its SHA-256 and removed. One at a
 * time; anything that goes wrong is reported to the collector as the recording's failure.
 */
export class ConsoleRecordings {
  readonly #options: ConsoleRecordingsOptions;
  #current: Current | undefined;

  constructor(options: ConsoleRecordingsOptions) {
    this.#options = options;
    // A file left by a sensor that died mid-recording is of no use (the collector failed it).
    rmSync(options.dir, { recursive: true, force: true });
  }

  /** The recording in progress, for the heartbeat. */
  get progress(): SensorRecordingProgress | undefined {
    const current = this.#current;
    if (!current) return undefined;
    return {
      id: current.order.id,
      state: current.state,
      events: current.file?.events ?? 0,
      bytes: current.file?.bytes ?? 0,
    };
  }

  /** Starts an order (ignored when one is running: the collector hands out one at a time). */
  start(order: SensorRecordingOrder): void {
    if (this.#current) {
      if (this.#current.order.id !== order.id)
        this.#options.log.warn(
          `recording ${order.id} asked for while ${this.#current.order.id} runs: ignored`,
        );
      return;
    }
    let end: (why?: string) => void = () => {};
    let abandoned: string | undefined;
    const ended = new Promise<void>((resolve) => {
      end = (why) => {
        abandoned ??= why;
        resolve();
      };
    });
    const current: Current = { order, state: 'recording', end, done: Promise.resolve() };
    this.#current = current;
    current.done = this.#run(current, ended, () => abandoned).finally(() => {
      this.#current = undefined;
    });
  }

  /** Abandons the recording in progress (the sensor is stopping) and reports it failed. */
  async abort(why: string): Promise<void> {
    const current = this.#current;
    if (!current) return;
    current.end(why);
    await current.done;
  }

  async #run(current: Current, ended: Promise<void>, abandoned: () => string | undefined): Promise<void> {
    const { order } = current;
    const { log, host, client } = this.#options;
    const path = join(this.#options.dir, `${order.id}.scap.gz`);
    let note: string | undefined;
    try {
      mkdirSync(this.#options.dir, { recursive: true, mode: 0o700 });
      const file = await CaptureFile.open({
        path,
        maxBytes: order.maxBytes,
        onLimit: () => {
          note = `stopped at the size bound (${order.maxBytes} bytes before gzip)`;
          current.end();
        },
      });
      current.file = file;
      log.info(`recording ${order.id}: ${order.seconds} s to ${path}, at most ${order.maxBytes} bytes`);
      let timer: NodeJS.Timeout | undefined;
      try {
        await host.attachRecorder(file);
        // The seconds count from when events flow into the file.
        timer = setTimeout(() => current.end(), order.seconds * 1000);
        timer.unref();
        await ended;
      } finally {
        clearTimeout(timer);
        await host.detachRecorder(file);
        await file.close();
      }
      const why = abandoned();
      if (why) throw new Error(why);
      current.state = 'uploading';
      const { size, sha256 } = await digest(path);
      if (size > order.maxBytes)
        throw new Error(`the file (${size} bytes) is over the bound of ${order.maxBytes} bytes`);
      await this.#upload(order.id, path, size);
      await this.#retry(() =>
        client.completeRecording(order.id, {
          bytes: size,
          sha256,
          events: file.events,
          dropped: file.dropped,
          captureBytes: file.bytes,
          ...(note ? { note } : {}),
        }),
      );
      log.info(`recording ${order.id}: uploaded ${size} bytes, ${file.events} events (SHA-256 ${sha256})`);
    } catch (error) {
      const reason = (error as Error).message;
      log.warn(`recording ${order.id} failed: ${reason}`);
      // The collector may already know (a refused upload); telling it again is harmless.
      await client.failRecording(order.id, reason).catch(() => {});
    } finally {
      rmSync(path, { force: true });
    }
  }

  async #upload(id: string, path: string, size: number): Promise<void> {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(SENSOR_RECORDING_CHUNK_BYTES, Math.max(1, size)));
      for (let offset = 0; offset < size; ) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) throw new Error(`the file ended at ${offset} of ${size} bytes`);
        const chunk = buffer.subarray(0, bytesRead);
        await this.#retry(() => this.#options.client.uploadRecordingChunk(id, offset, chunk));
        offset += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }

  async #retry(call: () => Promise<void>): Promise<void> {
    const attempts = this.#options.attempts ?? 6;
    let wait = this.#options.backoffMs ?? 1000;
    for (let n = 1; ; n++) {
      try {
        return await call();
      } catch (error) {
        if (n >= attempts || !retryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
        wait *= 2;
      }
    }
  }
}

/** Size and SHA-256 (hex) of a file, streamed. */
async function digest(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { size: (await stat(path)).size, sha256: hash.digest('hex') };
}
