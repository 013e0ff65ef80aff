/**
 * A replay worker thread: compiles the replay's rules once, then replays each chunk it is sent,
 * numbering its events from the base the main thread gives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replayChunk } from './replay-chunk.js';
import type { ToMain, ToWorker } from './replay-parallel.js';
import { chunkContext, loadReplayRules, type ReplaySetup } from './replay-rules.js';

const setup = workerData as ReplaySetup;
const { ruleset } = loadReplayRules(setup);
const ctx = chunkContext(setup);
const port = parentPort!;
port.postMessage({ t: 'ready' } satisfies ToMain);
port.on('message', (m: ToWorker) => {
  const result = replayChunk(m.bytes, m.base, ctx, ruleset, setup.json);
  port.postMessage({ t: 'done', id: m.id, result } satisfies ToMain);
});
