import { readlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type {
  WireContainerInfo as ContainerInfo,
  WireFdInfo as FdInfo,
  WirePodInfo as PodInfo,
  WireProcessInfo as ProcessInfo,
  WireSyscallEvent as SyscallEvent,
} from '@peregrine/protocol';
import { decodeHexEscaped, type RawEvent, splitArgv } from '../capture/bpftrace-records.js';
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
import type { CgroupContainer } from './cgroup.js';
import { type ContainerMeta, ContainerMetadataCache } from './container-runtime.js';
import { LruCache } from './lru-cache.js';
import { normalizePath, type ProcEntry, ProcessTable } from './process-table.js';
import { UserDb } from './user-db.js';

/** Converts CLOCK_MONOTONIC nanoseconds (bpftrace `nsecs`) to epoch nanoseconds. */
export class MonotonicClock {
  #offset = 0n;
  #at = 0;

  /** Epoch ns for a monotonic timestamp; the offset is re-measured every minute to follow NTP. */
  toEpochNs(monoNs: bigint): string {
    const now = Date.now();
    if (now - this.#at > 60_000) {
      this.#offset = BigInt(now) * 1_000_000n - process.hrtime.bigint();
      this.#at = now;
    }
    return (monoNs + this.#offset).toString();
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
  readonly #clock = new MonotonicClock();
  readonly #hostname: string;
  readonly #maxAncestors: number;
  readonly #procRoot: string;
  /** Per process, per thread: the shipper writes each distinct object once per batch. */
  readonly #infoCache = new WeakMap<ProcEntry, Map<number, CachedInfo>>();
  readonly #containerObjects: LruCache<string, SharedContainer>;
  #num = 0;

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
    this.#containerObjects = new LruCache(options.maxContainers ?? 1024);
  }

  /** The host name events carry. */
  get hostname(): string {
    return this.#hostname;
  }

  /** Epoch ns for a raw event's monotonic time. */
  epochNs(monoNs: bigint): string {
    return this.#clock.toEpochNs(monoNs);
  }

  /** Builds the shipped event for one raw event. */
  enrich(raw: RawEvent): SyscallEvent {
    const ts = raw.type === 'procfs-exec' ? (raw.ints.ts ?? '0') : this.#clock.toEpochNs(raw.monoNs);
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

  #entryFor(raw: RawEvent): ProcEntry {
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

  #root(entry: ProcEntry): { key: string; root: string } {
    return entry.container
      ? { key: entry.container.id, root: `${this.#procRoot}/${entry.pid}/root` }
      : { key: '', root: '' };
  }

  /**
   * The event's process. Events of one thread share one ProcessInfo object (rebuilt at most every
   * INFO_TTL_MS, when the thread renames itself, or when the entry changes), which saves the
   * allocations and lets the shipper write it once per batch instead of once per event. Threads
   * of a process are cached apart, so a process whose threads take turns does not rebuild it.
   */
  #processInfo(entry: ProcEntry, raw: RawEvent): ProcessInfo {
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

  #buildInfo(entry: ProcEntry, raw: RawEvent): ProcessInfo {
    const { key, root } = this.#root(entry);
    const info = this.#toInfo(entry, key, root);
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

  #toInfo(entry: ProcEntry, key: string, root: string): ProcessInfo {
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
    const user = this.users.userName(entry.uid, root, key);
    const group = this.users.groupName(entry.gid, root, key);
    if (user !== undefined) info.user = user;
    if (group !== undefined) info.group = group;
    info.loginuid = entry.loginuid;
    if (entry.loginuid >= 0) {
      const loginname = this.users.userName(entry.loginuid, root, key);
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
    const n = (name: string) => Number(raw.ints[name] ?? 0);
    const s = (name: string) => raw.strs[name] ?? '';
    const args = event.args;
    const push = (name: string, value: string) => args.push([name, value]);
    const userArg = (uid: number) =>
      uid === -1 ? '-1' : (this.users.userName(uid, ...this.#userScope(entry)) ?? String(uid));
    const groupArg = (gid: number) =>
      gid === -1 ? '-1' : (this.users.groupName(gid, ...this.#userScope(entry)) ?? String(gid));
    switch (raw.type) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const flags = raw.type === 'creat' ? 0o1101 : n('flags');
        const dirfd = raw.type === 'openat' || raw.type === 'openat2' ? n('dirfd') : -100;
        const renderedFlags = renderOpenFlags(flags);
        const mode = renderOctal(n('mode'));
        push('fd', renderErrnoOrNumber(raw.ret));
        if (dirfd !== -100 || raw.type.startsWith('openat')) push('dirfd', renderDirfd(dirfd));
        push('name', s('name'));
        push('flags', renderedFlags);
        push('mode', mode);
        if (raw.type === 'openat2') push('resolve', renderResolveFlags(n('resolve')));
        const fd: FdInfo = {
          num: raw.ret >= 0 ? raw.ret : -1,
          type: flags & 0o200000 && !(flags & 0o20000000) ? 'directory' : 'file',
          nameraw: s('name'),
          openFlags: renderedFlags,
          openMode: mode,
        };
        const name = this.#resolve(entry, s('name'), dirfd);
        fd.name = name ?? s('name');
        event.fd = fd;
        return;
      }
      case 'execve':
      case 'execveat':
      case 'procfs-exec': {
        const proc = event.proc;
        push('res', renderErrnoOrNumber(raw.ret));
        push('exe', raw.ret === 0 ? (proc.exe ?? s('filename')) : s('filename'));
        push('args', (proc.args ?? []).join(' '));
        push('tid', String(raw.tid));
        push('pid', String(raw.pid));
        push('ptid', String(raw.ppid));
        push('cwd', proc.cwd ?? '');
        push('comm', raw.comm);
        push('tty', String(proc.tty ?? 0));
        push('loginuid', String(proc.loginuid ?? -1));
        push('uid', String(raw.euid));
        push('gid', String(raw.egid));
        if (raw.type === 'execveat') {
          push('dirfd', renderDirfd(n('dirfd')));
          push('flags', renderAtFlags(n('flags')));
        }
        return;
      }
      case 'connect':
      case 'accept':
      case 'accept4': {
        const family = n('family');
        const isConnect = raw.type === 'connect';
        const fdNum = isConnect ? n('fd') : raw.ret;
        if (isConnect) push('res', renderErrnoOrNumber(raw.ret));
        else push('fd', renderErrnoOrNumber(raw.ret));
        const fd = socketFd(family, fdNum, n('proto'), raw, isConnect);
        push('tuple', fd?.name ?? '');
        if (isConnect) push('fd', String(fdNum));
        if (fd) event.fd = fd;
        return;
      }
      case 'unlink':
        push('res', renderErrnoOrNumber(raw.ret));
        push('path', s('path'));
        return;
      case 'unlinkat':
        push('res', renderErrnoOrNumber(raw.ret));
        push('dirfd', renderDirfd(n('dirfd')));
        push('name', s('name'));
        push('flags', renderAtFlags(n('flags')));
        return;
      case 'rename':
      case 'renameat':
      case 'renameat2':
        push('res', renderErrnoOrNumber(raw.ret));
        if (raw.type !== 'rename') push('olddirfd', renderDirfd(n('olddirfd')));
        push('oldpath', s('oldpath'));
        if (raw.type !== 'rename') push('newdirfd', renderDirfd(n('newdirfd')));
        push('newpath', s('newpath'));
        if (raw.type === 'renameat2') push('flags', renderRenameFlags(n('flags')));
        return;
      case 'chmod':
      case 'fchmod':
      case 'fchmodat':
        push('res', renderErrnoOrNumber(raw.ret));
        if (raw.type === 'fchmod') push('fd', String(n('fd')));
        if (raw.type === 'fchmodat') push('dirfd', renderDirfd(n('dirfd')));
        if (raw.type !== 'fchmod') push('filename', s('filename'));
        push('mode', renderModeFlags(n('mode')));
        break;
      case 'chown':
      case 'lchown':
      case 'fchown':
      case 'fchownat':
        push('res', renderErrnoOrNumber(raw.ret));
        if (raw.type === 'fchown') push('fd', String(n('fd')));
        if (raw.type === 'fchownat') push('dirfd', renderDirfd(n('dirfd')));
        if (raw.type === 'chown' || raw.type === 'lchown') push('path', s('path'));
        if (raw.type === 'fchownat') push('pathname', s('pathname'));
        push('uid', userArg(n('uid')));
        push('gid', groupArg(n('gid')));
        if (raw.type === 'fchownat') push('flags', renderAtFlags(n('flags')));
        break;
      case 'setuid':
        push('res', renderErrnoOrNumber(raw.ret));
        push('uid', userArg(n('uid')));
        return;
      case 'setgid':
        push('res', renderErrnoOrNumber(raw.ret));
        push('gid', groupArg(n('gid')));
        return;
      case 'setreuid':
      case 'setresuid':
        push('res', renderErrnoOrNumber(raw.ret));
        push('ruid', userArg(n('ruid')));
        push('euid', userArg(n('euid')));
        if (raw.type === 'setresuid') push('suid', userArg(n('suid')));
        return;
      case 'setregid':
      case 'setresgid':
        push('res', renderErrnoOrNumber(raw.ret));
        push('rgid', groupArg(n('rgid')));
        push('egid', groupArg(n('egid')));
        if (raw.type === 'setresgid') push('sgid', groupArg(n('sgid')));
        return;
      case 'ptrace':
        push('res', renderErrnoOrNumber(raw.ret));
        push('addr', `0x${BigInt.asUintN(64, BigInt(raw.ints.addr ?? '0')).toString(16)}`);
        push('data', `0x${BigInt.asUintN(64, BigInt(raw.ints.data ?? '0')).toString(16)}`);
        push('request', renderPtraceRequest(n('request')));
        push('pid', String(n('targetPid')));
        return;
      case 'mount':
        push('res', renderErrnoOrNumber(raw.ret));
        push('dev', s('dev'));
        push('dir', s('dir'));
        push('type', s('type'));
        push('flags', renderMountFlags(BigInt.asUintN(64, BigInt(raw.ints.flags ?? '0'))));
        return;
      case 'symlink':
      case 'symlinkat':
        push('res', renderErrnoOrNumber(raw.ret));
        push('target', s('target'));
        if (raw.type === 'symlinkat') push('linkdirfd', renderDirfd(n('linkdirfd')));
        push('linkpath', s('linkpath'));
        return;
      case 'link':
      case 'linkat':
        push('res', renderErrnoOrNumber(raw.ret));
        if (raw.type === 'linkat') push('olddir', renderDirfd(n('olddir')));
        push('oldpath', s('oldpath'));
        if (raw.type === 'linkat') push('newdir', renderDirfd(n('newdir')));
        push('newpath', s('newpath'));
        if (raw.type === 'linkat') push('flags', renderAtFlags(n('flags')));
        return;
      case 'mkdir':
      case 'mkdirat':
        push('res', renderErrnoOrNumber(raw.ret));
        if (raw.type === 'mkdirat') push('dirfd', renderDirfd(n('dirfd')));
        push('path', s('path'));
        push('mode', renderOctal(n('mode')));
        return;
      case 'rmdir':
        push('res', renderErrnoOrNumber(raw.ret));
        push('path', s('path'));
        return;
      case 'socket':
        push('fd', renderErrnoOrNumber(raw.ret));
        push('domain', renderFamily(n('domain')));
        push('type', String(n('type')));
        push('proto', String(n('proto')));
        return;
      case 'memfd_create':
        push('fd', renderErrnoOrNumber(raw.ret));
        push('name', s('name'));
        push('flags', String(n('flags')));
        if (raw.ret >= 0) event.fd = { num: raw.ret, type: 'memfd', name: `memfd:${s('name')}` };
        return;
      case 'init_module':
        push('res', renderErrnoOrNumber(raw.ret));
        push('length', String(n('length')));
        push('uargs', s('uargs'));
        return;
      case 'finit_module':
        push('res', renderErrnoOrNumber(raw.ret));
        push('fd', String(n('fd')));
        push('uargs', s('uargs'));
        push('flags', String(n('flags')));
        return;
      case 'dup':
      case 'dup2':
      case 'dup3': {
        push('res', renderErrnoOrNumber(raw.ret));
        push('oldfd', String(n('oldfd')));
        if (raw.type !== 'dup') push('newfd', String(n('newfd')));
        if (raw.type === 'dup3') push('flags', String(n('flags')));
        const family = n('family');
        if (raw.ret >= 0 && (family === 2 || family === 10)) {
          // The kernel event does not say which side connected; the side with the lower
          // (service) port is taken as the server, as for nearly every TCP connection.
          const lport = n('lport');
          const rport = n('rport');
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
          const fd = socketFd(family, raw.ret, n('proto'), swapped, !localIsServer);
          if (fd) event.fd = fd;
        }
        return;
      }
      case 'procexit': {
        const status = n('status');
        push('status', String(status));
        push('ret', String((status >> 8) & 0xff));
        push('sig', String(status & 0x7f));
        push('core', String((status & 0x80) !== 0 ? 1 : 0));
        return;
      }
      default:
        return;
    }
    // chmod/chown family: the file they act on is their fd (Falco reports fd.name for them).
    const pathArg = FILE_PATH_ARG[raw.type];
    if (pathArg) {
      const path = s(pathArg);
      const dirfd = raw.ints.dirfd !== undefined ? n('dirfd') : -100;
      event.fd = { num: -1, type: 'file', nameraw: path, name: this.#resolve(entry, path, dirfd) ?? path };
    }
  }

  #userScope(entry: ProcEntry): [root: string, key: string] {
    const { key, root } = this.#root(entry);
    return [root, key];
  }
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
  const sip = raw.ints.sip ?? '';
  const cip = raw.ints.cip ?? '';
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
