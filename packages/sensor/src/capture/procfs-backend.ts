import { readFileSync } from 'node:fs';
import { bootTimeSeconds, CLOCK_TICKS, listPids, parseStat, readProcess } from '../enrich/procfs.js';
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

interface Known {
  startTicks: number;
  /** comm as /proc/PID/stat shows it; an exec changes it. */
  name: string;
}

/**
 * The fallback that needs no privileges: scans /proc periodically and reports new processes as
 * `execve` events (and a changed image under the same pid as another exec), vanished ones as
 * `procexit`. It sees no file, network or privilege syscalls at all; see the README's blind spots.
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
      const known = this.#known.get(pid);
      // stat alone tells whether this is the process we know: same start time, same comm.
      let statText: string;
      try {
        statText = readFileSync(`${this.#procRoot}/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const stat = parseStat(statText);
      if (!stat) continue;
      if (known && known.startTicks === stat.startTicks && known.name === stat.name) continue;
      const snapshot = readProcess(pid, this.#procRoot);
      if (!snapshot) continue;
      const reexec = known !== undefined && known.startTicks === snapshot.startTicks;
      this.#known.set(pid, { startTicks: snapshot.startTicks, name: snapshot.name });
      // Kernel threads have no command line and are children of kthreadd (pid 2).
      if (!report || (snapshot.argv.length === 0 && (snapshot.ppid === 2 || pid === 2))) continue;
      const startNs = this.#bootNs + (BigInt(snapshot.startTicks) * 1_000_000_000n) / BigInt(CLOCK_TICKS);
      this.#sink?.({
        type: 'procfs-exec',
        monoNs: process.hrtime.bigint(),
        cpu: 0,
        pid,
        tid: pid,
        ppid: snapshot.ppid,
        euid: snapshot.uid,
        egid: snapshot.gid,
        ret: 0,
        ints: { ts: reexec ? String(BigInt(Date.now()) * 1_000_000n) : startNs.toString() },
        strs: { filename: snapshot.exepath ?? snapshot.argv[0] ?? snapshot.name },
        comm: snapshot.name,
        argv: snapshot.argv,
        argvTruncated: false,
      });
    }
    for (const [pid, known] of this.#known) {
      if (seen.has(pid)) continue;
      this.#known.delete(pid);
      if (!report) continue;
      this.#sink?.({
        type: 'procexit',
        monoNs: process.hrtime.bigint(),
        cpu: 0,
        pid,
        tid: pid,
        ppid: 0,
        euid: 0,
        egid: 0,
        ret: 0,
        // The exit status is gone with the process; 0 is reported.
        ints: { status: '0' },
        strs: {},
        comm: known.name,
      });
    }
  }
}
