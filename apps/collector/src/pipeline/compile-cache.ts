/**
 * The engine's compile cache for the collector (rules/compile-cache.ts in the engine): compiled
 * rule sets kept in a folder, so a restart (or another collector sharing the folder) compiles
 * unchanged rules from their entry. Bad entries and failed writes are misses, logged as warnings;
 * the result is always the compile's.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { type CompileCache, ENGINE_BUILD_ID, folderCompileCache } from '@peregrine/engine';

/** The cache in `dir` (COLLECTOR_COMPILE_CACHE_DIR); undefined when off or the engine is not a build. */
export function collectorCompileCache(
  dir: string,
  warn: (message: string) => void,
): CompileCache | undefined {
  if (dir === '' || dir === 'off' || ENGINE_BUILD_ID === undefined) return undefined;
  return folderCompileCache({
    dir,
    codeVersion: ENGINE_BUILD_ID,
    fs,
    hash: (text) => createHash('sha256').update(text).digest('hex'),
    log: warn,
  });
}
