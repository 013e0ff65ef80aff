/**
 * The state libsinsp keeps while reading a capture, rebuilt in TypeScript: the thread table (from
 * the process list, clone/fork/execve/procexit events), each process's fd table (fd lists,
 * open/socket/connect/accept/bind/dup/pipe/close ...), users and groups. `apply` turns each event
 * record into the engine's SyscallEvent, so rules evaluate a capture unchanged.
 * Rules: `../shared/spec/scap-format.md` §11.
 */
import { TYPECHAR } from '../sources/syscall/fields-fd.js';
import type { ContainerInfo, FdInfo, FdType, ProcessInfo, SyscallEvent } from '../events/syscall-event.js';
import { type ScapEventSchema, scapEventSchema } from './event-schema.js';
import { PPM_AF, PPM_AT_FDCWD, PPM_CL, PPM_O, SCAP_FD, SCAP_L4 } from './format.js';
import {
  decodeParam,
  decodeParamAt,
  type ScapSockaddr,
  type ScapSocktuple,
  type ScapValue,
} from './params.js';
import {
  type ScapEventRecord,
  type ScapFd,
  type ScapGroup,
  type ScapRecord,
  type ScapThread,
  type ScapUser,
  splitNul,
} from './read-scap.js';
import {
  joinPath,
  renderBytes,
  renderCaps,
  renderDirfd,
  renderErrno,
  flagRenderer,
  type FlagRenderer,
} from './render-params.js';

/** One fd of a process's table. Entries are replaced, never mutated (tables share them on fork). */
interface FdEntry {
  readonly type: FdType;
  readonly name: string;
  readonly cloexec: boolean;
  readonly openFlags?: number;
  readonly openMode?: number;
  readonly ino?: bigint;
  readonly dev?: number;
  readonly l4proto?: FdInfo['l4proto'];
  /** The protocol socket() asked for; libsinsp reports it (fd.l4proto) once connected. */
  readonly sockProto?: FdInfo['l4proto'];
  readonly cip?: string;
  readonly cport?: number;
  readonly sip?: string;
  readonly sport?: number;
  readonly isClient?: boolean;
  readonly connected?: boolean;
}

/** One thread of the table (libsinsp's sinsp_threadinfo, the parts fields read). */
interface ThreadEntry {
  tid: number;
  pid: number;
  ptid: number;
  sid: number;
  vpgid: number;
  pgid: number;
  comm: string | undefined;
  exe: string;
  exepath: string;
  args: string[];
  /** Ends with `/`. */
  cwd: string;
  uid: number;
  gid: number;
  env: string[];
  vtid: number;
  vpid: number;
  /** PPM_CL_* flags: CLONE_FILES / CLONE_FS threads use their process leader's fd table / cwd. */
  flags: number;
  cgroups: string[];
  root: string;
  tty: number;
  loginuid: number;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  exeWritable: boolean;
  exeUpperLayer: boolean;
  exeFromMemfd: boolean;
  exeInoCtime: bigint;
  exeInoMtime: bigint;
  /** Epoch ns of the clone that created it (unknown for threads of the process list). */
  cloneTs?: bigint;
  fds: Map<number, FdEntry>;
  /** The last enter event of this thread: exits of old versions take parameters from it. */
  lastEnter?: ScapEventRecord;
}

const FD_TYPES: ReadonlyMap<number, FdType> = new Map([
  [SCAP_FD.FILE, 'file'],
  [SCAP_FD.FILE_V2, 'file'],
  [SCAP_FD.DIRECTORY, 'directory'],
  [SCAP_FD.IPV4_SOCK, 'ipv4'],
  [SCAP_FD.IPV4_SERVSOCK, 'ipv4'],
  [SCAP_FD.IPV6_SOCK, 'ipv6'],
  [SCAP_FD.IPV6_SERVSOCK, 'ipv6'],
  [SCAP_FD.FIFO, 'pipe'],
  [SCAP_FD.UNIX_SOCK, 'unix'],
  [SCAP_FD.EVENT, 'event'],
  [SCAP_FD.SIGNALFD, 'signalfd'],
  [SCAP_FD.EVENTPOLL, 'eventpoll'],
  [SCAP_FD.INOTIFY, 'inotify'],
  [SCAP_FD.TIMERFD, 'timerfd'],
  [SCAP_FD.NETLINK, 'netlink'],
  [SCAP_FD.BPF, 'bpf'],
  [SCAP_FD.USERFAULTFD, 'userfaultfd'],
  [SCAP_FD.IOURING, 'io_uring'],
  [SCAP_FD.MEMFD, 'memfd'],
  [SCAP_FD.PIDFD, 'pidfd'],
]);

const L4_NAMES: ReadonlyMap<number, FdInfo['l4proto']> = new Map([
  [SCAP_L4.TCP, 'tcp'],
  [SCAP_L4.UDP, 'udp'],
  [SCAP_L4.ICMP, 'icmp'],
  [SCAP_L4.RAW, 'raw'],
]);

const OPEN_EVENTS = new Set(['open', 'openat', 'openat2', 'creat', 'open_by_handle_at']);
const CLONE_EVENTS = new Set(['clone', 'fork', 'vfork', 'clone3']);
const EXECVE_EVENTS = new Set(['execve', 'execveat']);
/** Events whose result (`res`) is a new fd of the given type. */
const RES_FD_CREATORS: ReadonlyMap<string, FdType> = new Map([
  ['eventfd', 'event'],
  ['eventfd2', 'event'],
  ['signalfd', 'signalfd'],
  ['signalfd4', 'signalfd'],
  ['timerfd_create', 'timerfd'],
  ['inotify_init', 'inotify'],
  ['inotify_init1', 'inotify'],
  ['userfaultfd', 'userfaultfd'],
  ['epoll_create', 'eventpoll'],
  ['epoll_create1', 'eventpoll'],
  ['io_uring_setup', 'io_uring'],
]);
/** Events whose `fd` parameter is a new fd of the given type. */
const FD_PARAM_CREATORS: ReadonlyMap<string, FdType> = new Map([
  ['pidfd_open', 'pidfd'],
  ['pidfd_getfd', 'pidfd'],
  ['bpf', 'bpf'],
]);

/** Container runtimes recognised in cgroup paths (pre-plugin libsinsp, §11). */
const CONTAINER_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\/docker\/([0-9a-f]{64})(?:\/|$)/, 'docker'],
  [/docker-([0-9a-f]{64})\.scope/, 'docker'],
  [/crio-(?:conmon-)?([0-9a-f]{64})(?:\.scope)?/, 'cri-o'],
  [/cri-containerd-([0-9a-f]{64})(?:\.scope)?/, 'containerd'],
  [/libpod-(?:conmon-)?([0-9a-f]{64})(?:\.scope)?/, 'podman'],
  [/\/kubepods[^ ]*\/([0-9a-f]{64})(?:\/|$)/, 'docker'],
];

function containerOf(cgroups: readonly string[]): ContainerInfo | undefined {
  for (const entry of cgroups) {
    const path = entry.slice(entry.indexOf('=') + 1);
    for (const [re, type] of CONTAINER_PATTERNS) {
      const m = re.exec(path);
      if (m) return { id: m[1]!, type };
    }
  }
  return undefined;
}

function dirOf(cwd: string): string {
  return cwd.endsWith('/') ? cwd : `${cwd}/`;
}

function fromScapThread(t: ScapThread): ThreadEntry {
  return {
    tid: t.tid,
    pid: t.pid,
    ptid: t.ptid,
    sid: t.sid,
    vpgid: t.vpgid,
    pgid: t.pgid,
    comm: t.comm,
    exe: t.exe,
    exepath: t.exepath,
    args: t.args,
    cwd: t.cwd === '' ? '' : dirOf(t.cwd),
    uid: t.uid,
    gid: t.gid,
    env: t.env,
    vtid: t.vtid,
    vpid: t.vpid,
    flags: t.flags,
    cgroups: t.cgroups,
    root: t.root,
    tty: t.tty,
    loginuid: t.loginuid,
    capInheritable: t.capInheritable,
    capPermitted: t.capPermitted,
    capEffective: t.capEffective,
    exeWritable: t.exeWritable,
    exeUpperLayer: t.exeUpperLayer,
    exeFromMemfd: t.exeFromMemfd,
    exeInoCtime: t.exeInoCtime,
    exeInoMtime: t.exeInoMtime,
    fds: new Map(),
  };
}

function unknownThread(tid: number, pid = tid, ptid = -1): ThreadEntry {
  return {
    tid,
    pid,
    ptid,
    sid: -1,
    vpgid: -1,
    pgid: -1,
    comm: undefined,
    exe: '',
    exepath: '',
    args: [],
    cwd: '',
    uid: 0xffffffff,
    gid: 0xffffffff,
    env: [],
    vtid: -1,
    vpid: -1,
    flags: 0,
    cgroups: [],
    root: '',
    tty: 0,
    loginuid: 0xffffffff,
    capInheritable: 0n,
    capPermitted: 0n,
    capEffective: 0n,
    exeWritable: false,
    exeUpperLayer: false,
    exeFromMemfd: false,
    exeInoCtime: 0n,
    exeInoMtime: 0n,
    fds: new Map(),
  };
}

/** Decoded parameters of one event, by name. */
/** Parameter positions by name, per event schema (made once per schema). */
const PARAM_INDEX = new WeakMap<ScapEventSchema, Map<string, number>>();

/** The position of the fd an event names (its first FD parameter but a dirfd), per schema; -1: none. */
const FD_PARAM = new WeakMap<ScapEventSchema, number>();

function fdParam(schema: ScapEventSchema): number {
  let i = FD_PARAM.get(schema);
  if (i === undefined) {
    i = schema.params.findIndex((x) => x.type === 'FD' && x.name !== 'dirfd');
    FD_PARAM.set(schema, i);
  }
  return i;
}

/** Each parameter's flag renderer (undefined where libsinsp has no table), per schema. */
const FLAG_RENDERERS = new WeakMap<ScapEventSchema, FlagRenderer[]>();

function flagRenderers(schema: ScapEventSchema): FlagRenderer[] {
  let r = FLAG_RENDERERS.get(schema);
  if (r === undefined) {
    r = schema.params.map((ps) => flagRenderer(schema.name, ps.name, ps.type));
    FLAG_RENDERERS.set(schema, r);
  }
  return r;
}

function paramIndex(schema: ScapEventSchema): Map<string, number> {
  let m = PARAM_INDEX.get(schema);
  if (m === undefined) {
    m = new Map();
    for (let i = schema.params.length - 1; i >= 0; i--) m.set(schema.params[i]!.name, i);
    PARAM_INDEX.set(schema, m);
  }
  return m;
}

/** Not decoded yet (a decoded parameter may be undefined). */
const UNDECODED: unique symbol = Symbol('undecoded');

class Params {
  readonly #index: Map<string, number>;
  readonly #bytes: Uint8Array;
  readonly #bounds: readonly number[];
  /** Parameters the record holds (v1 records may hold fewer than the schema names). */
  readonly count: number;
  /** Each parameter decoded once per event: the state and the rendering read several twice. */
  #values: Array<ScapValue | undefined | typeof UNDECODED> | undefined;
  constructor(
    readonly schema: ScapEventSchema,
    rec: ScapEventRecord,
  ) {
    this.#index = paramIndex(schema);
    this.#bytes = rec.bytes;
    this.#bounds = rec.bounds;
    this.count = rec.bounds.length - 1;
  }
  index(name: string): number {
    return this.#index.get(name) ?? -1;
  }
  /** The length in bytes of parameter i (0: empty or absent). */
  size(i: number): number {
    return i >= 0 && i < this.count ? this.#bounds[i + 1]! - this.#bounds[i]! : 0;
  }
  has(name: string): boolean {
    return this.size(this.index(name)) > 0;
  }
  /** Parameter i decoded by its schema type; undefined when absent or empty. */
  value(i: number): ScapValue | undefined {
    if (i < 0 || i >= this.count) return undefined;
    let values = this.#values;
    if (values === undefined) {
      values = new Array(this.count).fill(UNDECODED);
      this.#values = values;
    }
    let v = values[i];
    if (v === UNDECODED) {
      v = decodeParamAt(this.schema.params[i]!.type, this.#bytes, this.#bounds[i]!, this.#bounds[i + 1]!);
      values[i] = v;
    }
    return v;
  }
  get(name: string): ScapValue | undefined {
    return this.value(this.index(name));
  }
  num(name: string): number | undefined {
    return this.numAt(this.index(name));
  }
  /** Parameter i as a number (64-bit values converted); undefined when absent or not numeric. */
  numAt(i: number): number | undefined {
    const v = this.value(i);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  }
  big(name: string): bigint | undefined {
    const v = this.get(name);
    return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;
  }
  str(name: string): string | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  list(name: string): string[] | undefined {
    const i = this.index(name);
    if (this.size(i) === 0) return undefined;
    return splitNul(this.#bytes.subarray(this.#bounds[i]!, this.#bounds[i + 1]!));
  }
}

function tupleText(t: ScapSocktuple): string {
  if (t.family === PPM_AF.UNIX) {
    return `${(t.source ?? 0n).toString(16)}->${(t.dest ?? 0n).toString(16)} ${t.path ?? ''}`;
  }
  if (t.sip === undefined) return '';
  return `${ipPort(t.sip, t.sport)}->${ipPort(t.dip ?? '', t.dport)}`;
}

function ipPort(ip: string, port: number | undefined): string {
  return `${ip}:${port ?? 0}`;
}

function sockaddrText(a: ScapSockaddr): string {
  if (a.family === PPM_AF.UNIX) return a.path ?? '';
  if (a.ip === undefined) return '';
  return ipPort(a.ip, a.port);
}

/** An IPv4-mapped IPv6 address as IPv4 (libsinsp turns those tuples into IPv4). */
function unmapIp(ip: string | undefined): string | undefined {
  const m = ip === undefined ? null : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  return m ? m[1] : ip;
}

function octal(mode: number): string {
  return mode === 0 ? '0' : `0${mode.toString(8)}`;
}

/** An fd's open flags as `open`'s flags parameter renders them. */
const OPEN_FLAGS_RENDERER = flagRenderer('open', 'flags', 'FLAGS32');

function renderOpenFlags(flags: number): string {
  return OPEN_FLAGS_RENDERER?.(flags) ?? String(flags);
}

export interface ScapStateOptions {
  /** evt.hostname when the capture has no machine-info block. */
  hostname?: string;
  /**
   * Show the enter events of syscalls (default true, as sysdig 0.29 does). Current Falco's
   * capture reader folds them into their exits (libscap's converter): pass false to evaluate
   * as it does. Enter-only events (procexit, ...) are always shown.
   */
  enterEvents?: boolean;
  /**
   * Which event types the caller needs (asked once per event code): events of other types still
   * update the thread and fd tables, and count in `evt.num`, but are not built or returned. A
   * rule set's `mayMatchEventType` skips the events no rule can match, as Falco's per-type
   * index does. Default: every type.
   */
  wanted?: (type: string) => boolean;
}

/**
 * Replays a capture's records into libsinsp-like tables. Feed every record in order to `apply`;
 * it returns the SyscallEvent of each shown event (procinfo and state-only events are not).
 */
export class ScapState {
  readonly threads = new Map<number, ThreadEntry>();
  readonly users = new Map<number, ScapUser>();
  readonly groups = new Map<number, ScapGroup>();
  hostname: string | undefined;
  /** IPv4/IPv6 addresses of the capturing machine's interfaces. */
  readonly localAddresses = new Set<string>();
  readonly #enterEvents: boolean;
  /** evt.num of the last event: every event record counts, as sysdig numbers them. */
  #num = 0;
  #gen = 0;
  readonly #procCache = new WeakMap<ThreadEntry, { gen: number; info: ProcessInfo }>();
  readonly #wanted: ((type: string) => boolean) | undefined;
  /** `#wanted`'s answer per event code, asked once. */
  readonly #wantedByCode: Array<boolean | undefined> = [];

  constructor(options: ScapStateOptions = {}) {
    this.hostname = options.hostname;
    this.#enterEvents = options.enterEvents ?? true;
    this.#wanted = options.wanted;
  }

  /** False when the caller does not need events of this code built (`ScapStateOptions.wanted`). */
  #isWanted(code: number, schema: ScapEventSchema): boolean {
    if (this.#wanted === undefined) return true;
    let w = this.#wantedByCode[code];
    if (w === undefined) {
      w = this.#wanted(schema.name);
      this.#wantedByCode[code] = w;
    }
    return w;
  }

  /** Applies one record; returns the event it shows, if any. */
  apply(record: ScapRecord): SyscallEvent | undefined {
    switch (record.kind) {
      case 'machine':
        if (record.hostname !== '') this.hostname = record.hostname;
        return undefined;
      case 'interfaces':
        this.localAddresses.clear();
        for (const i of record.interfaces) {
          const ip = decodeParam(i.family === 4 ? 'IPV4ADDR' : 'IPV6ADDR', i.addr);
          if (typeof ip === 'string') this.localAddresses.add(ip);
        }
        return undefined;
      case 'users':
        this.users.clear();
        this.groups.clear();
        for (const u of record.users) this.users.set(u.uid, u);
        for (const g of record.groups) this.groups.set(g.gid, g);
        return undefined;
      case 'processes':
        this.#gen++;
        for (const t of record.threads) this.threads.set(t.tid, fromScapThread(t));
        return undefined;
      case 'fds': {
        this.#gen++;
        let t = this.threads.get(record.tid);
        if (!t) {
          t = unknownThread(record.tid);
          this.threads.set(record.tid, t);
        }
        for (const f of record.fds) {
          const entry = this.#fromScapFd(f);
          if (entry) t.fds.set(f.fd, entry);
        }
        return undefined;
      }
      case 'event':
        return this.#event(record);
      default:
        return undefined;
    }
  }

  #fromScapFd(f: ScapFd): FdEntry | undefined {
    let type = FD_TYPES.get(f.type);
    if (type === undefined) return undefined;
    const flags = f.openFlags ?? 0;
    if (type === 'file' && (flags & PPM_O.DIRECTORY) !== 0) type = 'directory';
    const base = { type, cloexec: (flags & PPM_O.CLOEXEC) !== 0, ino: f.ino };
    if (f.sip !== undefined && (type === 'ipv4' || type === 'ipv6')) {
      const fam = type === 'ipv4' ? 'IPV4ADDR' : 'IPV6ADDR';
      const l4proto = L4_NAMES.get(f.l4proto ?? 0);
      const first = decodeParam(fam, f.sip) as string;
      if (f.dip === undefined) {
        // A listening socket: its own address is the server side.
        return {
          ...base,
          name: ipPort(first, f.sport),
          sip: first,
          sport: f.sport,
          isClient: false,
          ...(l4proto ? { l4proto } : {}),
        };
      }
      const second = decodeParam(fam, f.dip) as string;
      // The list stores source->destination; which end is this machine decides the role.
      const isClient = !(this.localAddresses.has(second) && !this.localAddresses.has(first));
      return {
        ...base,
        name: `${ipPort(first, f.sport)}->${ipPort(second, f.dport)}`,
        cip: first,
        cport: f.sport,
        sip: second,
        sport: f.dport,
        isClient,
        connected: true,
        ...(l4proto ? { l4proto } : {}),
      };
    }
    return {
      ...base,
      name: f.name,
      ...(f.openFlags !== undefined ? { openFlags: f.openFlags } : {}),
      dev: f.dev,
    };
  }

  /** The fd table of a thread: CLONE_FILES threads share their process leader's (libsinsp). */
  #fdsOf(t: ThreadEntry): Map<number, FdEntry> {
    if (t.pid !== t.tid && (t.flags & PPM_CL.CLONE_FILES) !== 0) {
      const leader = this.threads.get(t.pid);
      if (leader) return leader.fds;
    }
    return t.fds;
  }

  #cwdOf(t: ThreadEntry): string {
    if (t.pid !== t.tid && (t.flags & PPM_CL.CLONE_FS) !== 0) {
      const leader = this.threads.get(t.pid);
      if (leader && leader.cwd !== '') return leader.cwd;
    }
    return t.cwd;
  }

  #event(rec: ScapEventRecord): SyscallEvent | undefined {
    this.#num++;
    const schema = scapEventSchema(rec.type);
    if (schema === undefined) return undefined;
    let thread = this.threads.get(rec.tid);
    const show =
      rec.type !== 234 &&
      (rec.dumpFlags & 1) === 0 &&
      (schema.dir === '<' || this.#enterEvents || scapEventSchema(rec.type + 1) === undefined) &&
      this.#isWanted(rec.type, schema);

    if (schema.dir === '>') {
      if (thread) thread.lastEnter = rec;
      if (!show) return undefined;
      const ps = new Params(schema, rec);
      return this.#build(rec, schema, ps, thread, this.#eventFd(thread, ps, undefined));
    }
    const p = new Params(schema, rec);

    const enter = thread?.lastEnter;
    const ep =
      enter !== undefined && scapEventSchema(enter.type)?.name === schema.name
        ? new Params(scapEventSchema(enter.type)!, enter)
        : undefined;
    if (thread) thread.lastEnter = undefined;

    // The fd an event uses, looked up before the event changes the table (close removes it).
    const before = show && thread ? this.#eventFd(thread, p, ep) : undefined;
    let removeAfter: (() => void) | undefined;
    const name = schema.name;
    const res = p.num('res') ?? p.num('fd');

    if (CLONE_EVENTS.has(name)) {
      this.#clone(rec, p, thread);
      thread = this.threads.get(rec.tid);
    } else if (EXECVE_EVENTS.has(name)) {
      if ((p.num('res') ?? -1) >= 0) thread = this.#execve(rec, p, ep, thread);
    } else if (name === 'procexit') {
      if (thread) {
        const t = thread;
        removeAfter = () => this.#exit(t, p.num('reaper_tid'));
      }
    } else if (thread) {
      removeAfter = this.#stateChange(name, thread, p, ep, res);
    }

    const event = show
      ? this.#build(rec, schema, p, thread, (thread ? this.#eventFd(thread, p, ep) : undefined) ?? before)
      : undefined;
    removeAfter?.();
    return event;
  }

  /** The event's fd: its `fd` parameter (or a dup's result), else the enter event's. */
  #eventFd(
    thread: ThreadEntry | undefined,
    p: Params,
    ep: Params | undefined,
  ): { num: number; entry: FdEntry | undefined } | undefined {
    if (!thread) return undefined;
    const name = p.schema.name;
    let num: number | undefined;
    if (name === 'dup' || name === 'dup2' || name === 'dup3') num = p.num('res');
    else if (RES_FD_CREATORS.has(name)) num = p.num('res');
    else if (name === 'memfd_create') num = p.num('fd');
    else {
      const i = fdParam(p.schema);
      if (p.size(i) > 0) num = p.numAt(i);
      else if (ep) {
        const j = fdParam(ep.schema);
        if (j >= 0) num = ep.numAt(j);
      }
    }
    if (num === undefined) return undefined;
    return { num, entry: num >= 0 ? this.#fdsOf(thread).get(num) : undefined };
  }

  #clone(rec: ScapEventRecord, p: Params, caller: ThreadEntry | undefined): void {
    const res = p.num('res');
    if (res === undefined || res < 0) return;
    const flags = p.num('flags') ?? 0;
    let tid: number;
    let pid: number;
    let ptid: number;
    let parent: ThreadEntry | undefined;
    if (res > 0) {
      // The parent's view: tid/pid/ptid are the caller's; the child is `res`.
      if (this.threads.has(res)) return;
      parent = caller;
      tid = res;
      const callerPid = caller?.pid ?? p.num('pid') ?? rec.tid;
      const callerPtid = caller?.ptid ?? p.num('ptid') ?? -1;
      if (flags & PPM_CL.CLONE_THREAD) {
        pid = callerPid;
        ptid = callerPtid;
      } else {
        pid = res;
        ptid = rec.tid;
      }
    } else {
      // The child's view: tid/pid/ptid are its own.
      if (caller) return;
      tid = rec.tid;
      pid = p.num('pid') ?? rec.tid;
      ptid = p.num('ptid') ?? -1;
      parent = flags & PPM_CL.CLONE_THREAD ? this.threads.get(pid) : this.threads.get(ptid);
    }
    this.#gen++;
    const child = parent
      ? { ...parent, tid, pid, ptid, lastEnter: undefined }
      : unknownThread(tid, pid, ptid);
    child.exe = p.str('exe') ?? child.exe;
    child.args = p.list('args') ?? [];
    child.comm = p.str('comm') ?? p.str('exe') ?? child.comm;
    if (parent) child.cwd = this.#cwdOf(parent);
    else if (p.str('cwd')) child.cwd = dirOf(p.str('cwd')!);
    child.uid = p.num('uid') ?? child.uid;
    child.gid = p.num('gid') ?? child.gid;
    child.cgroups = p.list('cgroups') ?? child.cgroups;
    child.vtid = p.num('vtid') ?? child.vtid;
    child.vpid = p.num('vpid') ?? child.vpid;
    child.cloneTs = rec.ts;
    child.flags = flags;
    if (flags & PPM_CL.CLONE_FILES) child.fds = parent ? this.#fdsOf(parent) : new Map();
    else child.fds = parent ? new Map(this.#fdsOf(parent)) : new Map();
    if (!parent && child.exepath === '' && child.exe.startsWith('/')) child.exepath = child.exe;
    this.threads.set(tid, child);
  }

  #execve(
    rec: ScapEventRecord,
    p: Params,
    ep: Params | undefined,
    found: ThreadEntry | undefined,
  ): ThreadEntry {
    this.#gen++;
    let t = found;
    if (!t) {
      t = unknownThread(rec.tid, p.num('pid') ?? rec.tid, p.num('ptid') ?? -1);
      this.threads.set(rec.tid, t);
    }
    t.exe = p.str('exe') ?? t.exe;
    t.args = p.list('args') ?? [];
    t.comm = p.str('comm') ?? p.str('exe') ?? t.comm;
    t.pid = p.num('pid') ?? t.pid;
    if (p.has('ptid') && !this.threads.has(t.ptid)) t.ptid = p.num('ptid')!;
    if (t.cwd === '' && p.str('cwd')) t.cwd = dirOf(p.str('cwd')!);
    t.env = p.list('env') ?? t.env;
    t.cgroups = p.list('cgroups') ?? t.cgroups;
    t.tty = p.num('tty') ?? t.tty;
    t.vpgid = p.num('vpgid') ?? t.vpgid;
    t.loginuid = p.num('loginuid') ?? t.loginuid;
    const flags = p.num('flags');
    if (flags !== undefined) {
      t.exeWritable = (flags & 1) !== 0;
      t.exeUpperLayer = (flags & 2) !== 0;
      t.exeFromMemfd = (flags & 4) !== 0;
    }
    t.capInheritable = p.big('cap_inheritable') ?? t.capInheritable;
    t.capPermitted = p.big('cap_permitted') ?? t.capPermitted;
    t.capEffective = p.big('cap_effective') ?? t.capEffective;
    t.exeInoCtime = p.big('exe_ino_ctime') ?? t.exeInoCtime;
    t.exeInoMtime = p.big('exe_ino_mtime') ?? t.exeInoMtime;
    t.uid = p.num('uid') ?? t.uid;
    t.gid = p.num('gid') ?? t.gid;
    t.pgid = p.num('pgid') ?? t.pgid;
    // exepath: the driver's trusted path, else the enter (or exit) filename resolved against the cwd.
    const trusted = p.str('trusted_exepath');
    const filename = p.str('filename') ?? ep?.str('filename') ?? ep?.str('pathname');
    if (trusted) t.exepath = trusted;
    else if (filename) {
      const dirfd = ep?.num('dirfd');
      const base =
        dirfd !== undefined && dirfd !== PPM_AT_FDCWD
          ? (this.#fdsOf(t).get(dirfd)?.name ?? '<UNKNOWN>')
          : this.#cwdOf(t);
      t.exepath = joinPath(base, filename);
    } else if (t.exe.startsWith('/')) t.exepath = t.exe;
    // close-on-exec fds go; the other threads of the group go.
    const fds = this.#fdsOf(t);
    for (const [n, f] of fds) if (f.cloexec) fds.delete(n);
    for (const [tid, other] of this.threads)
      if (other.pid === t.pid && tid !== t.tid) this.threads.delete(tid);
    return t;
  }

  #exit(t: ThreadEntry, reaper: number | undefined): void {
    this.#gen++;
    this.threads.delete(t.tid);
    if (reaper !== undefined && reaper > 0) {
      for (const other of this.threads.values()) if (other.ptid === t.tid) other.ptid = reaper;
    }
  }

  /** Fd and identity changes of a successful exit; returns work to do after the event is built. */
  #stateChange(
    name: string,
    t: ThreadEntry,
    p: Params,
    ep: Params | undefined,
    res: number | undefined,
  ): (() => void) | undefined {
    const fds = this.#fdsOf(t);
    const ok = res !== undefined && res >= 0;
    if (OPEN_EVENTS.has(name)) {
      const fd = p.num('fd');
      if (fd === undefined || fd < 0) return undefined;
      const path = this.#openPath(name, t, p, ep);
      const flags =
        p.num('flags') ??
        ep?.num('flags') ??
        (name === 'creat' ? PPM_O.CREAT | PPM_O.WRONLY | PPM_O.TRUNC : 0);
      const mode = p.num('mode') ?? ep?.num('mode');
      fds.set(fd, {
        type: (flags & PPM_O.DIRECTORY) !== 0 ? 'directory' : 'file',
        name: path,
        cloexec: (flags & PPM_O.CLOEXEC) !== 0,
        openFlags: flags,
        ...(mode !== undefined ? { openMode: mode } : {}),
        ...(p.big('ino') !== undefined ? { ino: p.big('ino') } : {}),
        ...(p.num('dev') !== undefined ? { dev: p.num('dev') } : {}),
      });
      return undefined;
    }
    switch (name) {
      case 'socket': {
        const fd = p.num('fd');
        if (fd === undefined || fd < 0) return undefined;
        const domain = p.num('domain') ?? ep?.num('domain');
        const type = (p.num('type') ?? ep?.num('type') ?? 0) & 0xf;
        const proto = p.num('proto') ?? ep?.num('proto') ?? 0;
        const kind: FdType | undefined =
          domain === PPM_AF.INET
            ? 'ipv4'
            : domain === PPM_AF.INET6
              ? 'ipv6'
              : domain === PPM_AF.UNIX
                ? 'unix'
                : domain === PPM_AF.NETLINK
                  ? 'netlink'
                  : undefined;
        if (!kind) return undefined;
        const l4proto: FdInfo['l4proto'] =
          proto === 1 || proto === 58
            ? 'icmp'
            : type === 1
              ? 'tcp'
              : type === 2
                ? 'udp'
                : type === 3
                  ? 'raw'
                  : undefined;
        fds.set(fd, { type: kind, name: '', cloexec: false, ...(l4proto ? { sockProto: l4proto } : {}) });
        return undefined;
      }
      case 'connect': {
        if (!(ok || res === -115)) return undefined;
        const fd = p.num('fd') ?? ep?.num('fd');
        if (fd === undefined) return undefined;
        const tuple = p.get('tuple') as ScapSocktuple | undefined;
        const addr = (p.get('addr') ?? ep?.get('addr')) as ScapSockaddr | undefined;
        this.#connected(fds, fd, tuple, addr, true, res !== -115);
        return undefined;
      }
      case 'accept':
      case 'accept4': {
        const fd = p.num('fd');
        if (fd === undefined || fd < 0) return undefined;
        this.#connected(fds, fd, p.get('tuple') as ScapSocktuple | undefined, undefined, false, true);
        return undefined;
      }
      case 'bind': {
        if (!ok) return undefined;
        const fd = p.num('fd') ?? ep?.num('fd');
        const addr = p.get('addr') as ScapSockaddr | undefined;
        if (fd === undefined || !addr) return undefined;
        const old = fds.get(fd);
        if (addr.family === PPM_AF.UNIX) {
          fds.set(fd, { ...(old ?? { cloexec: false }), type: 'unix', name: addr.path ?? '' });
        } else if (addr.ip !== undefined) {
          fds.set(fd, {
            ...(old ?? { cloexec: false }),
            type: addr.family === PPM_AF.INET6 ? 'ipv6' : 'ipv4',
            name: ipPort(addr.ip, addr.port),
            sip: addr.ip,
            sport: addr.port,
            isClient: false,
          });
        }
        return undefined;
      }
      case 'close': {
        if (!ok) return undefined;
        const fd = p.num('fd') ?? ep?.num('fd');
        if (fd === undefined) return undefined;
        return () => fds.delete(fd);
      }
      case 'dup':
      case 'dup2':
      case 'dup3': {
        if (!ok) return undefined;
        const old = p.num('oldfd') ?? ep?.num('fd');
        const entry = old === undefined ? undefined : fds.get(old);
        if (entry && res !== old) {
          const flags = p.num('flags') ?? 0;
          fds.set(res!, { ...entry, cloexec: name === 'dup3' && (flags & PPM_O.CLOEXEC) !== 0 });
        }
        return undefined;
      }
      case 'pipe':
      case 'pipe2':
      case 'socketpair': {
        if (!ok) return undefined;
        const type: FdType = name === 'socketpair' ? 'unix' : 'pipe';
        for (const k of ['fd1', 'fd2']) {
          const fd = p.num(k);
          if (fd !== undefined && fd >= 0) fds.set(fd, { type, name: '', cloexec: false, ino: p.big('ino') });
        }
        return undefined;
      }
      case 'memfd_create': {
        const fd = p.num('fd');
        if (fd === undefined || fd < 0) return undefined;
        fds.set(fd, {
          type: 'memfd',
          name: `memfd:${p.str('name') ?? ''}`,
          cloexec: ((p.num('flags') ?? 0) & 1) !== 0,
        });
        return undefined;
      }
      case 'chdir':
        if (ok && p.str('path') !== undefined) this.#setCwd(t, joinPath(this.#cwdOf(t), p.str('path')!));
        return undefined;
      case 'fchdir': {
        const fd = p.num('fd') ?? ep?.num('fd');
        const entry = fd === undefined ? undefined : fds.get(fd);
        if (ok && entry) this.#setCwd(t, entry.name);
        return undefined;
      }
      case 'chroot':
        if (ok && p.str('path') !== undefined) t.root = p.str('path')!;
        return undefined;
      case 'setsid':
        if (ok) t.sid = res!;
        return undefined;
      case 'setuid':
      case 'setgid':
      case 'setresuid':
      case 'setresgid':
      case 'setreuid':
      case 'setregid': {
        if (!ok) return undefined;
        const isUid = name.endsWith('uid');
        const v =
          name === 'setuid' || name === 'setgid'
            ? (p.num(isUid ? 'uid' : 'gid') ?? ep?.num(isUid ? 'uid' : 'gid'))
            : (p.num(isUid ? 'euid' : 'egid') ?? ep?.num(isUid ? 'euid' : 'egid'));
        if (v !== undefined && v !== 0xffffffff) {
          this.#gen++;
          if (isUid) t.uid = v;
          else t.gid = v;
        }
        return undefined;
      }
      default: {
        const resType = RES_FD_CREATORS.get(name);
        if (resType && ok) fds.set(res!, { type: resType, name: '', cloexec: false });
        const fdType = FD_PARAM_CREATORS.get(name);
        const fd = p.num('fd');
        if (fdType && fd !== undefined && fd >= 0) fds.set(fd, { type: fdType, name: '', cloexec: false });
        return undefined;
      }
    }
  }

  #setCwd(t: ThreadEntry, path: string): void {
    this.#gen++;
    const dir = dirOf(path);
    t.cwd = dir;
    const leader = this.threads.get(t.pid);
    if (leader && (t.flags & PPM_CL.CLONE_FS) !== 0) leader.cwd = dir;
  }

  #connected(
    fds: Map<number, FdEntry>,
    fd: number,
    tuple: ScapSocktuple | undefined,
    addr: ScapSockaddr | undefined,
    isClient: boolean,
    connected: boolean,
  ): void {
    const old = fds.get(fd);
    const t =
      tuple ?? (addr ? { family: addr.family, dip: addr.ip, dport: addr.port, path: addr.path } : undefined);
    if (!t) return;
    if (t.family === PPM_AF.UNIX) {
      fds.set(fd, {
        ...(old ?? { cloexec: false }),
        type: 'unix',
        name: tuple ? tupleText(tuple) : (t.path ?? ''),
      });
      return;
    }
    if (t.family !== PPM_AF.INET && t.family !== PPM_AF.INET6) return;
    // The tuple is source->destination; source is the client for connect and for accept alike.
    const cip = unmapIp(t.sip);
    const sip = unmapIp(t.dip);
    const v4 = (cip ?? sip ?? '').includes('.') && !(cip ?? sip ?? '').includes(':');
    fds.set(fd, {
      cloexec: old?.cloexec ?? false,
      type: v4 ? 'ipv4' : 'ipv6',
      name: `${ipPort(cip ?? (v4 ? '0.0.0.0' : '::'), t.sport)}->${ipPort(sip ?? '', t.dport)}`,
      ...(cip !== undefined ? { cip, cport: t.sport } : {}),
      ...(sip !== undefined ? { sip, sport: t.dport } : {}),
      l4proto: old?.l4proto ?? old?.sockProto ?? 'tcp',
      isClient,
      connected,
    });
  }

  /** fd.name of an open: the path made absolute against the cwd or the dirfd's directory. */
  #openPath(name: string, t: ThreadEntry, p: Params, ep: Params | undefined): string {
    const path = p.str('name') ?? p.str('path') ?? ep?.str('name') ?? '';
    if (name === 'open' || name === 'creat' || name === 'open_by_handle_at')
      return joinPath(this.#cwdOf(t), path);
    if (path.startsWith('/')) return joinPath('/', path);
    const dirfd = p.num('dirfd') ?? ep?.num('dirfd') ?? PPM_AT_FDCWD;
    if (dirfd === PPM_AT_FDCWD) return joinPath(this.#cwdOf(t), path);
    const dir = this.#fdsOf(t).get(dirfd)?.name;
    return dir === undefined ? `<UNKNOWN>/${path}` : joinPath(dir, path);
  }

  #processInfo(t: ThreadEntry, withAncestors: boolean): ProcessInfo {
    const cached = withAncestors ? this.#procCache.get(t) : undefined;
    if (cached && cached.gen === this.#gen) return cached.info;
    const parent = this.threads.get(t.ptid);
    const info: ProcessInfo = {
      pid: t.pid,
      tid: t.tid,
      name: t.comm as string,
      exe: t.exe,
      exepath: t.exepath,
      args: t.args,
      cwd: this.#cwdOf(t),
      tty: t.tty,
      sid: t.sid,
      vpgid: t.vpgid,
      pgid: t.pgid,
      uid: t.uid,
      gid: t.gid,
      loginuid: t.loginuid === 0xffffffff ? -1 : t.loginuid,
      env: t.env,
      isExeWritable: t.exeWritable,
      isExeUpperLayer: t.exeUpperLayer,
      isExeFromMemfd: t.exeFromMemfd,
    };
    if (t.ptid > 0) info.ppid = parent?.pid ?? t.ptid;
    if (t.vpid >= 0) info.vpid = t.vpid;
    const user = this.users.get(t.uid)?.name;
    if (user !== undefined) info.user = user;
    const group = this.groups.get(t.gid)?.name;
    if (group !== undefined) info.group = group;
    const login = this.users.get(t.loginuid)?.name;
    if (login !== undefined) info.loginname = login;
    if (t.cloneTs !== undefined) info.startTs = String(t.cloneTs);
    const caps = [renderCaps(t.capEffective), renderCaps(t.capPermitted), renderCaps(t.capInheritable)];
    if (caps[0]) info.capEffective = caps[0];
    if (caps[1]) info.capPermitted = caps[1];
    if (caps[2]) info.capInheritable = caps[2];
    if (t.exeInoCtime > 0n) info.exeInoCtime = String(t.exeInoCtime);
    if (t.exeInoMtime > 0n) info.exeInoMtime = String(t.exeInoMtime);
    if (withAncestors) {
      const ancestors: ProcessInfo[] = [];
      const seen = new Set<number>([t.tid]);
      let a = parent;
      while (a && !seen.has(a.tid) && ancestors.length < 64) {
        seen.add(a.tid);
        ancestors.push(this.#processInfo(a, false));
        a = this.threads.get(a.ptid);
      }
      info.ancestors = ancestors;
      const leader = this.threads.get(t.sid);
      if (leader?.comm !== undefined) info.sname = leader.comm;
      this.#procCache.set(t, { gen: this.#gen, info });
    }
    return info;
  }

  #build(
    rec: ScapEventRecord,
    schema: ScapEventSchema,
    p: Params,
    thread: ThreadEntry | undefined,
    fd: { num: number; entry: FdEntry | undefined } | undefined,
  ): SyscallEvent {
    const proc = thread ? this.#processInfo(thread, true) : ({ pid: rec.tid, tid: rec.tid } as ProcessInfo);
    const event: SyscallEvent = {
      source: 'syscall',
      num: this.#num,
      ts: String(rec.ts),
      type: schema.name,
      dir: schema.dir,
      args: this.#args(schema, p, thread),
      cpu: rec.cpu,
      proc,
    };
    if (this.hostname !== undefined) event.hostname = this.hostname;
    if (schema.dir === '<') {
      const res =
        p.num('res') ?? (schema.params[0]?.type === 'FD' ? p.num(schema.params[0].name) : undefined);
      if (res !== undefined) event.res = res;
    }
    if (fd?.entry) event.fd = toFdInfo(fd.num, fd.entry);
    else if (fd && schema.dir === '<' && OPEN_EVENTS.has(schema.name) && thread) {
      // A failed open names its file, with no fd and no type (libsinsp: fd.num -1, fd.type <NA>).
      event.fd = { num: -1, name: this.#openPath(schema.name, thread, p, undefined) } as FdInfo;
    }
    const container = thread ? containerOf(thread.cgroups) : undefined;
    if (container) event.container = container;
    return event;
  }

  #args(schema: ScapEventSchema, p: Params, thread: ThreadEntry | undefined): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const n = Math.min(schema.params.length, p.count);
    for (let i = 0; i < n; i++) {
      const ps = schema.params[i]!;
      const v = p.value(i);
      out.push([ps.name, v === undefined ? '' : this.#render(schema, i, v, p, thread)]);
    }
    return out;
  }

  #render(
    schema: ScapEventSchema,
    i: number,
    v: ScapValue,
    p: Params,
    thread: ThreadEntry | undefined,
  ): string {
    const ps = schema.params[i]!;
    switch (ps.type) {
      case 'ERRNO':
        return renderErrno(Number(v));
      case 'FD': {
        const n = Number(v);
        if (ps.name.endsWith('dirfd') || ps.name === 'olddir' || ps.name === 'newdir') {
          if (n === PPM_AT_FDCWD) return renderDirfd(n);
        }
        if (n < 0) return renderErrno(n);
        const entry = thread ? this.#fdsOf(thread).get(n) : undefined;
        if (!entry) return String(n);
        const l4 = entry.l4proto ? entry.l4proto[0]! : '';
        return `<${TYPECHAR[entry.type]}${entry.type === 'ipv4' || entry.type === 'ipv6' ? l4 : ''}>${entry.name}`;
      }
      case 'FSPATH':
        return thread && typeof v === 'string' && v !== '' ? joinPath(this.#cwdOf(thread), v) : String(v);
      case 'FSRELPATH': {
        const path = String(v);
        if (!thread || path.startsWith('/') || path === '') return path;
        // Relative to the fd parameter just before it (dirfd, olddirfd, newdirfd, linkdirfd).
        let dirfd = PPM_AT_FDCWD;
        for (let j = i - 1; j >= 0; j--) {
          if (schema.params[j]!.type === 'FD') {
            dirfd = p.num(schema.params[j]!.name) ?? PPM_AT_FDCWD;
            break;
          }
        }
        if (dirfd === PPM_AT_FDCWD) return joinPath(this.#cwdOf(thread), path);
        const dir = this.#fdsOf(thread).get(dirfd)?.name;
        return dir === undefined ? `<UNKNOWN>/${path}` : joinPath(dir, path);
      }
      case 'PID': {
        // libsinsp shows a pid parameter as the name of that thread when it knows it.
        const n = Number(v);
        return this.threads.get(n)?.comm ?? String(n);
      }
      case 'UID': {
        const n = Number(v);
        return this.users.get(n)?.name ?? String(n === 0xffffffff ? -1 : n);
      }
      case 'GID': {
        const n = Number(v);
        return this.groups.get(n)?.name ?? String(n === 0xffffffff ? -1 : n);
      }
      case 'SOCKTUPLE':
        return tupleText(v as ScapSocktuple);
      case 'SOCKADDR':
        return sockaddrText(v as ScapSockaddr);
      case 'BYTEBUF':
        return renderBytes(v as Uint8Array);
      case 'DYN': {
        const b = v as Uint8Array;
        if (b.length === 9)
          return `0x${new DataView(b.buffer, b.byteOffset + 1, 8).getBigUint64(0, true).toString(16)}`;
        return renderBytes(b.subarray(1));
      }
      case 'UINT32':
        // libsinsp prints these with the event table's octal/hex formats.
        if (ps.name === 'mode' && OPEN_EVENTS.has(schema.name)) return octal(Number(v));
        if (ps.name === 'mode' && (schema.name === 'mkdir' || schema.name === 'mkdirat')) {
          return Number(v).toString(16).toUpperCase();
        }
        return String(v);
      case 'FLAGS8':
      case 'FLAGS16':
      case 'FLAGS32':
      case 'ENUMFLAGS8':
      case 'ENUMFLAGS16':
      case 'ENUMFLAGS32':
      case 'MODE':
        return flagRenderers(schema)[i]?.(Number(v)) ?? String(v);
      default:
        if (v instanceof Uint8Array) return renderBytes(v);
        return String(v);
    }
  }
}

function toFdInfo(num: number, f: FdEntry): FdInfo {
  const info: FdInfo = { num, type: f.type, name: f.name };
  if (f.openFlags !== undefined) info.openFlags = renderOpenFlags(f.openFlags);
  if (f.openMode !== undefined) info.openMode = octal(f.openMode);
  if (f.ino !== undefined && f.ino !== 0n) info.ino = String(f.ino);
  if (f.dev !== undefined) info.dev = f.dev;
  if (f.l4proto !== undefined) info.l4proto = f.l4proto;
  if (f.cip !== undefined) info.cip = f.cip;
  if (f.cport !== undefined) info.cport = f.cport;
  if (f.sip !== undefined) info.sip = f.sip;
  if (f.sport !== undefined) info.sport = f.sport;
  if (f.isClient !== undefined) info.isClient = f.isClient;
  if (f.connected !== undefined) info.connected = f.connected;
  return info;
}

/** Every SyscallEvent of a capture's records, with the state rebuilt along the way. */
export function* scapSyscallEvents(
  records: Iterable<ScapRecord>,
  options?: ScapStateOptions,
): Generator<SyscallEvent> {
  const state = new ScapState(options);
  for (const r of records) {
    const e = state.apply(r);
    if (e) yield e;
  }
}
