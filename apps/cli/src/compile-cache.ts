/**
 * The engine's compile cache for the CLI (rules/compile-cache.ts in the engine): compiled rules
 * kept in a folder between runs, so a replay (and each of its worker threads) or a validation of
 * unchanged rules skips most of the compile. Bad entries and failed writes are misses, told on
 * stderr; the result is always the compile's.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { type CompileCache, ENGINE_BUILD_ID, folderCompileCache } from '@peregrine/engine';

/** The cache in `dir` (CliEnv.compileCacheDir); undefined when off or the engine is not a build. */
export function cliCompileCache(
  dir: string | undefined,
  warn: (line: string) => void,
): CompileCache | undefined {
  if (dir === undefined || ENGINE_BUILD_ID === undefined) return undefined;
  return folderCompileCache({
    dir,
    codeVersion: ENGINE_BUILD_ID,
    fs,
    hash: (text) => createHash('sha256').update(text).digest('hex'),
    log: (message) => warn(`peregrine: ${message}\n`),
  });
}
