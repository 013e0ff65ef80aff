/**
 * Replays chunks of event lines on worker threads, with exactly the output of the single-threaded
 * replay: each worker parses its chunks as they come and says how many events each holds; the
 * main thread then hands out each chunk's first event number in stream order (so `evt.num` is
 * Falco's, whatever lines expand into several events or are skipped) and takes the results in
 * chunk order. At most `3 x threads` chunks are in flight, so memory stays bounded.
 */
import { Worker } from 'node:worker_threads';
import type { ChunkResult } from './replay-chunk.js';
import type { ReplaySetup } from './replay-rules.js';

export type ToWorker =
  | { t: 'parse'; id: number; bytes: Uint8Array }
  | { t: 'evaluate'; id: number; base: number };
export type ToMain =
  | { t: 'ready' }
  | { t: 'parsed'; id: number; events: number }
  | { t: 'done'; id: number; result: ChunkResult };

const WORKER_URL = new URL('./replay-worker.js', import.meta.url);

/**
 * Worker threads that compile the replay's rules as soon as they are made, so the main thread
 * can go on replaying the first chunks itself until they are `ready`.
 */
export class ReplayWorkers {
  readonly #workers: Worker[];
  #ready = 0;
  #failure: Error | undefined;
  #onMessage: (m: ToMain) => void = () => {};
  #wake: (() => void) | undefined;

  constructor(setup: ReplaySetup, threads: number) {
    this.#workers = Array.from(
      { length: threads },
      () =>
        new Worker(WORKER_URL, {
          workerData: setup,
          // Every event is a short-lived object graph: a larger young generation means fewer scavenges.
          resourceLimits: { maxYoungGenerationSizeMb: 64 },
        }),
    );
    for (const w of this.#workers) {
      w.on('message', (m: ToMain) => {
        if (m.t === 'ready') this.#ready++;
        else this.#onMessage(m);
      });
      w.on('error', (e) => this.#fail(e));
      w.on('exit', (code) => this.#fail(new Error(`replay worker exited with code ${code}`)));
    }
  }

  /** Every worker has compiled the rules and nothing failed. */
  get ready(): boolean {
    return this.#ready === this.#workers.length && this.#failure === undefined;
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Replays `chunks` whose first event is the stream's event `eventsBefore + 1`. */
  async run(
    chunks: AsyncIterable<Uint8Array>,
    eventsBefore: number,
    onResult: (r: ChunkResult) => void,
  ): Promise<void> {
    const workers = this.#workers;
    const threads = workers.length;
    const counts = new Map<number, number>();
    const results = new Map<number, ChunkResult>();
    let before = eventsBefore;
    let nextToNumber = 0;
    let nextToEmit = 0;
    let dispatched = 0;
    this.#onMessage = (m) => {
      if (m.t === 'parsed') {
        counts.set(m.id, m.events);
        while (counts.has(nextToNumber)) {
          const n = counts.get(nextToNumber)!;
          counts.delete(nextToNumber);
          const msg: ToWorker = { t: 'evaluate', id: nextToNumber, base: before };
          workers[nextToNumber % threads]!.postMessage(msg);
          before += n;
          nextToNumber++;
        }
        return;
      }
      if (m.t !== 'done') return;
      results.set(m.id, m.result);
      while (results.has(nextToEmit)) {
        const r = results.get(nextToEmit)!;
        results.delete(nextToEmit);
        nextToEmit++;
        try {
          onResult(r);
        } catch (e) {
          this.#failure ??= e as Error;
        }
      }
      this.#notify();
    };
    const settled = () => new Promise<void>((resolve) => (this.#wake = resolve));
    const limit = 3 * threads;
    for await (const bytes of chunks) {
      while (!this.#failure && dispatched - nextToEmit >= limit) await settled();
      if (this.#failure) break;
      const id = dispatched++;
      const msg: ToWorker = { t: 'parse', id, bytes };
      workers[id % threads]!.postMessage(msg);
    }
    while (!this.#failure && nextToEmit < dispatched) await settled();
    if (this.#failure) throw this.#failure;
  }

  async close(): Promise<void> {
    for (const w of this.#workers) w.removeAllListeners('exit');
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
