import { normalizePath } from '@peregrine/engine';
import { exeInUpperLayer } from './overlay.js';
import { type CgroupContainer, containerFromCgroup } from './cgroup.js';
import { LruCache } from './lru-cache.js';
import {
  CLOCK_TICKS,
  bootTimeSeconds,
  type ProcSnapshot,
  readProcess,
  renderCapabilities,
} from './procfs.js';

/** What the sensor knows about one process (thread group). */
export interface ProcEntry {
  pid: number;
  ppid: number;
  name: string;
  /** argv[0]. */
  exe?: string;
  exepath?: string;
  /** argv[1..]. */
  args: string[];
  cwd?: string;
  tty: number;
  sid?: number;
  pgid?: number;
  vpid?: number;
  vpgid?: number;
  uid: number;
  gid: number;
  loginuid: number;
  startTs?: string;
  capEffective?: string;
  capPermitted?: string;
  capInheritable?: string;
  /** null = host process; undefined = not known yet. */
  container?: CgroupContainer | null;
  /** `NAME=value` strings of the image's environment, within ENV_MAX_BYTES. */
  env?: string[];
  /** The image lives in an overlayfs upper layer (a container's written files); see overlay.ts. */
  exeUpperLayer?: boolean;
  /** The image runs from a memfd (fileless): decided in the kernel at exec when the backend can. */
  exeFromMemfd?: boolean;
}

/** Facts about an exec, as the capture backend saw it. */
export interface ExecFacts {
  pid: number;
  ppid: number;
  comm: string;
  filename: string;
  /** Full argv when known; `argvTruncated` when the kernel copy was cut. */
  argv: string[];
  argvTruncated: boolean;
  uid: number;
  gid: number;
  tty?: number;
  loginuid?: number;
  /** Epoch ns of the exec. */
  ts: string;
  /**
   * The process's cgroup in the default (v2) hierarchy as the kernel saw it at the exec (libbpf
   * backend): the path's components leaf first, each followed by `/`.
   */
  cgroup?: string;
  /** The new image's environment as the kernel copy had it; `envTruncated` when it was cut. */
  env?: string[];
  envTruncated?: boolean;
  /** Whether the new image runs from a memfd, as the kernel saw it at the exec (eBPF backends). */
  exeFromMemfd?: boolean;
}

/**
 * The container of a process at its exec. The cgroup the kernel recorded at the exec wins when it
 * names a container (v2 hierarchy). Otherwise /proc: a process keeps its cgroup across exec, so
 * /proc's cgroup is right even when the process has moved on to a later image (a shell exec'ing
 * its last command), and better than what was known before the exec (it may have been moved into
 * a container's cgroup since it was first seen). Only a process already gone falls back to that,
 * or to its parent's.
 */
function execContainer(
  facts: ExecFacts,
  live: ProcSnapshot | undefined,
  before: ProcEntry | undefined,
  parent: ProcEntry | undefined,
): CgroupContainer | null | undefined {
  const kernel = facts.cgroup ? containerFromCgroup(kernelCgroupLine(facts.cgroup)) : undefined;
  if (kernel) return kernel;
  if (live !== undefined && live.cgroup !== '') return containerFromCgroup(live.cgroup) ?? null;
  return before?.container ?? parent?.container;
}

/** The kernel's leaf-first cgroup components as a line of /proc/PID/cgroup (`0::/a/b`). */
export function kernelCgroupLine(components: string): string {
  return `0::/${components.split('/').filter(Boolean).reverse().join('/')}\n`;
}

/**
 * The process tree, fed by exec/exit events and by /proc on a miss. Events are enriched after the
 * fact, and a short-lived process may be gone from /proc by then; what its exec event carried is
 * therefore kept here, and what only /proc knows (cwd, session) is inherited from the parent,
 * which is where a fresh exec gets it from anyway. The table is an LRU with a hard bound.
 */
export class ProcessTable {
  readonly #entries: LruCache<number, ProcEntry>;
  readonly #procRoot: string;
  readonly #bootNs: bigint;
  /** /proc reads done (cache misses) since start. */
  procReads = 0;

  constructor(options: { maxEntries?: number; procRoot?: string } = {}) {
    this.#entries = new LruCache(options.maxEntries ?? 16_384);
    this.#procRoot = options.procRoot ?? '/proc';
    this.#bootNs = BigInt(bootTimeSeconds(this.#procRoot)) * 1_000_000_000n;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry for pid: cached, else read from /proc (undefined when the process is gone and unknown). */
  get(pid: number): ProcEntry | undefined {
    const hit = this.#entries.get(pid);
    if (hit) return hit;
    const snapshot = this.#read(pid);
    if (!snapshot) return undefined;
    const entry = this.#fromSnapshot(snapshot);
    this.#entries.set(pid, entry);
    return entry;
  }

  /** The cached entry (as recently used), without reading /proc. */
  cached(pid: number): ProcEntry | undefined {
    return this.#entries.get(pid);
  }

  /** The entry /proc shows now, not cached (undefined when the process is gone). */
  readLive(pid: number): ProcEntry | undefined {
    const snapshot = this.#read(pid);
    return snapshot ? this.#fromSnapshot(snapshot) : undefined;
  }

  /** Returns the cached entry without reading /proc. */
  peek(pid: number): ProcEntry | undefined {
    return this.#entries.peek(pid);
  }

  #read(pid: number): ProcSnapshot | undefined {
    if (pid <= 0) return undefined;
    this.procReads++;
    return readProcess(pid, this.#procRoot);
  }

  #fromSnapshot(s: ProcSnapshot): ProcEntry {
    const entry: ProcEntry = {
      pid: s.pid,
      ppid: s.ppid,
      name: s.name,
      args: s.argv.slice(1),
      tty: s.tty,
      sid: s.sid,
      pgid: s.pgid,
      uid: s.uid,
      gid: s.gid,
      loginuid: s.loginuid,
      startTs: (this.#bootNs + (BigInt(s.startTicks) * 1_000_000_000n) / BigInt(CLOCK_TICKS)).toString(),
      container: containerFromCgroup(s.cgroup) ?? null,
    };
    if (s.argv[0] !== undefined) entry.exe = s.argv[0];
    if (s.exepath !== undefined) entry.exepath = s.exepath;
    if (s.cwd !== undefined) entry.cwd = s.cwd;
    if (s.vpid !== undefined) entry.vpid = s.vpid;
    if (s.vpgid !== undefined) entry.vpgid = s.vpgid;
    if (s.capEffective !== undefined) entry.capEffective = renderCapabilities(s.capEffective);
    if (s.capPermitted !== undefined) entry.capPermitted = renderCapabilities(s.capPermitted);
    if (s.capInheritable !== undefined) entry.capInheritable = renderCapabilities(s.capInheritable);
    if (s.env !== undefined) entry.env = s.env;
    return entry;
  }

  /** Records a successful exec: the process keeps its pid but gets a new image. */
  onExec(facts: ExecFacts): ProcEntry {
    const before = this.#entries.peek(facts.pid);
    const parent = this.get(facts.ppid);
    const live = this.#read(facts.pid);
    // /proc is authoritative when the process is still there and has already switched image.
    const fresh = live && live.name === facts.comm ? this.#fromSnapshot(live) : undefined;
    const argv =
      fresh && (facts.argvTruncated || facts.argv.length === 0)
        ? [fresh.exe ?? '', ...fresh.args]
        : facts.argv;
    const entry: ProcEntry = {
      pid: facts.pid,
      ppid: facts.ppid,
      name: facts.comm,
      args: argv.slice(1),
      tty: facts.tty ?? fresh?.tty ?? before?.tty ?? parent?.tty ?? 0,
      uid: facts.uid,
      gid: facts.gid,
      loginuid: facts.loginuid ?? fresh?.loginuid ?? before?.loginuid ?? parent?.loginuid ?? -1,
      startTs: fresh?.startTs ?? before?.startTs ?? facts.ts,
    };
    const exe = argv[0] ?? facts.filename;
    entry.exe = exe;
    const cwd = fresh?.cwd ?? before?.cwd ?? parent?.cwd;
    if (cwd !== undefined) entry.cwd = cwd;
    const exepath =
      fresh?.exepath ??
      (facts.filename.startsWith('/')
        ? facts.filename
        : cwd
          ? normalizePath(cwd + facts.filename)
          : undefined);
    if (exepath !== undefined) entry.exepath = exepath;
    const sid = fresh?.sid ?? before?.sid ?? parent?.sid;
    const pgid = fresh?.pgid ?? before?.pgid ?? parent?.pgid;
    if (sid !== undefined) entry.sid = sid;
    if (pgid !== undefined) entry.pgid = pgid;
    const vpid = fresh?.vpid ?? before?.vpid;
    const vpgid = fresh?.vpgid ?? before?.vpgid;
    if (vpid !== undefined) entry.vpid = vpid;
    if (vpgid !== undefined) entry.vpgid = vpgid;
    for (const key of ['capEffective', 'capPermitted', 'capInheritable'] as const) {
      const value = fresh?.[key] ?? before?.[key];
      if (value !== undefined) entry[key] = value;
    }
    const container = execContainer(facts, live, before, parent);
    if (container !== undefined) entry.container = container;
    // Asked of the live process only in a container (overlay root filesystems are theirs).
    if (container && exepath !== undefined && live) {
      const paths = [facts.filename, ...(fresh?.exepath ? [fresh.exepath] : []), exepath];
      const upper = exeInUpperLayer(facts.pid, paths, this.#procRoot);
      if (upper !== undefined) entry.exeUpperLayer = upper;
    }
    // The kernel's copy is the image's own; a cut one is completed from /proc while the process lives.
    const env = facts.env === undefined || facts.envTruncated ? (fresh?.env ?? facts.env) : facts.env;
    if (env !== undefined) entry.env = env;
    if (facts.exeFromMemfd !== undefined) entry.exeFromMemfd = facts.exeFromMemfd;
    this.#entries.set(facts.pid, entry);
    return entry;
  }

  /** Stores an entry built elsewhere (for a process /proc no longer shows). */
  remember(entry: ProcEntry): void {
    this.#entries.set(entry.pid, entry);
  }

  /** Forgets an exited process. */
  onExit(pid: number): void {
    this.#entries.delete(pid);
  }

  /** Parent first, up to `max` levels, stopping after pid 1 or at an unknown process. */
  ancestors(entry: ProcEntry, max = 16): ProcEntry[] {
    const chain: ProcEntry[] = [];
    const seen = new Set<number>([entry.pid]);
    let ppid = entry.ppid;
    while (chain.length < max && ppid > 0 && !seen.has(ppid)) {
      const parent = this.get(ppid);
      if (!parent) break;
      chain.push(parent);
      seen.add(ppid);
      ppid = parent.ppid;
    }
    return chain;
  }
}
