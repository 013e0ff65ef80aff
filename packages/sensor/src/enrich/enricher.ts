import { hostname as osHostname } from 'node:os';
import type { WireSyscallEvent as SyscallEvent } from '@peregrine/protocol';
import { decodeHexEscaped, type RawEvent, splitArgv, splitEnv } from '../capture/bpftrace-records.js';
import type { OpenRecord } from '../capture/libbpf-records.js';
import { encodeTty } from '../capture/render.js';
import { ContainerMetadataCache } from './container-runtime.js';
import { MonotonicClock } from './monotonic-clock.js';
import { fillOpenArgs, type OpenEventParts } from './open-event.js';
import { resolvePath } from './resolve-path.js';
import { ProcessInfoBuilder } from './process-info.js';
import { type ProcEntry, ProcessTable } from './process-table.js';
import { SharedContainers } from './shared-containers.js';
import { SyscallEventBuilder } from './syscall-event-builder.js';
import { UserDb } from './user-db.js';

/**
 * The environment an exec record carries: decoded by the libbpf decoder, or bpftrace's
 * hex-escaped area, cut when the full length (`envLen`) is longer than what was read.
 */
function execEnv(raw: RawEvent): { env?: string[]; envTruncated?: boolean } {
  if (raw.env !== undefined) return { env: raw.env, envTruncated: raw.envTruncated ?? false };
  const text = raw.strs.env;
  if (text === undefined) return {};
  const area = decodeHexEscaped(text);
  const truncated = Number(raw.ints.envLen ?? 0) > area.length;
  return { env: splitEnv(area, truncated), envTruncated: truncated };
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

/**
 * Turns raw captured syscalls into Falco-model events: the process (with ancestors), user and
 * group names (`process-info.ts`), the per-syscall args and fd (`syscall-event-builder.ts`), the
 * shared container and pod objects (`shared-containers.ts`) and the epoch time
 * (`monotonic-clock.ts`). Opens also take a fast path straight into batch-row parts
 * (`open-event.ts`).
 */
export class Enricher {
  readonly processes: ProcessTable;
  readonly containers: ContainerMetadataCache;
  readonly users: UserDb;
  readonly #clock: MonotonicClock;
  readonly #hostname: string;
  readonly #procRoot: string;
  readonly #processInfo: ProcessInfoBuilder;
  readonly #events: SyscallEventBuilder;
  readonly #sharedContainers: SharedContainers;
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
    this.#clock = options.clock ?? new MonotonicClock();
    this.#processInfo = new ProcessInfoBuilder(
      this.processes,
      this.users,
      this.#procRoot,
      options.maxAncestors ?? 8,
    );
    this.#events = new SyscallEventBuilder(this.#procRoot, this.#processInfo);
    this.#sharedContainers = new SharedContainers(this.containers, options.maxContainers ?? 1024);
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
        ...execEnv(raw),
        ...(raw.ints.exeMemfd !== undefined ? { exeFromMemfd: Number(raw.ints.exeMemfd) === 1 } : {}),
      };
      entry = this.processes.onExec(facts);
    } else {
      entry = this.#processInfo.entryFor(raw);
      if ((raw.type === 'chdir' || raw.type === 'fchdir') && raw.ret === 0)
        this.#changedDirectory(entry, raw);
    }
    const proc = this.#processInfo.info(entry, raw, Number(raw.monoNs) / 1e6);
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
    this.#events.build(event, raw, entry);
    const container = entry.container;
    if (container) {
      const shared = this.#sharedContainers.get(container);
      event.container = shared.container;
      if (shared.k8s) event.k8s = shared.k8s;
    }
    if (raw.type === 'procexit') this.processes.onExit(raw.pid);
    return event;
  }

  /**
   * A process's new working directory (a successful chdir or fchdir): kept in the process table,
   * so its later relative paths, and those of what it execs, resolve against it even when the
   * process is gone from /proc before its events are enriched (`cd /etc && cat shadow`).
   */
  #changedDirectory(entry: ProcEntry, raw: RawEvent): void {
    const dir =
      raw.type === 'chdir'
        ? resolvePath(this.#procRoot, entry, raw.strs.path ?? '')
        : resolvePath(this.#procRoot, entry, '.', Number(raw.ints.fd));
    if (dir === undefined) return;
    entry.cwd = dir === '/' ? '/' : `${dir}/`;
    this.#processInfo.forget(entry);
  }

  /**
   * The open-family fast path: fills `parts` with exactly what `enrich` would ship for the record
   * (same process and container objects, same args and fd), without building the event.
   */
  enrichOpen(record: OpenRecord, parts: OpenEventParts): void {
    const ts = this.#clock.toEpochNs(record.monoNs);
    const entry = this.#processInfo.entryFor(record);
    parts.proc = this.#processInfo.info(entry, record, Number(record.monoNs) / 1e6);
    parts.type = record.type;
    parts.ts = ts;
    parts.num = ++this.#num;
    parts.cpu = record.cpu;
    parts.res = record.ret;
    fillOpenArgs(this.#procRoot, record, entry, parts);
    const container = entry.container;
    if (container) {
      const shared = this.#sharedContainers.get(container);
      parts.container = shared.container;
      parts.k8s = shared.k8s;
    } else {
      parts.container = undefined;
      parts.k8s = undefined;
    }
    parts.hostname = this.#hostname;
  }
}
