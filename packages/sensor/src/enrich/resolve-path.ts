import { readlinkSync } from 'node:fs';
import { normalizePath } from '@peregrine/engine';
import type { ProcEntry } from './process-table.js';

/** The dirfd value meaning "relative to the working directory" (AT_FDCWD). */
export const AT_FDCWD = -100;

/**
 * Absolute path of a path argument, relative to dirfd or the process's cwd (Falco's fd.name);
 * undefined when the base is unknown (the process or its fd is gone).
 */
export function resolvePath(
  procRoot: string,
  entry: ProcEntry,
  path: string,
  dirfd = AT_FDCWD,
): string | undefined {
  if (path.startsWith('/')) return normalizePath(path);
  let base: string | undefined;
  if (dirfd === AT_FDCWD) base = entry.cwd;
  else {
    try {
      base = `${readlinkSync(`${procRoot}/${entry.pid}/fd/${dirfd}`)}/`;
    } catch {
      base = undefined;
    }
  }
  return base ? normalizePath(base + path) : undefined;
}
