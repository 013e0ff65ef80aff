/**
 * Replays chunks of event lines on worker threads, with exactly the output of the single-threaded
 * replay. A chunk's first event number depends on every chunk before it (blank and malformed
 * lines hold no event, an EventList line holds several), which is only known once they are
 * parsed; so each chunk is sent with a guessed base (the events of the chunks before it where
 * known, their line counts where not) and replayed at once. Results are taken in chunk order; a
 * chunk whose guess turns out wrong is replayed again with the right base before it is taken.
 * Where every line is one event (the usual file) no chunk is replayed twice; each irregular
 * chunk costs at most the chunks in flight behind it. At most `3 x threads` chunks are in
 * flight, so memory stays bounded.
 */
import { Worker } from 'node:worker_threads';
import type { ChunkResult } from './replay-chunk.js';
import type { ReplaySetup } from './replay-rules.js';

export type ToWorker = { id: number; bytes: Uint8Array; base: number };
export type ToMain = { t: 'ready' } | { t: 'done'; id: number; result: ChunkResult };

const WORKER_URL = new URL('./replay-worker.js', import.meta.url);

/** Lines in a chunk as the replay counts them: newlines, plus a final line without one. */
function lineCount(bytes: Uint8Array): number {
  let n = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
}

interface InFlight {
  bytes: Uint8Array;
  /** Events it holds: its line count until a result says. */
  events: number;
  /** The worker it was last sent to. */
  worker: number;
  result?: ChunkResult | undefined;
}

/**
 * Worker threads that compile the replay's rules as soon as they are made, so the main thread
 * can go on replaying the first chunks itself until they are `ready`.
 */
export class ReplayWorkers {
  readonly #workers: Worker[];
  #ready = 0;
  #failure: Error | undefined;
  #onDone: (id: number, r: ChunkResult) => void = () => {};
  #wake: (() => void) | undefined;
  /** Chunks replayed a second time because their guessed base was wrong. */
  redone = 0;

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
        else this.#onDone(m.id, m.result);
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
    const inFlight = new Map<number, InFlight>();
    let before = eventsBefore; // events before the first chunk not yet taken: exact
    let nextToTake = 0;
    let dispatched = 0;
    // Bytes each worker has been sent and not yet answered: a chunk goes to the least loaded.
    const load = workers.map(() => 0);
    const send = (id: number, base: number) => {
      const c = inFlight.get(id)!;
      let w = 0;
      for (let i = 1; i < workers.length; i++) if (load[i]! < load[w]!) w = i;
      c.worker = w;
      load[w]! += c.bytes.length;
      const msg: ToWorker = { id, bytes: c.bytes, base };
      workers[w]!.postMessage(msg);
    };
    this.#onDone = (id, result) => {
      const c = inFlight.get(id);
      if (!c) return;
      load[c.worker]! -= c.bytes.length;
      c.result = result;
      c.events = result.events;
      for (;;) {
        const head = inFlight.get(nextToTake);
        if (!head?.result) break;
        if (head.result.base !== before) {
          // Guessed wrong: replay it again, now that every chunk before it is known.
          head.result = undefined;
          this.redone++;
          send(nextToTake, before);
          break;
        }
        inFlight.delete(nextToTake);
        nextToTake++;
        before += head.events;
        try {
          onResult(head.result);
        } catch (e) {
          this.#failure ??= e as Error;
        }
      }
      this.#notify();
    };
    const settled = () => new Promise<void>((resolve) => (this.#wake = resolve));
    const limit = 3 * workers.length;
    for await (const chunk of chunks) {
      // Kept until taken (a chunk may be replayed again): the chunk's buffer is the reader's.
      const bytes = new Uint8Array(chunk);
      while (!this.#failure && dispatched - nextToTake >= limit) await settled();
      if (this.#failure) break;
      const id = dispatched++;
      let base = before;
      for (let j = nextToTake; j < id; j++) base += inFlight.get(j)!.events;
      inFlight.set(id, { bytes, events: lineCount(bytes), worker: 0 });
      send(id, base);
    }
    while (!this.#failure && nextToTake < dispatched) await settled();
    if (this.#failure) throw this.#failure;
  }

  async close(): Promise<void> {
    for (const w of this.#workers) w.removeAllListeners('exit');
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
