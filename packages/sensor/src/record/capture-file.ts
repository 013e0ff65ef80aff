import { createWriteStream, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import { PPM_CL, type ScapParamInput, ScapWriter, scapEventCodes } from '@peregrine/engine';
import type { WireProcessInfo, WireSyscallEvent } from '@peregrine/protocol';
import type { RawEvent } from '../capture/bpftrace-records.js';
import { CAP_NAMES, parseStat, readProcess } from '../enrich/procfs.js';
import { type HostState, scapCgroups, writeHostState } from './host-snapshot.js';
import { scapCall } from './scap-events.js';

/** Options of a capture file. */
export interface CaptureFileOptions {
  /** Output path; a name ending in `.gz` is gzip-compressed. */
  path: string;
  /** Stop recording once the capture (before gzip) would exceed this many bytes; 0 = no bound. */
  maxBytes?: number;
  procRoot?: string;
  /** Called once when `maxBytes` is reached (the caller usually stops the sensor). */
  onLimit?: () => void;
}

/** Bytes queued for the disk beyond which events are dropped (and counted) rather than buffered. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

const CLONE = scapEventCodes('clone', '<').at(-1) ?? 223;
const SOCKET = scapEventCodes('socket', '<').at(-1) ?? 19;
/** The dump flag that marks an event as state only (libscap `SCAP_DF_STATE_ONLY`). */
const STATE_ONLY = 1;
const THREAD_FLAGS =
  PPM_CL.CLONE_THREAD | PPM_CL.CLONE_FILES | PPM_CL.CLONE_FS | PPM_CL.CLONE_VM | PPM_CL.CLONE_SIGHAND;
/** Events that use a socket fd the capture must know (a `socket` before them). */
const SOCKET_USERS = new Set(['connect', 'sendto', 'sendmsg', 'recvfrom', 'recvmsg', 'listen']);
/** Events whose result is a new fd of the calling process. */
const FD_CREATORS = new Set([
  'open',
  'openat',
  'openat2',
  'creat',
  'socket',
  'accept',
  'accept4',
  'memfd_create',
  'dup',
  'dup2',
  'dup3',
  'userfaultfd',
  'bpf',
]);

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A `.scap` capture of what the sensor captures (`peregrine-sensor -w FILE`), readable by
 * libsinsp (`sysdig -r`, Falco) and by the engine's reader. It starts with the host's state as
 * `sysdig -w` writes it (machine, interfaces, users, every thread and fd table in /proc); each
 * captured syscall is then an enter/exit pair in the current drivers' layout. The kernel probes do
 * not see fork/clone, so a thread the capture has not described yet is introduced by a
 * state-only clone event (libscap's `SCAP_DF_STATE_ONLY`: used for state, never shown) built from
 * what the enricher knows of it and its ancestors, so `proc.pname`, `proc.aname` and `user.name`
 * resolve as they would with a kernel-side clone.
 */
export class CaptureFile {
  readonly path: string;
  readonly #file: WriteStream;
  readonly #gzip: Gzip | undefined;
  readonly #writer = new ScapWriter();
  readonly #state: HostState;
  readonly #maxBytes: number;
  readonly #onLimit: (() => void) | undefined;
  readonly #procRoot: string;
  #bytes = 0;
  #events = 0;
  #dropped = 0;
  #full = false;
  #closing: Promise<void> | undefined;
  #error: Error | undefined;
  #failure: string | undefined;
  /** Threads whose exit this capture recorded (recent ones). */
  readonly #exited = new Set<number>();

  private constructor(options: CaptureFileOptions, file: WriteStream) {
    this.path = options.path;
    this.#file = file;
    this.#maxBytes = options.maxBytes ?? 0;
    this.#onLimit = options.onLimit;
    this.#procRoot = options.procRoot ?? '/proc';
    file.on('error', (error) => {
      this.#error ??= error;
    });
    if (options.path.endsWith('.gz')) {
      this.#gzip = createGzip({ level: 6 });
      this.#gzip.on('error', (error) => {
        this.#error ??= error;
      });
      this.#gzip.pipe(file);
    }
    this.#state = writeHostState(this.#writer, this.#procRoot);
    const state = this.#writer.take();
    const stateBytes = state.reduce((n, c) => n + c.length, 0);
    if (this.#maxBytes > 0 && stateBytes > this.#maxBytes) {
      throw new Error(
        `--max-size ${this.#maxBytes} is less than the host's state at the start of the capture (${stateBytes} bytes)`,
      );
    }
    this.#bytes = stateBytes;
    const out = this.#gzip ?? this.#file;
    for (const c of state) out.write(c);
  }

  /** Creates the file (an error if it cannot be) and writes the host's state. */
  static async open(options: CaptureFileOptions): Promise<CaptureFile> {
    const file = createWriteStream(options.path, { flags: 'w', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', (error) =>
        reject(new Error(`cannot write the capture to ${options.path}: ${error.message}`)),
      );
    });
    try {
      return new CaptureFile(options, file);
    } catch (error) {
      // Nothing of a capture was written: leave no empty file behind.
      file.destroy();
      rmSync(options.path, { force: true });
      throw error;
    }
  }

  /** Capture bytes written so far (before gzip). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Events (syscalls) recorded. */
  get events(): number {
    return this.#events;
  }

  /** Events not recorded: the size bound was reached or the disk fell behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The first event that could not be converted, if any (counted in `dropped`). */
  get firstFailure(): string | undefined {
    return this.#failure;
  }

  /** Records one captured event (`event` is its enriched form); never throws. */
  record(raw: RawEvent, event: WireSyscallEvent): void {
    if (this.#closing || this.#error) return;
    if (this.#full || this.#pending() > MAX_PENDING_BYTES) {
      this.#dropped++;
      return;
    }
    try {
      this.#record(raw, event);
    } catch (error) {
      // Whatever was built for this event is discarded, never half-written.
      this.#writer.take();
      this.#dropped++;
      this.#failure ??= `${raw.type} of pid ${raw.pid}: ${(error as Error).message}`;
    }
  }

  #record(raw: RawEvent, event: WireSyscallEvent): void {
    const cgroups = scapCgroups(readText(`${this.#procRoot}/${raw.pid}/cgroup`));
    const call = scapCall(raw, event, CAP_NAMES, cgroups);
    if (!call) return;
    const ts = BigInt(event.ts);
    this.#ensureThread(raw, event, ts, cgroups);
    const fds = this.#fdsOf(raw.pid);
    if (SOCKET_USERS.has(raw.type)) {
      const fd = Number(raw.ints.fd ?? -1);
      if (fd >= 0 && !fds.has(fd)) this.#introduceSocket(raw, ts, fd);
    }
    if (call.enter !== undefined) {
      this.#writer.event({ ts, tid: raw.tid, type: call.enter, params: call.enterParams, cpu: raw.cpu });
    }
    this.#writer.event({ ts, tid: raw.tid, type: call.main, params: call.params, cpu: raw.cpu });
    if (FD_CREATORS.has(raw.type) && raw.ret >= 0) fds.add(raw.ret);
    if (raw.type === 'procexit') {
      this.#state.tids.delete(raw.tid);
      this.#exited.add(raw.tid);
      // Bounded: the oldest exits are forgotten first (a Set keeps insertion order).
      if (this.#exited.size > 4096) this.#exited.delete(this.#exited.values().next().value!);
      if (raw.tid === raw.pid) this.#state.fds.delete(raw.pid);
    }
    if (this.#flush()) this.#events++;
  }

  #pending(): number {
    return this.#file.writableLength + (this.#gzip?.writableLength ?? 0);
  }

  #fdsOf(pid: number): Set<number> {
    let fds = this.#state.fds.get(pid);
    if (!fds) {
      fds = new Set();
      this.#state.fds.set(pid, fds);
    }
    return fds;
  }

  /**
   * Introduces a thread the capture has not described (started after the capture began): its
   * unknown ancestors first, then its process, then the thread, each as a state-only clone from
   * the child's side. Before an exec the child still runs its parent's image, so an exec'ing
   * process is cloned with its parent's name, exe and arguments, and the exec then replaces them.
   */
  #ensureThread(raw: RawEvent, event: WireSyscallEvent, ts: bigint, cgroups: readonly string[]): void {
    const tids = this.#state.tids;
    if (tids.has(raw.tid)) return;
    const proc = event.proc;
    // The schema types ancestors loosely (a recursive zod getter); they are process infos.
    const chain = (proc.ancestors ?? []) as WireProcessInfo[];
    const unknown: WireProcessInfo[] = [];
    for (const a of chain) {
      // An ancestor seen exiting is not brought back: its children are re-parented.
      if (tids.has(a.pid) || a.pid <= 0 || this.#exited.has(a.pid)) break;
      unknown.push(a);
    }
    for (let i = unknown.length - 1; i >= 0; i--) {
      const a = unknown[i]!;
      // /proc has all of a live process (its cwd too); the enricher's ancestor outlives it.
      if (this.#describeFromProc(a.pid, ts, 0)) continue;
      this.#describeFromProc(a.ppid ?? 0, ts, 0);
      this.#clone(ts, a.pid, a.pid, a.ppid ?? 0, a, 0, []);
    }
    // A parent the enricher had not resolved yet (a subshell that never exec'd): from /proc.
    this.#describeFromProc(raw.ppid, ts, 0);
    const isExec = raw.type === 'execve' || raw.type === 'execveat' || raw.type === 'procfs-exec';
    if (!tids.has(raw.pid)) {
      const image = isExec && raw.ret === 0 ? (chain[0] ?? proc) : proc;
      this.#clone(
        ts,
        raw.pid,
        raw.pid,
        this.#parentOf(raw),
        { ...image, uid: raw.euid, gid: raw.egid },
        0,
        cgroups,
      );
    }
    if (raw.tid !== raw.pid && !tids.has(raw.tid)) {
      this.#clone(ts, raw.tid, raw.pid, raw.ppid, { ...proc, name: raw.comm }, THREAD_FLAGS, cgroups);
    }
  }

  /**
   * The parent to give a new process: the one the kernel reported, or, when that one already
   * exited (the kernel reports its exit before it re-parents its children), the process the child
   * has been re-parented to (init when /proc does not tell yet), as a reader keeping no exited
   * threads (sysdig 0.29 drops a parent without known children) would otherwise find none.
   */
  #parentOf(raw: RawEvent): number {
    if (this.#state.tids.has(raw.ppid)) return raw.ppid;
    const stat = readText(`${this.#procRoot}/${raw.pid}/stat`);
    const now = stat ? parseStat(stat)?.ppid : undefined;
    if (now !== undefined && now > 0 && this.#state.tids.has(now)) return now;
    // Not re-parented yet (or gone): init, where orphans go without a subreaper.
    return this.#exited.has(raw.ppid) && this.#state.tids.has(1) ? 1 : raw.ppid;
  }

  /** A live process the capture has not described, and its undescribed ancestors first, from /proc. */
  #describeFromProc(pid: number, ts: bigint, depth: number): boolean {
    if (depth >= 8 || pid <= 0 || this.#state.tids.has(pid) || this.#exited.has(pid)) return false;
    const p = readProcess(pid, this.#procRoot);
    if (!p) return false;
    this.#describeFromProc(p.ppid, ts, depth + 1);
    const image: WireProcessInfo = {
      pid,
      name: p.name,
      exe: p.argv[0] ?? p.name,
      args: p.argv.slice(1),
      uid: p.uid,
      gid: p.gid,
      ...(p.cwd !== undefined ? { cwd: p.cwd } : {}),
    };
    this.#clone(ts, pid, pid, p.ppid, image, 0, scapCgroups(p.cgroup));
    return true;
  }

  /**
   * A state-only clone that creates `tid`. From the caller's side (`res` = the new tid, the
   * parameters describe the caller, whose entry libsinsp copies) when the caller is known: the
   * form every libsinsp version reads alike. Otherwise from the child's side (`res` = 0).
   */
  #clone(
    ts: bigint,
    tid: number,
    pid: number,
    ptid: number,
    image: WireProcessInfo,
    flags: number,
    cgroups: readonly string[],
  ): void {
    // A new process is created by its parent; a new thread by its process's main thread.
    const caller = flags & PPM_CL.CLONE_THREAD ? pid : ptid;
    const parentView = caller > 0 && caller !== tid && this.#state.tids.has(caller);
    const params: Record<string, ScapParamInput> = {
      res: parentView ? tid : 0,
      exe: image.exe ?? image.name,
      args: image.args ?? [],
      tid: parentView ? caller : tid,
      pid: parentView ? (flags & PPM_CL.CLONE_THREAD ? pid : caller) : pid,
      ptid: parentView ? (this.#state.parents.get(caller) ?? 0) : ptid,
      cwd: image.cwd ?? '',
      fdlimit: 1024,
      pgft_maj: 0n,
      pgft_min: 0n,
      vm_size: 0,
      vm_rss: 0,
      vm_swap: 0,
      comm: image.name,
      cgroups: [...cgroups],
      flags,
      uid: (image.uid ?? 0) >>> 0,
      gid: (image.gid ?? 0) >>> 0,
      vtid: parentView ? caller : tid,
      vpid: parentView ? caller : pid,
      pidns_init_start_ts: 0n,
    };
    this.#writer.event({ ts, tid: parentView ? caller : tid, type: CLONE, params, dumpFlags: STATE_ONLY });
    this.#state.tids.add(tid);
    this.#state.parents.set(tid, ptid);
  }

  /** A socket the capture has not seen created (before the capture, or its socket() untraced). */
  #introduceSocket(raw: RawEvent, ts: bigint, fd: number): void {
    const family = Number(raw.ints.family ?? 0);
    const proto = Number(raw.ints.proto ?? 0);
    const type = proto === 17 ? 2 : 1;
    const common = { ts, tid: raw.tid, cpu: raw.cpu, dumpFlags: STATE_ONLY };
    this.#writer.event({ ...common, type: SOCKET - 1, params: { domain: family, type, proto } });
    this.#writer.event({ ...common, type: SOCKET, params: { fd, domain: family, type, proto, flags: 0 } });
    this.#fdsOf(raw.pid).add(fd);
  }

  /** Writes what the writer holds; false when the size bound left it out. */
  #flush(): boolean {
    const chunks = this.#writer.take();
    let n = 0;
    for (const c of chunks) n += c.length;
    if (this.#maxBytes > 0 && this.#bytes + n > this.#maxBytes) {
      // The whole call is left out rather than cut between its enter and exit.
      this.#dropped++;
      if (!this.#full) {
        this.#full = true;
        this.#onLimit?.();
      }
      return false;
    }
    this.#bytes += n;
    const out = this.#gzip ?? this.#file;
    for (const c of chunks) out.write(c);
    return true;
  }

  /** Ends the file (flushing gzip); idempotent. Rejects if writing failed. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve, reject) => {
      const done = () => (this.#error ? reject(this.#error) : resolve());
      this.#file.once('close', done);
      this.#file.once('error', (error) => reject(error));
      if (this.#gzip) this.#gzip.end();
      else this.#file.end();
    });
    return this.#closing;
  }
}
