/**
 * `node --import <this file>` with PEREGRINE_MODULE_LOG=<file>: appends the URL of every module the
 * process resolves through the ESM loader to that file, one a line, so a test can tell which
 * modules a real collector process loaded. Plain JavaScript because node loads it before any
 * TypeScript tooling; the same file is the preload (main thread) and the hooks (loader thread).
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

let logFile;

/** Loader-thread hook: receives the file from `register` below. */
export function initialize(data) {
  logFile = data.file;
}

/** Loader-thread hook: resolves as usual, then records the result. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(logFile, `${resolved.url}\n`);
  return resolved;
}

// The loader thread imports this file too (to find the hooks); only the preload registers them.
const file = process.env.PEREGRINE_MODULE_LOG;
if (isMainThread && file) register(import.meta.url, { data: { file } });
