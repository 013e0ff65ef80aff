import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableSyscalls, ensureTracefs } from './bpftrace-backend.js';
import type { RawEvent } from './bpftrace-records.js';
import { type CaptureBackend, type CaptureCounters, CaptureError } from './capture-backend.js';
import {
  LibbpfRecordDecoder,
  type OpenRecord,
  parseLayout,
  RecordStreamError,
  type TypeLayout,
} from './libbpf-records.js';
import { PROCESS_TABLE_SYSCALLS } from './syscall-specs.js';

/** Options of the libbpf backend. */
export interface LibbpfBackendOptions {
  /** Path of peregrine-capture; found beside the package's build output when omitted. */
  loader?: string;
  /** Event types to trace (undefined = all). Exec and exit are always traced: the process tree needs them. */
  eventTypes?: ReadonlySet<string> | undefined;
  /** Size of the BPF ring buffer in bytes (rounded up to a power of two by the loader). */
  ringBytes?: number;
  /** How long loading and attaching may take. */
  startTimeoutMs?: number;
  /** Lines the loader writes to stderr, for the log. */
  onStderr?: (line: string) => void;
}

const LOADER = 'peregrine-capture';

/**
 * How often the loader drains the ring when it is not full enough to wake it (it wakes at once
 * past 256 KiB of records). Each drain wakes the loader and this process; 50 a second (the
 * loader's own default, 20 ms) cost a fixed share of a core at any rate. An event waits at most
 * this long more, against the 1 s a partial batch waits for the flush timer.
 */
const DRAIN_INTERVAL_MS = 100;

/**
 * The loader built by `npm run build:native` (`dist/native/peregrine-capture`), looked up from this
 * module's directory upwards so it is found from `dist/`, from `src/` under vitest and from the
 * benchmark's build.
 */
export function findCaptureLoader(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let n = 0; n < 5; n++) {
    for (const candidate of [join(dir, 'native', LOADER), join(dir, 'dist', 'native', LOADER)]) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here.
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** Why the libbpf backend cannot run here, or undefined when it can be tried. */
export function libbpfUnavailableReason(loader = findCaptureLoader()): CaptureError | undefined {
  if (process.getuid?.() !== 0)
    return new CaptureError('not-root', 'eBPF capture needs root (or CAP_BPF+CAP_PERFMON)');
  if (!loader)
    return new CaptureError(
      'no-loader',
      'peregrine-capture is not built (npm run build:native needs clang, bpftool and libbpf-dev)',
    );
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    return new CaptureError('no-btf', 'the kernel has no BTF (/sys/kernel/btf/vmlinux)');
  return undefined;
}

/** Default ring size: the same locked memory bpftrace's per-CPU perf buffers would take. */
export function defaultRingBytes(ringPages: number): number {
  return ringPages * 4096 * availableParallelism();
}

/**
 * Kernel capture through peregrine-capture (`native/`): a CO-RE BPF program on the syscall
 * tracepoints writes one binary record per event into a BPF ring buffer; the loader copies the
 * records to its stdout in large writes and this backend decodes them (libbpf-records.ts).
 * Ring-buffer overflows are counted in the kernel and reported in-band as `lost`; if the loader
 * dies, `onFatal` says so.
 */
export class LibbpfBackend implements CaptureBackend {
  readonly name = 'ebpf' as const;
  readonly mode = 'libbpf' as const;
  readonly counters: CaptureCounters = { lost: 0, malformed: 0 };
  onFatal?: (error: Error) => void;
  readonly #options: LibbpfBackendOptions;
  #child: ChildProcess | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #traced: string[] = [];

  constructor(options: LibbpfBackendOptions = {}) {
    this.#options = options;
  }

  /** The syscalls the running program traces (after start); procexit is always attached too. */
  get traced(): readonly string[] {
    return this.#traced.length > 0 ? [...this.#traced, 'procexit'] : [];
  }

  /** The loader's pid while it runs (for resource accounting). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(sink: (event: RawEvent) => void, open?: (record: OpenRecord) => boolean): Promise<void> {
    const loader = this.#options.loader ?? findCaptureLoader();
    const reason = libbpfUnavailableReason(loader);
    if (reason) throw reason;
    ensureTracefs();
    let layouts: Map<number, TypeLayout>;
    try {
      layouts = parseLayout(execFileSync(loader!, ['--layout'], { encoding: 'utf8' }));
    } catch (error) {
      throw new CaptureError('attach-failed', `cannot run ${loader}: ${(error as Error).message}`);
    }
    const available = availableSyscalls();
    const wanted = this.#options.eventTypes;
    // procexit is not a syscall: the loader always attaches it (the process table needs it).
    this.#traced = [...layouts.values()]
      .map((l) => l.name)
      .filter((name) => name !== 'procexit' && available.has(name))
      .filter((name) => !wanted || wanted.has(name) || PROCESS_TABLE_SYSCALLS.includes(name));
    const args = ['--types', this.#traced.join(','), '--exclude-pid', String(process.pid)];
    if (this.#options.ringBytes) args.push('--ring-bytes', String(this.#options.ringBytes));
    args.push('--flush-ms', String(DRAIN_INTERVAL_MS));
    const child = spawn(loader!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const stderr: string[] = [];
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stderr.push(line);
        if (stderr.length > 50) stderr.shift();
        this.#options.onStderr?.(line);
      }
    });
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      let failed = false;
      const timeoutMs = this.#options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        reject(new CaptureError('attach-failed', `${LOADER} did not attach within ${timeoutMs} ms`));
        child.kill('SIGKILL');
      }, timeoutMs);
      const decoder = new LibbpfRecordDecoder(layouts, {
        event: sink,
        ...(open ? { open } : {}),
        ready: () => {
          ready = true;
          clearTimeout(timer);
          resolve();
        },
        lost: (count) => {
          this.counters.lost += count;
        },
        malformed: () => {
          this.counters.malformed++;
        },
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          decoder.push(chunk);
        } catch (error) {
          if (!(error instanceof RecordStreamError)) throw error;
          // Out of step with the loader: nothing after this point can be trusted.
          failed = true;
          this.counters.malformed++;
          stderr.push(error.message);
          child.kill('SIGKILL');
        }
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new CaptureError('attach-failed', `cannot run ${LOADER}: ${error.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (decoder.pendingBytes > 0) this.counters.malformed++;
        const error = new CaptureError(
          'exited',
          `${LOADER} exited (code ${code}, signal ${signal}): ${stderr.slice(-5).join(' | ')}`,
        );
        if (!ready) reject(new CaptureError('attach-failed', error.message));
        else if (!this.#stopping) this.onFatal?.(error);
      });
    });
  }

  stop(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      this.#stopping = true;
      const child = this.#child;
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      // Detaching ~90 tracepoints takes the kernel a few seconds (an RCU grace period each).
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      kill.unref();
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
    return this.#stopped;
  }
}
