/// <reference lib="webworker" />
// Runs the engine's loader off the main thread so typing never waits for a compile.
import { analyzeRules } from './analyze-rules';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = (event: MessageEvent<{ id: number; files: { name: string; content: string }[] }>) => {
  const { id, files } = event.data;
  try {
    self.postMessage({ id, analysis: analyzeRules(files) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
