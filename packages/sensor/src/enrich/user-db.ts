import { existsSync, readFileSync, statSync } from 'node:fs';
import { LruCache } from './lru-cache.js';

interface NameTable {
  users: Map<number, string>;
  groups: Map<number, string>;
  mtimeMs: number;
  checkedAt: number;
}

/** No names (a root that is gone and a container never read before). */
const EMPTY_TABLE: NameTable = { users: new Map(), groups: new Map(), mtimeMs: -1, checkedAt: 0 };

/** Parses `name:x:id:...` lines of /etc/passwd or /etc/group into id -> name (first name wins). */
export function parseIdFile(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const fields = line.split(':');
    const id = Number(fields[2]);
    if (fields[0] && Number.isInteger(id) && !names.has(id)) names.set(id, fields[0]);
  }
  return names;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * User and group names by id, per filesystem root: host processes resolve through /etc, container
 * processes through their own /etc under /proc/PID/root (as Falco's user.name is container-aware).
 * Tables are re-read when /etc/passwd's mtime changes (checked at most every `recheckMs`); the
 * number of roots kept is bounded.
 */
export class UserDb {
  readonly #tables: LruCache<string, NameTable>;
  readonly #recheckMs: number;

  constructor(options: { maxRoots?: number; recheckMs?: number } = {}) {
    this.#tables = new LruCache(options.maxRoots ?? 64);
    this.#recheckMs = options.recheckMs ?? 5000;
  }

  #table(root: string, key: string, otherRoot?: () => string | undefined): NameTable {
    const now = Date.now();
    const cached = this.#tables.get(key);
    if (cached && now - cached.checkedAt < this.#recheckMs) return cached;
    let mtimeMs = -1;
    try {
      mtimeMs = statSync(`${root}/etc/passwd`).mtimeMs;
    } catch {
      // A root that is gone (/proc/PID/root of an exited process) says nothing about the
      // container's files: keep what was read through another of its processes, or read them
      // through another live process of the same container, else cache nothing.
      if (root !== '' && !existsSync(root)) {
        if (cached) return cached;
        const other = otherRoot?.();
        return other !== undefined && other !== root && existsSync(other)
          ? this.#table(other, key)
          : EMPTY_TABLE;
      }
      // No passwd under this root (distroless images): names stay unknown.
    }
    if (cached && cached.mtimeMs === mtimeMs) {
      cached.checkedAt = now;
      return cached;
    }
    const table: NameTable = {
      users: parseIdFile(readText(`${root}/etc/passwd`)),
      groups: parseIdFile(readText(`${root}/etc/group`)),
      mtimeMs,
      checkedAt: now,
    };
    this.#tables.set(key, table);
    return table;
  }

  /**
   * The user name of `uid` under `root` ('' = the host), cached under `key` (a container id).
   * `otherRoot` names another root of the same container, asked only when `root` is gone and
   * nothing is cached yet (a short-lived first process of a container).
   */
  userName(uid: number, root = '', key = root, otherRoot?: () => string | undefined): string | undefined {
    return this.#table(root, key, otherRoot).users.get(uid);
  }

  /** The group name of `gid` under `root`, cached under `key` (`otherRoot` as for userName). */
  groupName(gid: number, root = '', key = root, otherRoot?: () => string | undefined): string | undefined {
    return this.#table(root, key, otherRoot).groups.get(gid);
  }
}
