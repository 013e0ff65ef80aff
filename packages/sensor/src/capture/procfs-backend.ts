import { readFileSync, readlinkSync } from 'node:fs';
import {
  bootTimeSeconds,
  CLOCK_TICKS,
  listPids,
  type ProcSnapshot,
  parseStat,
  readProcess,
} from '../enrich/procfs.js';
import type { RawEvent } from './bpftrace-records.js';
import type { CaptureBackend, CaptureCounters } from './capture-backend.js';

/** Options of the /proc polling backend. */
export interface ProcfsBackendOptions {
  procRoot?: string;
  /** Scan period. A process that starts and exits between two scans is never seen. */
  intervalMs?: number;
  /** Why the sensor fell back to /proc, reported with the coverage. */
  reason?: string | undefined;
}

/** What one read of /proc/PID/stat says about a process and its image. */
interface StatKey {
  name: string;
  ppid: number;
  startTicks: number;
  /** New at every exec (0 when /proc does not show it to us). */
  startStack: number;
}

/**
 * What the scans know of one pid. `reported`: its image has had its `execve` (or was there at
 * start). `forked`: a child that has not exec'd yet, still its parent's image, which is no exec
 * (the kernel backends do not report forks either). `pending`: an image that may be a real exec
 * or one caught half-way (its parent's comm over new memory, or no stack shown yet: the kernel
 * sets the new stack last, after the command line): its event waits for the next scan to read
 * the image the same again, for the backend to stop, or for the process to vanish.
 */
interface Known extends StatKey {
  state: 'reported' | 'forked' | 'pending';
  /** The exe link when the image was read, to tell a rename (`prctl(PR_SET_NAME)`) from an exec. */
  exepath: string | undefined;
  /** The exec event of a `pending` image. */
  pending?: RawEvent;
  /** A kernel thread: no image, and its comm changes with its work (kworkers). */
  kernel?: boolean;
}

/** Tries to read one image whole (its stat the same before and after) before giving up for a scan. */
const IMAGE_READ_TRIES = 3;

function sameKey(a: Omit<StatKey, 'ppid'>, b: Omit<StatKey, 'ppid'>): boolean {
  return a.name === b.name && a.startTicks === b.startTicks && a.startStack === b.startStack;
}

function imageKey(stat: StatKey): StatKey {
  return { name: stat.name, ppid: stat.ppid, startTicks: stat.startTicks, startStack: stat.startStack };
}

/**
 * Whether the process under the same pid and start time shows another image: a new comm, or a
 * new stack. A stack /proc stops showing (exit has released the memory; another user's process
 * made undumpable) or starts showing is no exec by itself.
 */
function imageChanged(known: StatKey, now: StatKey): boolean {
  if (known.name !== now.name) return true;
  return known.startStack !== 0 && now.startStack !== 0 && known.startStack !== now.startStack;
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The fallback that needs no privileges: scans /proc periodically and reports processes that
 * exec'd as `execve` events, vanished ones as `procexit`. A new pid is an exec only once its image
 * is its own: a child between fork and exec still shows its parent's comm, exe and command line,
 * so it is tracked silently and reported when a later scan sees its image change (the same goes
 * for an exec under a known pid). It sees no file, network or privilege syscalls at all; see the
 * README's blind spots.
 */
export class ProcfsBackend implements CaptureBackend {
  readonly name = 'procfs' as const;
  readonly mode = 'procfs' as const;
  /** Polling /proc sees processes appear and vanish, nothing else. */
  readonly traced: readonly string[] = ['execve', 'procexit'];
  readonly reason: string | undefined;
  readonly counters: CaptureCounters = { lost: 0, malformed: 0 };
  onFatal?: (error: Error) => void;
  readonly #procRoot: string;
  readonly #intervalMs: number;
  readonly #known = new Map<number, Known>();
  readonly #bootNs: bigint;
  #timer: NodeJS.Timeout | undefined;
  #sink: ((event: RawEvent) => void) | undefined;

  constructor(options: ProcfsBackendOptions = {}) {
    this.#procRoot = options.procRoot ?? '/proc';
    this.#intervalMs = options.intervalMs ?? 500;
    this.reason = options.reason;
    this.#bootNs = BigInt(bootTimeSeconds(this.#procRoot)) * 1_000_000_000n;
  }

  async start(sink: (event: RawEvent) => void): Promise<void> {
    this.#sink = sink;
    // The first scan is the baseline: processes already running are not reported as new.
    this.#scan(false);
    this.#timer = setInterval(() => this.#scan(true), this.#intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // Execs still waiting for a second look are reported rather than lost with the backend.
    for (const [pid, known] of this.#known) {
      if (known.state === 'pending') this.#settle(pid, known, this.#stat(pid), true);
    }
  }

  /** One scan (exposed for tests that do not want to wait for the timer). */
  scanNow(): void {
    this.#scan(true);
  }

  #scan(report: boolean): void {
    const seen = new Set<number>();
    for (const pid of listPids(this.#procRoot)) {
      if (pid === process.pid) continue;
      seen.add(pid);
      const stat = this.#stat(pid);
      // A zombie has no image left to read; it is reported gone once its parent has reaped it.
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
      const known = this.#known.get(pid);
      if (known && known.startTicks === stat.startTicks) {
        if (known.kernel && !this.#execdFromKernel(pid, known, stat)) known.name = stat.name;
        else if (imageChanged(known, stat)) this.#changed(pid, known, stat);
        else {
          if (known.startStack === 0) known.startStack = stat.startStack;
          if (known.state === 'pending') this.#settle(pid, known, stat, false);
        }
        continue;
      }
      // A pid reused since the last scan: the process we knew under it is gone.
      if (known) this.#vanished(pid, known, report);
      this.#appeared(pid, stat, report);
    }
    for (const [pid, known] of this.#known) {
      if (!seen.has(pid)) this.#vanished(pid, known, report);
    }
  }

  /**
   * Whether a kernel thread has become a user process: kthreadd's usermode helpers (modprobe, a
   * core_pattern pipe) start as kernel threads and exec. A new comm alone is no sign (kworkers
   * rename themselves as they work); memory (a stack) or a command line is.
   */
  #execdFromKernel(pid: number, known: Known, stat: StatKey): boolean {
    if (stat.name === known.name) return false;
    if (stat.startStack !== 0) return true;
    try {
      return readFileSync(`${this.#procRoot}/${pid}/cmdline`).length > 0;
    } catch {
      return false;
    }
  }

  #stat(pid: number): (StatKey & { state: string }) | undefined {
    let text: string;
    try {
      text = readFileSync(`${this.#procRoot}/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    return parseStat(text);
  }

  /**
   * The process's image read whole: /proc gives no atomic view, and an exec under way between two
   * reads would mix the old comm with the new exe and command line. Undefined when it is gone or
   * kept changing (the next scan tries again).
   */
  #readImage(pid: number, before: StatKey): { snapshot: ProcSnapshot; key: StatKey } | undefined {
    let expected = before;
    for (let i = 0; i < IMAGE_READ_TRIES; i++) {
      const snapshot = readProcess(pid, this.#procRoot);
      const after = this.#stat(pid);
      if (!snapshot || !after) return undefined;
      if (sameKey(snapshot, expected) && sameKey(after, expected)) return { snapshot, key: after };
      expected = after;
    }
    return undefined;
  }

  #appeared(pid: number, stat: StatKey, report: boolean): void {
    const image = this.#readImage(pid, stat);
    if (!image) return;
    const { snapshot, key } = image;
    const known: Known = { ...imageKey(key), state: 'reported', exepath: snapshot.exepath };
    this.#known.set(pid, known);
    // Kernel threads have no command line and are children of kthreadd (pid 2).
    if (snapshot.argv.length === 0 && (snapshot.ppid === 2 || pid === 2)) known.kernel = true;
    if (!report || known.kernel) return;
    const verdict = this.#againstParent(snapshot);
    if (verdict === 'forked') {
      known.state = 'forked';
      return;
    }
    // The exec happened between the fork and this scan: the start time is the closest known.
    const startNs = this.#bootNs + (BigInt(snapshot.startTicks) * 1_000_000_000n) / BigInt(CLOCK_TICKS);
    const event = this.#execEvent(snapshot, startNs.toString());
    if (verdict === 'exec') this.#sink?.(event);
    else {
      known.state = 'pending';
      known.pending = event;
    }
  }

  /**
   * Whether a new process is still its parent's image (`forked`: not exec'd yet), surely its own
   * (`exec`), or its own memory under its parent's comm (`unsure`: a program of the same name, or
   * an exec caught before it set the comm).
   */
  #againstParent(child: ProcSnapshot): 'forked' | 'exec' | 'unsure' {
    const parentKey = child.ppid > 0 ? this.#stat(child.ppid) : undefined;
    const parentDir = `${this.#procRoot}/${child.ppid}`;
    const otherwise = parentKey?.name === child.name ? 'unsure' : 'exec';
    // No stack under a parent that shows one: an exec under way (the new memory has no stack yet,
    // its command line may be empty) or an image made unreadable (setuid). Read again first.
    if (child.startStack === 0 && parentKey !== undefined && parentKey.startStack !== 0) return 'unsure';
    if (child.startStack !== 0) {
      // A fork copies the memory, the stack's start with it, and an exec replaces it. The comm is
      // no test: a child forked by another thread has that thread's name (Java's, Node workers').
      if (parentKey?.startStack === child.startStack) {
        return readLink(`${parentDir}/exe`) === child.exepath ? 'forked' : otherwise;
      }
      // The child of a parent that has exec'd since the fork.
      const parentKnown = this.#known.get(child.ppid);
      if (parentKnown?.startStack === child.startStack && parentKnown.startTicks === parentKey?.startTicks) {
        return parentKnown.exepath === child.exepath ? 'forked' : otherwise;
      }
      return otherwise;
    }
    // Without the stacks (another user's process, not root): comm, exe and command line must match.
    if (otherwise === 'exec' || readLink(`${parentDir}/exe`) !== child.exepath) return otherwise;
    let cmdline: string;
    try {
      cmdline = readFileSync(`${parentDir}/cmdline`, 'utf8');
    } catch {
      return otherwise;
    }
    const argv = cmdline.length > 0 ? cmdline.replace(/\0$/, '').split('\0') : [];
    const same = argv.length === child.argv.length && argv.every((arg, i) => arg === child.argv[i]);
    return same ? 'forked' : otherwise;
  }

  /** A known pid whose comm or stack changed: an exec, or a rename of the same image. */
  #changed(pid: number, known: Known, stat: StatKey): void {
    const image = this.#readImage(pid, stat);
    // Gone (the next scan reports the exit) or still changing (the next scan reads it again).
    if (!image) return;
    const { snapshot, key } = image;
    if (!imageChanged(known, key)) return;
    const sameMemory = key.startStack !== 0 && key.startStack === known.startStack;
    if (sameMemory && known.state !== 'pending' && snapshot.exepath === known.exepath) {
      // prctl(PR_SET_NAME) on the main thread: the same image under a new comm, no exec.
      known.name = key.name;
      return;
    }
    // The same memory with a new comm, or a stack shown at last, ends an exec caught half-way: its
    // event replaces the pending one.
    const settling = known.state === 'pending' && (sameMemory || known.startStack === 0);
    if (known.pending && !settling) this.#sink?.(known.pending);
    const ts =
      settling && known.pending ? String(known.pending.ints.ts) : String(BigInt(Date.now()) * 1_000_000n);
    const event = this.#execEvent(snapshot, ts);
    const next: Known = { ...imageKey(key), state: 'reported', exepath: snapshot.exepath };
    this.#known.set(pid, next);
    // Unmistakable: another comm with its own stack (or stacks never shown, as without root).
    const readable = key.startStack !== 0 || known.startStack === 0;
    if (settling || (key.name !== known.name && readable)) {
      this.#sink?.(event);
    } else {
      // New memory under the old comm (a program of the same name), or no stack shown yet (an
      // exec under way, whose command line may still be empty): reported once read again.
      next.state = 'pending';
      next.pending = event;
    }
  }

  /**
   * A pending image read the same again (a later scan, or the backend stopping): its exec is
   * reported, from this second read when there is one (the first may have caught an exec under
   * way), with the time of the first.
   */
  #settle(pid: number, known: Known, stat: StatKey | undefined, orAsIs: boolean): void {
    const pending = known.pending;
    const image = stat ? this.#readImage(pid, stat) : undefined;
    if (!pending || (!image && !orAsIs)) return;
    // Changed again since: the next scan takes it from there.
    if (image && imageChanged(known, image.key) && !orAsIs) return;
    known.state = 'reported';
    known.pending = undefined;
    if (image && !imageChanged(known, image.key)) {
      Object.assign(known, imageKey(image.key));
      known.exepath = image.snapshot.exepath;
      this.#sink?.(this.#execEvent(image.snapshot, String(pending.ints.ts)));
    } else {
      this.#sink?.(pending);
    }
  }

  #vanished(pid: number, known: Known, report: boolean): void {
    this.#known.delete(pid);
    if (!report) return;
    // The image it last had was its own, even if no second scan could confirm it.
    if (known.pending) this.#sink?.(known.pending);
    this.#sink?.({
      type: 'procexit',
      monoNs: process.hrtime.bigint(),
      cpu: 0,
      pid,
      tid: pid,
      ppid: known.ppid,
      euid: 0,
      egid: 0,
      ret: 0,
      // The exit status is gone with the process; 0 is reported.
      ints: { status: '0' },
      strs: {},
      comm: known.name,
    });
  }

  #execEvent(snapshot: ProcSnapshot, ts: string): RawEvent {
    return {
      type: 'procfs-exec',
      monoNs: process.hrtime.bigint(),
      cpu: 0,
      pid: snapshot.pid,
      tid: snapshot.pid,
      ppid: snapshot.ppid,
      euid: snapshot.uid,
      egid: snapshot.gid,
      ret: 0,
      ints: { ts },
      strs: { filename: snapshot.exepath ?? snapshot.argv[0] ?? snapshot.name },
      comm: snapshot.name,
      argv: snapshot.argv,
      argvTruncated: false,
    };
  }
}
