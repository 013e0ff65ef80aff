/**
 * A replay worker thread: compiles the replay's rules once, then parses the chunks it is given
 * (answering how many events each holds) and evaluates each once the main thread sends the
 * number of events before it. Messages are handled in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { evaluateChunk, type ParsedChunk, parseChunk } from './replay-chunk.js';
import { chunkContext, loadReplayRules, type ReplaySetup } from './replay-rules.js';
import type { ToMain, ToWorker } from './replay-parallel.js';

const setup = workerData as ReplaySetup;
const { ruleset } = loadReplayRules(setup);
const ctx = chunkContext(setup);
const parsed = new Map<number, ParsedChunk>();
const port = parentPort!;
port.postMessage({ t: 'ready' } satisfies ToMain);

port.on('message', (m: ToWorker) => {
  if (m.t === 'parse') {
    const chunk = parseChunk(m.bytes, ctx);
    parsed.set(m.id, chunk);
    port.postMessage({ t: 'parsed', id: m.id, events: chunk.events.length } satisfies ToMain);
    return;
  }
  const chunk = parsed.get(m.id)!;
  parsed.delete(m.id);
  const result = evaluateChunk(chunk, m.base, ruleset, setup.json);
  port.postMessage({ t: 'done', id: m.id, result } satisfies ToMain);
});
