import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateBpftraceProgram } from './bpftrace-program.js';
import { PROCESS_TABLE_SYSCALLS, SYSCALL_SPECS } from './syscall-specs.js';
import { BpftraceRecordAssembler, type RawEvent } from './bpftrace-records.js';
import { type CaptureBackend, type CaptureCounters, CaptureError } from './capture-backend.js';

/** Options of the eBPF backend. */
export interface BpftraceBackendOptions {
  /** Path of bpftrace; found on PATH when omitted. */
  bpftrace?: string;
  /** Event types to trace (undefined = all). Exec and exit are always traced: the process tree needs them. */
  eventTypes?: ReadonlySet<string> | undefined;
  /** Per-CPU perf ring buffer pages; more pages absorb bigger bursts before the kernel drops events. */
  ringPages?: number;
  /** How long attaching may take. */
  startTimeoutMs?: number;
  /** Lines bpftrace writes to stderr, for the log. */
  onStderr?: (line: string) => void;
}

const TRACEFS = '/sys/kernel/tracing';

/** Finds an executable on PATH. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Mounts tracefs when the syscall tracepoints are not visible (minimal hosts and containers). */
export function ensureTracefs(): void {
  if (existsSync(`${TRACEFS}/events/syscalls`) || existsSync('/sys/kernel/debug/tracing/events/syscalls'))
    return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'ignore' });
  } catch {
    // bpftrace reports the missing tracepoints itself, with a better message.
  }
}

/** Syscall tracepoints this kernel offers (`sys_enter_<name>` exists). */
export function availableSyscalls(): Set<string> {
  for (const root of [TRACEFS, '/sys/kernel/debug/tracing']) {
    try {
      return new Set(
        readdirSync(`${root}/events/syscalls`)
          .filter((n) => n.startsWith('sys_enter_'))
          .map((n) => n.slice('sys_enter_'.length)),
      );
    } catch {
      // Try the next mount point.
    }
  }
  return new Set();
}

/** Why eBPF capture cannot run here, or undefined when it can be tried. */
export function ebpfUnavailableReason(bpftrace = findExecutable('bpftrace')): CaptureError | undefined {
  if (process.getuid?.() !== 0)
    return new CaptureError('not-root', 'eBPF capture needs root (or CAP_BPF+CAP_PERFMON)');
  if (!bpftrace)
    return new CaptureError('no-bpftrace', 'bpftrace is not installed (apt-get install bpftrace)');
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    return new CaptureError('no-btf', 'the kernel has no BTF (/sys/kernel/btf/vmlinux)');
  return undefined;
}

/**
 * Kernel capture by driving bpftrace with a generated program (see bpftrace-program.ts) and
 * parsing its JSON output. bpftrace's "lost events" reports are counted; if bpftrace dies, the
 * backend reports it through `onFatal` so the sensor can fall back or exit.
 */
export class BpftraceBackend implements CaptureBackend {
  readonly name = 'ebpf' as const;
  readonly mode = 'bpftrace' as const;
  readonly counters: CaptureCounters = { lost: 0, malformed: 0 };
  onFatal?: (error: Error) => void;
  readonly #options: BpftraceBackendOptions;
  #child: ChildProcess | undefined;
  #dir: string | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #traced: string[] = [];

  constructor(options: BpftraceBackendOptions = {}) {
    this.#options = options;
  }

  /** The event types the generated program traces (after start), procexit included. */
  get traced(): readonly string[] {
    return this.#traced;
  }

  async start(sink: (event: RawEvent) => void): Promise<void> {
    const bpftrace = this.#options.bpftrace ?? findExecutable('bpftrace');
    const reason = ebpfUnavailableReason(bpftrace);
    if (reason) throw reason;
    ensureTracefs();
    const traced = this.#options.eventTypes
      ? new Set([...this.#options.eventTypes, ...PROCESS_TABLE_SYSCALLS, 'procexit'])
      : undefined;
    const available = availableSyscalls();
    const program = generateBpftraceProgram({ eventTypes: traced, available, sensorPid: process.pid });
    // The same selection generateBpftraceProgram makes, kept to report the coverage.
    this.#traced = [
      ...SYSCALL_SPECS.map((spec) => spec.name).filter(
        (name) => (!traced || traced.has(name)) && available.has(name),
      ),
      'procexit',
    ];
    this.#dir = mkdtempSync(join(tmpdir(), 'peregrine-bpftrace-'));
    const file = join(this.#dir, 'sensor.bt');
    writeFileSync(file, program);
    const child = spawn(bpftrace!, ['-f', 'json', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        BPFTRACE_STRLEN: '200',
        BPFTRACE_MAP_KEYS_MAX: '65536',
        BPFTRACE_PERF_RB_PAGES: String(this.#options.ringPages ?? 2048),
      },
    });
    this.#child = child;
    const assembler = new BpftraceRecordAssembler();
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      // bpftrace always warns that it could not raise RLIMIT_MEMLOCK; kernels >= 5.11 do not need it.
      if (line.includes('RLIMIT_MEMLOCK')) return;
      stderr.push(line);
      if (stderr.length > 50) stderr.shift();
      this.#options.onStderr?.(line);
    });
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(
          new CaptureError(
            'attach-failed',
            `bpftrace did not attach within ${this.#options.startTimeoutMs ?? 60_000} ms`,
          ),
        );
        child.kill('SIGKILL');
      }, this.#options.startTimeoutMs ?? 60_000);
      // Lines are split by hand: readline's per-line machinery showed in profiles at 10k+ events/s.
      let rest = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        const text = rest + chunk;
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          onLine(text.slice(start, nl));
          start = nl + 1;
        }
        rest = text.slice(start);
      });
      const onLine = (line: string) => {
        const result = assembler.push(line);
        switch (result.kind) {
          case 'event':
            sink(result.event);
            break;
          case 'lost':
            this.counters.lost += result.count;
            break;
          case 'malformed':
            this.counters.malformed++;
            break;
          case 'ready':
            ready = true;
            clearTimeout(timer);
            resolve();
            break;
          default:
            break;
        }
      };
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new CaptureError('attach-failed', `cannot run bpftrace: ${error.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.counters.malformed += assembler.incomplete;
        const error = new CaptureError(
          'exited',
          `bpftrace exited (code ${code}, signal ${signal}): ${stderr.slice(-5).join(' | ')}`,
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
      const cleanup = () => {
        if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
        resolve();
      };
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        cleanup();
        return;
      }
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      kill.unref();
      child.once('exit', () => {
        clearTimeout(kill);
        cleanup();
      });
      // SIGINT lets bpftrace detach its probes cleanly.
      child.kill('SIGINT');
    });
    return this.#stopped;
  }
}
