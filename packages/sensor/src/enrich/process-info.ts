import { readFileSync } from 'node:fs';
import type { WireProcessInfo as ProcessInfo } from '@peregrine/protocol';
import type { RawEvent } from '../capture/bpftrace-records.js';
import { containerFromCgroup } from './cgroup.js';
import type { ProcEntry, ProcessTable } from './process-table.js';
import type { UserDb } from './user-db.js';

/** How long a built ProcessInfo is reused for further events of the same thread. */
const INFO_TTL_MS = 1000;
/** Threads of one process whose ProcessInfo is kept at once (a process with more starts over). */
const MAX_THREADS_CACHED = 256;

/** A built ProcessInfo of one thread. */
interface CachedInfo {
  info: ProcessInfo;
  /** When it was built: the event's monotonic time, in ms. */
  at: number;
  entry: ProcEntry;
  tid: number;
}

/** What the enricher reads of an event's thread (a RawEvent or an OpenRecord). */
export type ThreadFacts = Pick<RawEvent, 'pid' | 'ppid' | 'tid' | 'euid' | 'egid' | 'comm'>;

/** Where a process's user and group names are looked up: its container's root, or the host's. */
interface UserRoot {
  key: string;
  root: string;
  otherRoot?: () => string | undefined;
}

/**
 * The process side of an event: finds the thread's process entry (remembering processes gone
 * from /proc before they were read) and builds the ProcessInfo events carry, with ancestors,
 * user, group and login names looked up in the process's own filesystem root.
 */
export class ProcessInfoBuilder {
  readonly #processes: ProcessTable;
  readonly #users: UserDb;
  readonly #procRoot: string;
  readonly #maxAncestors: number;
  /** Per process, per thread: the shipper writes each distinct object once per batch. */
  readonly #infoCache = new WeakMap<ProcEntry, Map<number, CachedInfo>>();
  /** The last thread's entry in #infoCache. */
  #last: CachedInfo | undefined = undefined;

  constructor(processes: ProcessTable, users: UserDb, procRoot: string, maxAncestors: number) {
    this.#processes = processes;
    this.#users = users;
    this.#procRoot = procRoot;
    this.#maxAncestors = maxAncestors;
  }

  /** The process entry of an event's thread (from the table, /proc, or its parent's image). */
  entryFor(raw: ThreadFacts): ProcEntry {
    const cached = this.#processes.cached(raw.pid);
    if (cached) {
      // setuid and friends change credentials under the same image; the event carries the new ones.
      if (cached.uid !== raw.euid || cached.gid !== raw.egid) {
        cached.uid = raw.euid;
        cached.gid = raw.egid;
        this.forget(cached);
      }
      return cached;
    }
    const live = this.#processes.readLive(raw.pid);
    if (live) {
      // Events are enriched after the fact: a forked child's event from before its exec, read
      // after it, would get the new image from /proc. Its main thread's comm tells: when /proc
      // shows another one and the parent has the event's, the event's image is the parent's (the
      // exec event brings the new one, so this one is not cached). Other threads name themselves.
      if (raw.tid === raw.pid && live.name !== raw.comm) {
        const parent = this.#processes.get(raw.ppid);
        if (parent?.name === raw.comm)
          return { ...parent, pid: raw.pid, ppid: raw.ppid, uid: raw.euid, gid: raw.egid };
      }
      this.#processes.remember(live);
      return live;
    }
    // Gone from /proc before we looked: a forked child that never exec'd is its parent's image.
    const parent = this.#processes.get(raw.ppid);
    const entry: ProcEntry =
      parent && parent.name === raw.comm
        ? { ...parent, pid: raw.pid, ppid: raw.ppid, uid: raw.euid, gid: raw.egid }
        : {
            pid: raw.pid,
            ppid: raw.ppid,
            name: raw.comm,
            args: [],
            tty: 0,
            uid: raw.euid,
            gid: raw.egid,
            loginuid: -1,
          };
    if (!parent || parent.name !== raw.comm) {
      if (parent?.cwd) entry.cwd = parent.cwd;
      if (parent?.container !== undefined) entry.container = parent.container;
    }
    // Remember it: the next events of this process must not go to /proc again (it is gone).
    this.#processes.remember(entry);
    return entry;
  }

  /**
   * The event's process. Events of one thread share one ProcessInfo object (rebuilt at most every
   * INFO_TTL_MS, when the thread renames itself, or when the entry changes), which saves the
   * allocations and lets the shipper write it once per batch instead of once per event. Threads
   * of a process are cached apart, so a process whose threads take turns does not rebuild it.
   * `atMs` is the event's monotonic time in ms (no clock read per event).
   */
  info(entry: ProcEntry, raw: ThreadFacts, atMs: number): ProcessInfo {
    // Consecutive events mostly come from one thread: its entry is checked before the maps.
    let cached = this.#last;
    if (cached === undefined || cached.entry !== entry || cached.tid !== raw.tid) {
      cached = this.#threadsOf(entry).get(raw.tid);
      if (cached !== undefined) this.#last = cached;
    }
    // Times are the events' own (monotonic): out of order by a little, they still count as fresh.
    if (cached !== undefined && atMs - cached.at < INFO_TTL_MS && cached.info.name === raw.comm) {
      return cached.info;
    }
    const info = this.#buildInfo(entry, raw);
    const threads = this.#threadsOf(entry);
    if (threads.size >= MAX_THREADS_CACHED) threads.clear();
    const fresh: CachedInfo = { info, at: atMs, entry, tid: raw.tid };
    threads.set(raw.tid, fresh);
    this.#last = fresh;
    return info;
  }

  /** Drops the process's built ProcessInfo objects: its next event builds them again. */
  forget(entry: ProcEntry): void {
    this.#infoCache.delete(entry);
    if (this.#last?.entry === entry) this.#last = undefined;
  }

  /** The process's cached ProcessInfo per thread (made empty at its first event). */
  #threadsOf(entry: ProcEntry): Map<number, CachedInfo> {
    let threads = this.#infoCache.get(entry);
    if (threads === undefined) {
      threads = new Map();
      this.#infoCache.set(entry, threads);
    }
    return threads;
  }

  /** A uid argument as Falco renders it: the user's name in the process's root, else the number. */
  userArg(entry: ProcEntry, uid: number): string {
    const { key, root, otherRoot } = this.#root(entry);
    return uid === -1 ? '-1' : (this.#users.userName(uid, root, key, otherRoot) ?? String(uid));
  }

  /** A gid argument as Falco renders it: the group's name in the process's root, else the number. */
  groupArg(entry: ProcEntry, gid: number): string {
    const { key, root, otherRoot } = this.#root(entry);
    return gid === -1 ? '-1' : (this.#users.groupName(gid, root, key, otherRoot) ?? String(gid));
  }

  #root(entry: ProcEntry): UserRoot {
    const container = entry.container;
    if (!container) return { key: '', root: '' };
    return {
      key: container.id,
      root: `${this.#procRoot}/${entry.pid}/root`,
      // A process gone before its container's files were read (`cat` run by a shell in the
      // container): its parent still in the same container has the same root.
      otherRoot: () => {
        try {
          const text = readFileSync(`${this.#procRoot}/${entry.ppid}/cgroup`, 'utf8');
          if (containerFromCgroup(text)?.id === container.id) return `${this.#procRoot}/${entry.ppid}/root`;
        } catch {
          // the parent is gone too
        }
        return undefined;
      },
    };
  }

  #buildInfo(entry: ProcEntry, raw: ThreadFacts): ProcessInfo {
    const { key, root, otherRoot } = this.#root(entry);
    const info = this.#toInfo(entry, key, root, otherRoot);
    info.tid = raw.tid;
    // comm is per thread (workers rename themselves); the event's own comm is the truth.
    info.name = raw.comm;
    const ancestors = this.#processes.ancestors(entry, this.#maxAncestors);
    info.ancestors = ancestors.map((a, level) => {
      const ancestor: ProcessInfo = { pid: a.pid, name: a.name };
      if (a.ppid) ancestor.ppid = a.ppid;
      if (a.exe !== undefined) ancestor.exe = a.exe;
      if (a.exepath !== undefined) ancestor.exepath = a.exepath;
      // proc.pcmdline needs the parent's arguments; deeper levels only need names and paths.
      if (level === 0) ancestor.args = a.args;
      return ancestor;
    });
    const sessionLeader = entry.sid ? this.#processes.get(entry.sid) : undefined;
    if (sessionLeader) info.sname = sessionLeader.name;
    return info;
  }

  #toInfo(entry: ProcEntry, key: string, root: string, otherRoot?: () => string | undefined): ProcessInfo {
    const info: ProcessInfo = {
      pid: entry.pid,
      ppid: entry.ppid,
      name: entry.name,
      args: entry.args,
      tty: entry.tty,
    };
    if (entry.exe !== undefined) info.exe = entry.exe;
    if (entry.exepath !== undefined) info.exepath = entry.exepath;
    // The kernel's word at exec when there is one: /proc/PID/exe (`/memfd:<name> (deleted)`) is gone
    // with a process that exits at once.
    if (entry.exeFromMemfd !== undefined) info.isExeFromMemfd = entry.exeFromMemfd;
    else if (entry.exepath !== undefined) info.isExeFromMemfd = entry.exepath.startsWith('/memfd:');
    if (entry.exeUpperLayer !== undefined) info.isExeUpperLayer = entry.exeUpperLayer;
    if (entry.env !== undefined) info.env = entry.env;
    if (entry.cwd !== undefined) info.cwd = entry.cwd;
    if (entry.sid !== undefined) info.sid = entry.sid;
    if (entry.pgid !== undefined) info.pgid = entry.pgid;
    if (entry.vpid !== undefined) info.vpid = entry.vpid;
    if (entry.vpgid !== undefined) info.vpgid = entry.vpgid;
    if (entry.startTs !== undefined) info.startTs = entry.startTs;
    if (entry.capEffective !== undefined) info.capEffective = entry.capEffective;
    if (entry.capPermitted !== undefined) info.capPermitted = entry.capPermitted;
    // Almost always empty; omitted then (the field reads as missing rather than "").
    if (entry.capInheritable) info.capInheritable = entry.capInheritable;
    info.uid = entry.uid;
    info.gid = entry.gid;
    const user = this.#users.userName(entry.uid, root, key, otherRoot);
    const group = this.#users.groupName(entry.gid, root, key, otherRoot);
    if (user !== undefined) info.user = user;
    if (group !== undefined) info.group = group;
    info.loginuid = entry.loginuid;
    if (entry.loginuid >= 0) {
      const loginname = this.#users.userName(entry.loginuid, root, key, otherRoot);
      if (loginname !== undefined) info.loginname = loginname;
    }
    return info;
  }
}
