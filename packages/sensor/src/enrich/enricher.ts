import { readFileSync, readlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type {
  WireContainerInfo as ContainerInfo,
  WireFdInfo as FdInfo,
  WirePodInfo as PodInfo,
  WireProcessInfo as ProcessInfo,
  WireSyscallEvent as SyscallEvent,
} from '@peregrine/protocol';
import { decodeHexEscaped, type RawEvent, splitArgv } from '../capture/bpftrace-records.js';
import type { OpenRecord } from '../capture/libbpf-records.js';
import {
  encodeTty,
  renderAtFlags,
  renderDirfd,
  renderErrnoOrNumber,
  renderFamily,
  renderModeFlags,
  renderMountFlags,
  renderOctal,
  renderOpenFlags,
  renderPtraceRequest,
  renderRenameFlags,
  renderResolveFlags,
} from '../capture/render.js';
import { type CgroupContainer, containerFromCgroup } from './cgroup.js';
import { type ContainerMeta, ContainerMetadataCache } from './container-runtime.js';
import { LruCache } from './lru-cache.js';
import { normalizePath, type ProcEntry, ProcessTable } from './process-table.js';
import { UserDb } from './user-db.js';

const NS_PER_S = 1_000_000_000;

/**
 * Converts CLOCK_MONOTONIC nanoseconds (bpftrace `nsecs`) to epoch nanoseconds (decimal text).
 * A monotonic time below 2^53 (a number) is converted with number arithmetic on seconds and
 * nanoseconds apart, exactly, without BigInt's allocations; a bigint goes through BigInt.
 */
export class MonotonicClock {
  #offset = 0n;
  /** The offset as whole seconds and the nanoseconds beyond them (0..1e9). */
  #offsetS = 0;
  #offsetNs = 0;
  #at = 0;
  /** The last whole second converted, and its text (events come a few thousand per second). */
  #lastS = -1;
  #lastSText = '';

  /** Epoch ns for a monotonic timestamp; the offset is re-measured every minute to follow NTP. */
  toEpochNs(monoNs: bigint | number): string {
    const now = Date.now();
    if (now - this.#at > 60_000) {
      const offset = BigInt(now) * 1_000_000n - process.hrtime.bigint();
      this.#offset = offset;
      this.#offsetS = Number(offset / 1_000_000_000n);
      this.#offsetNs = Number(offset % 1_000_000_000n);
      this.#at = now;
    }
    if (typeof monoNs === 'bigint') return (monoNs + this.#offset).toString();
    // monoNs < 2^53: the quotient may round up by one; the remainder, exact, says so.
    let s = Math.floor(monoNs / NS_PER_S);
    let ns = monoNs - s * NS_PER_S;
    if (ns < 0) {
      s--;
      ns += NS_PER_S;
    }
    s += this.#offsetS;
    ns += this.#offsetNs;
    if (ns >= NS_PER_S) {
      s++;
      ns -= NS_PER_S;
    }
    if (s !== this.#lastS) {
      this.#lastS = s;
      this.#lastSText = String(s);
    }
    const text = String(ns);
    return this.#lastSText + (text.length === 9 ? text : '000000000'.slice(text.length) + text);
  }
}

/** Options of the enricher; every cache bound is explicit. */
export interface EnricherOptions {
  procRoot?: string;
  hostname?: string;
  maxProcesses?: number;
  maxContainers?: number;
  /** Ancestors carried on each event (proc.aname[n] needs n levels). */
  maxAncestors?: number;
  containers?: ContainerMetadataCache;
  users?: UserDb;
  /** The monotonic-to-epoch clock (shared by enrichers that must agree, as in tests). */
  clock?: MonotonicClock;
}

/** How long a built ProcessInfo is reused for further events of the same thread. */
const INFO_TTL_MS = 1000;
/** Threads of one process whose ProcessInfo is kept at once (a process with more starts over). */
const MAX_THREADS_CACHED = 256;

/** A built ProcessInfo of one thread. */
interface CachedInfo {
  info: ProcessInfo;
  at: number;
}

/** The container and pod objects events of one container share. */
interface SharedContainer {
  from: CgroupContainer;
  meta: ContainerMeta | undefined;
  container: ContainerInfo;
  k8s: PodInfo | undefined;
}

/** What the enricher reads of an event's thread (a RawEvent or an OpenRecord). */
type ThreadFacts = Pick<RawEvent, 'pid' | 'ppid' | 'tid' | 'euid' | 'egid' | 'comm'>;

/** Argument names of the open family, as Falco names them. */
const OPEN_NAMES = ['fd', 'name', 'flags', 'mode'] as const;
const OPENAT_NAMES = ['fd', 'dirfd', 'name', 'flags', 'mode'] as const;
const OPENAT2_NAMES = ['fd', 'dirfd', 'name', 'flags', 'mode', 'resolve'] as const;

/**
 * An open-family event in the parts a version-2 batch row is made of: what `enrich` would put in
 * the event's args and fd, without the event object. One object is reused for every event (the
 * row keeps `values`, a new array each time, and the shared process and container objects).
 */
export class OpenEventParts {
  type = '';
  ts = '';
  num = 0;
  cpu = 0;
  res = 0;
  proc: ProcessInfo = { pid: 0, name: '' };
  /** Argument names (one shared list per type) and values (the event's own array). */
  names: readonly string[] = OPEN_NAMES;
  values: string[] = [];
  fdNum = 0;
  fdType: 'file' | 'directory' = 'file';
  fdName = '';
  fdNameraw = '';
  fdFlags = '';
  fdMode = '';
  container: ContainerInfo | undefined = undefined;
  k8s: PodInfo | undefined = undefined;
  hostname = '';
}

const FILE_PATH_ARG: Record<string, string> = {
  unlink: 'path',
  unlinkat: 'name',
  chmod: 'filename',
  fchmodat: 'filename',
  chown: 'path',
  lchown: 'path',
  fchownat: 'pathname',
};

/**
 * Turns raw captured syscalls into Falco-model events: renders `evt.arg.*`, builds the fd, and
 * attaches the process (with ancestors), user and group names, container and pod metadata.
 */
export class Enricher {
  readonly processes: ProcessTable;
  readonly containers: ContainerMetadataCache;
  readonly users: UserDb;
  readonly #clock: MonotonicClock;
  readonly #hostname: string;
  readonly #maxAncestors: number;
  readonly #procRoot: string;
  /** Per process, per thread: the shipper writes each distinct object once per batch. */
  readonly #infoCache = new WeakMap<ProcEntry, Map<number, CachedInfo>>();
  readonly #containerObjects: LruCache<string, SharedContainer>;
  #num = 0;
  /** Scratch parts of the open family for `enrich` (which copies them into the event). */
  readonly #openScratch = new OpenEventParts();

  constructor(options: EnricherOptions = {}) {
    this.#procRoot = options.procRoot ?? '/proc';
    this.processes = new ProcessTable({
      maxEntries: options.maxProcesses ?? 16_384,
      procRoot: this.#procRoot,
    });
    this.containers =
      options.containers ?? new ContainerMetadataCache({ maxEntries: options.maxContainers ?? 1024 });
    this.users = options.users ?? new UserDb();
    this.#hostname = options.hostname ?? osHostname();
    this.#maxAncestors = options.maxAncestors ?? 8;
    this.#clock = options.clock ?? new MonotonicClock();
    this.#containerObjects = new LruCache(options.maxContainers ?? 1024);
  }

  /** The host name events carry. */
  get hostname(): string {
    return this.#hostname;
  }

  /** Epoch ns for a raw event's monotonic time. */
  epochNs(monoNs: bigint | number): string {
    return this.#clock.toEpochNs(monoNs);
  }

  /** Builds the shipped event for one raw event. */
  enrich(raw: RawEvent): SyscallEvent {
    const ts = raw.type === 'procfs-exec' ? String(raw.ints.ts ?? '0') : this.#clock.toEpochNs(raw.monoNs);
    const isExec = raw.type === 'execve' || raw.type === 'execveat' || raw.type === 'procfs-exec';
    let entry: ProcEntry | undefined;
    if (isExec && raw.ret === 0) {
      const argv = raw.argv ?? (raw.strs.argv ? splitArgv(decodeHexEscaped(raw.strs.argv)) : []);
      const facts = {
        pid: raw.pid,
        ppid: raw.ppid,
        comm: raw.comm,
        filename: raw.strs.filename ?? argv[0] ?? '',
        argv,
        argvTruncated: raw.argvTruncated ?? Number(raw.ints.argLen ?? 0) >= 200,
        uid: raw.euid,
        gid: raw.egid,
        ts,
        ...(raw.ints.ttyMajor !== undefined
          ? {
              tty: encodeTty(Number(raw.ints.ttyMajor), Number(raw.ints.ttyMinor), Number(raw.ints.ttyIndex)),
            }
          : {}),
        ...(raw.ints.loginuid !== undefined ? { loginuid: Number(raw.ints.loginuid) } : {}),
        ...(raw.strs.cgroup !== undefined ? { cgroup: raw.strs.cgroup } : {}),
      };
      entry = this.processes.onExec(facts);
    } else {
      entry = this.#entryFor(raw);
    }
    const proc = this.#processInfo(entry, raw);
    const type = raw.type === 'procfs-exec' ? 'execve' : raw.type;
    const event: SyscallEvent = {
      source: 'syscall',
      num: ++this.#num,
      ts,
      type,
      dir: '<',
      args: [],
      cpu: raw.cpu,
      hostname: this.#hostname,
      proc,
    };
    if (raw.type !== 'procexit') event.res = raw.ret;
    this.#build(event, raw, entry);
    const container = entry.container;
    if (container) {
      const shared = this.#sharedContainer(container);
      event.container = shared.container;
      if (shared.k8s) event.k8s = shared.k8s;
    }
    if (raw.type === 'procexit') this.processes.onExit(raw.pid);
    return event;
  }

  /**
   * The open-family fast path: fills `parts` with exactly what `enrich` would ship for the record
   * (same process and container objects, same args and fd), without building the event.
   */
  enrichOpen(record: OpenRecord, parts: OpenEventParts): void {
    const ts = this.#clock.toEpochNs(record.monoNs);
    const entry = this.#entryFor(record);
    parts.proc = this.#processInfo(entry, record);
    parts.type = record.type;
    parts.ts = ts;
    parts.num = ++this.#num;
    parts.cpu = record.cpu;
    parts.res = record.ret;
    this.#openInto(record, entry, parts);
    const container = entry.container;
    if (container) {
      const shared = this.#sharedContainer(container);
      parts.container = shared.container;
      parts.k8s = shared.k8s;
    } else {
      parts.container = undefined;
      parts.k8s = undefined;
    }
    parts.hostname = this.#hostname;
  }

  /** Args and fd of an open-family event (both paths go through here, so they cannot differ). */
  #openInto(
    r: Pick<OpenRecord, 'type' | 'ret' | 'dirfd' | 'flags' | 'mode' | 'resolve' | 'name'>,
    entry: ProcEntry,
    parts: OpenEventParts,
  ): void {
    const type = r.type;
    const flags = type === 'creat' ? 0o1101 : r.flags;
    const atFd = type === 'openat' || type === 'openat2';
    const dirfd = atFd ? r.dirfd : -100;
    const renderedFlags = renderOpenFlags(flags);
    const mode = renderOctal(r.mode);
    const fdText = renderErrnoOrNumber(r.ret);
    if (type === 'openat2') {
      parts.names = OPENAT2_NAMES;
      parts.values = [fdText, renderDirfd(dirfd), r.name, renderedFlags, mode, renderResolveFlags(r.resolve)];
    } else if (atFd) {
      parts.names = OPENAT_NAMES;
      parts.values = [fdText, renderDirfd(dirfd), r.name, renderedFlags, mode];
    } else {
      parts.names = OPEN_NAMES;
      parts.values = [fdText, r.name, renderedFlags, mode];
    }
    parts.fdNum = r.ret >= 0 ? r.ret : -1;
    parts.fdType = flags & 0o200000 && !(flags & 0o20000000) ? 'directory' : 'file';
    parts.fdNameraw = r.name;
    parts.fdFlags = renderedFlags;
    parts.fdMode = mode;
    parts.fdName = this.#resolve(entry, r.name, dirfd) ?? r.name;
  }

  /**
   * One container object (and pod object) per container while its metadata stays the same, so
   * the events of a container share them (the shipper writes each once per batch).
   */
  #sharedContainer(from: CgroupContainer): SharedContainer {
    const meta: ContainerMeta | undefined = this.containers.get(from.id, from.type);
    const cached = this.#containerObjects.get(from.id);
    if (
      cached &&
      cached.meta === meta &&
      (cached.from === from || (cached.from.type === from.type && cached.from.podUid === from.podUid))
    ) {
      return cached;
    }
    const shared: SharedContainer = {
      from,
      meta,
      container: { id: from.id, type: from.type, ...(meta?.container ?? {}) },
      k8s: meta?.k8s ?? (from.podUid ? { podUid: from.podUid } : undefined),
    };
    this.#containerObjects.set(from.id, shared);
    return shared;
  }

  #entryFor(raw: ThreadFacts): ProcEntry {
    const cached = this.processes.get(raw.pid);
    if (cached) {
      // setuid and friends change credentials under the same image; the event carries the new ones.
      if (cached.uid !== raw.euid || cached.gid !== raw.egid) {
        cached.uid = raw.euid;
        cached.gid = raw.egid;
        this.#infoCache.delete(cached);
      }
      return cached;
    }
    // Gone from /proc before we looked: a forked child that never exec'd is its parent's image.
    const parent = this.processes.get(raw.ppid);
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
    this.processes.remember(entry);
    return entry;
  }

  #root(entry: ProcEntry): { key: string; root: string; otherRoot?: () => string | undefined } {
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

  /**
   * The event's process. Events of one thread share one ProcessInfo object (rebuilt at most every
   * INFO_TTL_MS, when the thread renames itself, or when the entry changes), which saves the
   * allocations and lets the shipper write it once per batch instead of once per event. Threads
   * of a process are cached apart, so a process whose threads take turns does not rebuild it.
   */
  #processInfo(entry: ProcEntry, raw: ThreadFacts): ProcessInfo {
    const now = Date.now();
    let threads = this.#infoCache.get(entry);
    if (threads === undefined) {
      threads = new Map();
      this.#infoCache.set(entry, threads);
    }
    const cached = threads.get(raw.tid);
    if (cached !== undefined && now - cached.at < INFO_TTL_MS && cached.info.name === raw.comm) {
      return cached.info;
    }
    const info = this.#buildInfo(entry, raw);
    if (threads.size >= MAX_THREADS_CACHED) threads.clear();
    threads.set(raw.tid, { info, at: now });
    return info;
  }

  #buildInfo(entry: ProcEntry, raw: ThreadFacts): ProcessInfo {
    const { key, root, otherRoot } = this.#root(entry);
    const info = this.#toInfo(entry, key, root, otherRoot);
    info.tid = raw.tid;
    // comm is per thread (workers rename themselves); the event's own comm is the truth.
    info.name = raw.comm;
    const ancestors = this.processes.ancestors(entry, this.#maxAncestors);
    info.ancestors = ancestors.map((a, level) => {
      const ancestor: ProcessInfo = { pid: a.pid, name: a.name };
      if (a.ppid) ancestor.ppid = a.ppid;
      if (a.exe !== undefined) ancestor.exe = a.exe;
      if (a.exepath !== undefined) ancestor.exepath = a.exepath;
      // proc.pcmdline needs the parent's arguments; deeper levels only need names and paths.
      if (level === 0) ancestor.args = a.args;
      return ancestor;
    });
    const sessionLeader = entry.sid ? this.processes.get(entry.sid) : undefined;
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
    if (entry.exepath !== undefined) {
      info.exepath = entry.exepath;
      // A memfd's /proc/PID/exe reads `/memfd:<name> (deleted)`.
      info.isExeFromMemfd = entry.exepath.startsWith('/memfd:');
    }
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
    const user = this.users.userName(entry.uid, root, key, otherRoot);
    const group = this.users.groupName(entry.gid, root, key, otherRoot);
    if (user !== undefined) info.user = user;
    if (group !== undefined) info.group = group;
    info.loginuid = entry.loginuid;
    if (entry.loginuid >= 0) {
      const loginname = this.users.userName(entry.loginuid, root, key, otherRoot);
      if (loginname !== undefined) info.loginname = loginname;
    }
    return info;
  }

  /** Absolute path of a path argument, relative to dirfd or the cwd (Falco's fd.name). */
  #resolve(entry: ProcEntry, path: string, dirfd = -100): string | undefined {
    if (path.startsWith('/')) return normalizePath(path);
    let base: string | undefined;
    if (dirfd === -100) base = entry.cwd;
    else {
      try {
        base = `${readlinkSync(`${this.#procRoot}/${entry.pid}/fd/${dirfd}`)}/`;
      } catch {
        base = undefined;
      }
    }
    return base ? normalizePath(base + path) : undefined;
  }

  #build(event: SyscallEvent, raw: RawEvent, entry: ProcEntry): void {
    // No closures here: this runs for every event, and each closure would be an allocation.
    const args = event.args;
    switch (raw.type) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const parts = this.#openScratch;
        this.#openInto(
          {
            type: raw.type,
            ret: raw.ret,
            dirfd: num(raw, 'dirfd'),
            flags: num(raw, 'flags'),
            mode: num(raw, 'mode'),
            resolve: num(raw, 'resolve'),
            name: str(raw, 'name'),
          },
          entry,
          parts,
        );
        for (let k = 0; k < parts.names.length; k++) args.push([parts.names[k]!, parts.values[k]!]);
        event.fd = {
          num: parts.fdNum,
          type: parts.fdType,
          nameraw: parts.fdNameraw,
          openFlags: parts.fdFlags,
          openMode: parts.fdMode,
          name: parts.fdName,
        };
        return;
      }
      case 'execve':
      case 'execveat':
      case 'procfs-exec': {
        const proc = event.proc;
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['exe', raw.ret === 0 ? (proc.exe ?? str(raw, 'filename')) : str(raw, 'filename')]);
        args.push(['args', (proc.args ?? []).join(' ')]);
        args.push(['tid', String(raw.tid)]);
        args.push(['pid', String(raw.pid)]);
        args.push(['ptid', String(raw.ppid)]);
        args.push(['cwd', proc.cwd ?? '']);
        args.push(['comm', raw.comm]);
        args.push(['tty', String(proc.tty ?? 0)]);
        args.push(['loginuid', String(proc.loginuid ?? -1)]);
        args.push(['uid', String(raw.euid)]);
        args.push(['gid', String(raw.egid)]);
        if (raw.type === 'execveat') {
          args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
          args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        }
        return;
      }
      case 'connect':
      case 'accept':
      case 'accept4': {
        const family = num(raw, 'family');
        const isConnect = raw.type === 'connect';
        const fdNum = isConnect ? num(raw, 'fd') : raw.ret;
        if (isConnect) args.push(['res', renderErrnoOrNumber(raw.ret)]);
        else args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        const fd = socketFd(family, fdNum, num(raw, 'proto'), raw, isConnect);
        args.push(['tuple', fd?.name ?? '']);
        if (isConnect) args.push(['fd', String(fdNum)]);
        if (fd) event.fd = fd;
        return;
      }
      case 'unlink':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['path', str(raw, 'path')]);
        return;
      case 'unlinkat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        args.push(['name', str(raw, 'name')]);
        args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        return;
      case 'rename':
      case 'renameat':
      case 'renameat2':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type !== 'rename') args.push(['olddirfd', renderDirfd(num(raw, 'olddirfd'))]);
        args.push(['oldpath', str(raw, 'oldpath')]);
        if (raw.type !== 'rename') args.push(['newdirfd', renderDirfd(num(raw, 'newdirfd'))]);
        args.push(['newpath', str(raw, 'newpath')]);
        if (raw.type === 'renameat2') args.push(['flags', renderRenameFlags(num(raw, 'flags'))]);
        return;
      case 'chmod':
      case 'fchmod':
      case 'fchmodat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'fchmod') args.push(['fd', String(num(raw, 'fd'))]);
        if (raw.type === 'fchmodat') args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        if (raw.type !== 'fchmod') args.push(['filename', str(raw, 'filename')]);
        args.push(['mode', renderModeFlags(num(raw, 'mode'))]);
        break;
      case 'chown':
      case 'lchown':
      case 'fchown':
      case 'fchownat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'fchown') args.push(['fd', String(num(raw, 'fd'))]);
        if (raw.type === 'fchownat') args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        if (raw.type === 'chown' || raw.type === 'lchown') args.push(['path', str(raw, 'path')]);
        if (raw.type === 'fchownat') args.push(['pathname', str(raw, 'pathname')]);
        args.push(['uid', this.#userArg(entry, num(raw, 'uid'))]);
        args.push(['gid', this.#groupArg(entry, num(raw, 'gid'))]);
        if (raw.type === 'fchownat') args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        break;
      case 'setuid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['uid', this.#userArg(entry, num(raw, 'uid'))]);
        return;
      case 'setgid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['gid', this.#groupArg(entry, num(raw, 'gid'))]);
        return;
      case 'setreuid':
      case 'setresuid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['ruid', this.#userArg(entry, num(raw, 'ruid'))]);
        args.push(['euid', this.#userArg(entry, num(raw, 'euid'))]);
        if (raw.type === 'setresuid') args.push(['suid', this.#userArg(entry, num(raw, 'suid'))]);
        return;
      case 'setregid':
      case 'setresgid':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['rgid', this.#groupArg(entry, num(raw, 'rgid'))]);
        args.push(['egid', this.#groupArg(entry, num(raw, 'egid'))]);
        if (raw.type === 'setresgid') args.push(['sgid', this.#groupArg(entry, num(raw, 'sgid'))]);
        return;
      case 'ptrace':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['addr', `0x${BigInt.asUintN(64, BigInt(raw.ints.addr ?? '0')).toString(16)}`]);
        args.push(['data', `0x${BigInt.asUintN(64, BigInt(raw.ints.data ?? '0')).toString(16)}`]);
        args.push(['request', renderPtraceRequest(num(raw, 'request'))]);
        args.push(['pid', String(num(raw, 'targetPid'))]);
        return;
      case 'mount':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['dev', str(raw, 'dev')]);
        args.push(['dir', str(raw, 'dir')]);
        args.push(['type', str(raw, 'type')]);
        args.push(['flags', renderMountFlags(BigInt.asUintN(64, BigInt(raw.ints.flags ?? '0')))]);
        return;
      case 'symlink':
      case 'symlinkat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['target', str(raw, 'target')]);
        if (raw.type === 'symlinkat') args.push(['linkdirfd', renderDirfd(num(raw, 'linkdirfd'))]);
        args.push(['linkpath', str(raw, 'linkpath')]);
        return;
      case 'link':
      case 'linkat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'linkat') args.push(['olddir', renderDirfd(num(raw, 'olddir'))]);
        args.push(['oldpath', str(raw, 'oldpath')]);
        if (raw.type === 'linkat') args.push(['newdir', renderDirfd(num(raw, 'newdir'))]);
        args.push(['newpath', str(raw, 'newpath')]);
        if (raw.type === 'linkat') args.push(['flags', renderAtFlags(num(raw, 'flags'))]);
        return;
      case 'mkdir':
      case 'mkdirat':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        if (raw.type === 'mkdirat') args.push(['dirfd', renderDirfd(num(raw, 'dirfd'))]);
        args.push(['path', str(raw, 'path')]);
        args.push(['mode', renderOctal(num(raw, 'mode'))]);
        return;
      case 'rmdir':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['path', str(raw, 'path')]);
        return;
      case 'socket':
        args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        args.push(['domain', renderFamily(num(raw, 'domain'))]);
        args.push(['type', String(num(raw, 'type'))]);
        args.push(['proto', String(num(raw, 'proto'))]);
        return;
      case 'memfd_create':
        args.push(['fd', renderErrnoOrNumber(raw.ret)]);
        args.push(['name', str(raw, 'name')]);
        args.push(['flags', String(num(raw, 'flags'))]);
        if (raw.ret >= 0) event.fd = { num: raw.ret, type: 'memfd', name: `memfd:${str(raw, 'name')}` };
        return;
      case 'init_module':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['length', String(num(raw, 'length'))]);
        args.push(['uargs', str(raw, 'uargs')]);
        return;
      case 'finit_module':
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['fd', String(num(raw, 'fd'))]);
        args.push(['uargs', str(raw, 'uargs')]);
        args.push(['flags', String(num(raw, 'flags'))]);
        return;
      case 'dup':
      case 'dup2':
      case 'dup3': {
        args.push(['res', renderErrnoOrNumber(raw.ret)]);
        args.push(['oldfd', String(num(raw, 'oldfd'))]);
        if (raw.type !== 'dup') args.push(['newfd', String(num(raw, 'newfd'))]);
        if (raw.type === 'dup3') args.push(['flags', String(num(raw, 'flags'))]);
        const family = num(raw, 'family');
        if (raw.ret >= 0 && (family === 2 || family === 10)) {
          // The kernel event does not say which side connected; the side with the lower
          // (service) port is taken as the server, as for nearly every TCP connection.
          const lport = num(raw, 'lport');
          const rport = num(raw, 'rport');
          const localIsServer = lport !== 0 && lport < rport;
          const ints = raw.ints;
          const swapped: RawEvent = {
            ...raw,
            ints: localIsServer
              ? {
                  sport: ints.lport ?? '0',
                  sip: ints.lip ?? '',
                  cport: ints.rport ?? '0',
                  cip: ints.rip ?? '',
                }
              : {
                  sport: ints.rport ?? '0',
                  sip: ints.rip ?? '',
                  cport: ints.lport ?? '0',
                  cip: ints.lip ?? '',
                },
          };
          const fd = socketFd(family, raw.ret, num(raw, 'proto'), swapped, !localIsServer);
          if (fd) event.fd = fd;
        }
        return;
      }
      case 'procexit': {
        const status = num(raw, 'status');
        args.push(['status', String(status)]);
        args.push(['ret', String((status >> 8) & 0xff)]);
        args.push(['sig', String(status & 0x7f)]);
        args.push(['core', String((status & 0x80) !== 0 ? 1 : 0)]);
        return;
      }
      default:
        return;
    }
    // chmod/chown family: the file they act on is their fd (Falco reports fd.name for them).
    const pathArg = FILE_PATH_ARG[raw.type];
    if (pathArg) {
      const path = str(raw, pathArg);
      const dirfd = raw.ints.dirfd !== undefined ? num(raw, 'dirfd') : -100;
      event.fd = { num: -1, type: 'file', nameraw: path, name: this.#resolve(entry, path, dirfd) ?? path };
    }
  }

  #userArg(entry: ProcEntry, uid: number): string {
    const { key, root, otherRoot } = this.#root(entry);
    return uid === -1 ? '-1' : (this.users.userName(uid, root, key, otherRoot) ?? String(uid));
  }

  #groupArg(entry: ProcEntry, gid: number): string {
    const { key, root, otherRoot } = this.#root(entry);
    return gid === -1 ? '-1' : (this.users.groupName(gid, root, key, otherRoot) ?? String(gid));
  }
}

/** A numeric field of a raw event (0 when absent). */
function num(raw: RawEvent, name: string): number {
  return Number(raw.ints[name] ?? 0);
}

/** A string field of a raw event ('' when absent). */
function str(raw: RawEvent, name: string): string {
  return raw.strs[name] ?? '';
}

const L4 = new Map<number, FdInfo['l4proto']>([
  [6, 'tcp'],
  [17, 'udp'],
  [1, 'icmp'],
  [58, 'icmp'],
  [255, 'raw'],
]);

function socketFd(
  family: number,
  num: number,
  proto: number,
  raw: RawEvent,
  isClient: boolean,
): FdInfo | undefined {
  if (family === 1) {
    const path = raw.strs.path ?? '';
    return { num, type: 'unix', name: path, ...(isClient ? { isClient } : {}) };
  }
  if (family !== 2 && family !== 10) return undefined;
  const sport = Number(raw.ints.sport ?? 0);
  const cport = Number(raw.ints.cport ?? 0);
  const sip = String(raw.ints.sip ?? '');
  const cip = String(raw.ints.cip ?? '');
  const fd: FdInfo = {
    num,
    type: family === 2 ? 'ipv4' : 'ipv6',
    name: `${cip}:${cport}->${sip}:${sport}`,
    cip,
    cport,
    sip,
    sport,
    isClient,
    // A failed connect leaves the socket unconnected; EINPROGRESS is a connect under way.
    connected: raw.ret >= 0 || raw.ret === -115,
  };
  const l4 = L4.get(proto);
  if (l4) fd.l4proto = l4;
  return fd;
}
