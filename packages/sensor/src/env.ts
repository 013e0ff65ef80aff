import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * The sensor's whole configuration: environment variables, overridden by command-line flags.
 * Nothing else in the sensor reads process.env. `.env.example` in this package lists every variable.
 */
const EnvSchema = z.object({
  PEREGRINE_COLLECTOR_URL: z.url().optional(),
  PEREGRINE_SENSOR_KEY: z.string().min(1).optional(),
  PEREGRINE_SENSOR_ID: z.string().min(1).max(200).optional(),
  PEREGRINE_BACKEND: z.enum(['auto', 'ebpf', 'libbpf', 'bpftrace', 'procfs']).default('auto'),
  PEREGRINE_SPOOL_DIR: z.string().default('/var/lib/peregrine-sensor/spool'),
  PEREGRINE_SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  PEREGRINE_QUEUE_SIZE: z.coerce.number().int().positive().default(100_000),
  PEREGRINE_BATCH_SIZE: z.coerce.number().int().positive().default(2000),
  PEREGRINE_FLUSH_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  PEREGRINE_SEND_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  PEREGRINE_HEARTBEAT_INTERVAL_S: z.coerce.number().positive().default(30),
  PEREGRINE_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(5000),
  PEREGRINE_PROCFS_INTERVAL_MS: z.coerce.number().int().positive().default(500),
  // bpftrace (perf) requires a power of two.
  PEREGRINE_RING_PAGES: z.coerce
    .number()
    .int()
    .positive()
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two')
    .default(2048),
  PEREGRINE_MAX_PROCESSES: z.coerce.number().int().positive().default(16_384),
  PEREGRINE_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

/** Validated sensor configuration. */
export interface SensorConfig {
  /** ship to a collector; standalone: evaluate rules locally (-r); capture: only write a capture file (-w). */
  mode: 'ship' | 'standalone' | 'capture';
  collectorUrl?: string;
  sensorKey?: string;
  sensorId: string;
  /** `ebpf` = libbpf, else bpftrace; `libbpf`/`bpftrace` force one of the two. */
  backend: 'auto' | 'ebpf' | 'libbpf' | 'bpftrace' | 'procfs';
  spoolDir: string;
  spoolMaxBytes: number;
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  /**
   * Attempts to send a batch from memory (1 s, doubling, up to 16 s apart) before it goes to the
   * disk spool; with the default 5 a batch waits about 15 s of an outage in memory.
   */
  sendAttempts: number;
  heartbeatIntervalMs: number;
  shutdownDeadlineMs: number;
  procfsIntervalMs: number;
  ringPages: number;
  maxProcesses: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Standalone: rules files (`-r`, repeatable). */
  rulesFiles: string[];
  /** Stop after this many seconds (`-M`; standalone then prints the summary); 0 = until a signal. */
  durationSeconds: number;
  /** Write what is captured to this `.scap` file (`-w`; `.gz` = gzip). */
  writeFile?: string;
  /** Bound of the capture file in bytes before gzip (`--max-size`); 0 = none. */
  maxCaptureBytes?: number;
  /** Standalone: emit alerts as JSON lines. */
  jsonOutput: boolean;
  /**
   * Standalone: text appended to every syscall rule's output (`-p`, as Falco's `-p`; `-pc` is
   * Falco's container shorthand), so alerts say which container even when the rule's output
   * does not. Undefined = nothing appended.
   */
  printFormat?: string;
  /** Print the generated bpftrace program and exit. */
  printProgram: boolean;
}

/** A coded configuration error (exit status 2). */
export class ConfigError extends Error {
  readonly code = 'config';
}

export const USAGE = `Usage: peregrine-sensor [options]

Ships kernel events to a Peregrine collector, or with -r evaluates rules locally like Falco,
or with -w writes them to a .scap capture file as sysdig -w does.

  -r, --rules FILE          standalone mode: load a Falco rules file (repeatable)
  -M, --duration TIME       stop after TIME (seconds, or 90s, 5m, 1h); standalone then
                            prints the summary
      --json                standalone: print alerts as JSON lines
  -p, --print FORMAT        standalone: append FORMAT to syscall rules' outputs, as
                            Falco's -p (-pc: container_id and container_name)
  -w, --write FILE          also write what is captured to FILE as a .scap capture (read
                            by sysdig -r, Falco and peregrine replay; FILE.gz = gzip);
                            without a collector or -r, only captures to the file
      --max-size SIZE       stop capturing once the capture holds SIZE bytes (before
                            gzip; 500K, 64M, 1G)
      --collector URL       collector base URL        (PEREGRINE_COLLECTOR_URL)
      --key KEY             sensor key                (PEREGRINE_SENSOR_KEY)
      --sensor-id ID        sensor id                 (PEREGRINE_SENSOR_ID, default machine-id)
      --backend NAME        auto | ebpf | libbpf | bpftrace | procfs
                            (PEREGRINE_BACKEND, default auto)
      --spool-dir DIR       on-disk spool             (PEREGRINE_SPOOL_DIR)
      --print-program       print the generated bpftrace program and exit
  -h, --help                this text
`;

function machineId(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    if (id) return id;
  } catch {
    // Containers often lack /etc/machine-id; the host name is the next best stable id.
  }
  return hostname();
}

/** Parses flags and environment into a config; throws ConfigError with a readable message. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): SensorConfig | 'help' {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (flags.values.help) return 'help';
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const e = parsed.data;
  const v = flags.values;
  const rulesFiles = v.rules ?? [];
  const backend = v.backend ?? e.PEREGRINE_BACKEND;
  if (!['auto', 'ebpf', 'libbpf', 'bpftrace', 'procfs'].includes(backend))
    throw new ConfigError(`--backend must be auto, ebpf, libbpf, bpftrace or procfs`);
  const duration = v.duration === undefined ? 0 : parseDuration(v.duration);
  if (duration === undefined) throw new ConfigError('-M/--duration needs a time such as 60, 60s, 5m or 1h');
  const maxCaptureBytes = v['max-size'] === undefined ? 0 : parseSize(v['max-size']);
  if (maxCaptureBytes === undefined)
    throw new ConfigError('--max-size needs a size such as 1048576, 500K, 64M or 1G');
  if (v['max-size'] !== undefined && !v.write)
    throw new ConfigError('--max-size bounds a capture file: give -w FILE');
  if (v.write !== undefined && v.write.trim() === '') throw new ConfigError('-w needs a file name');
  const url = v.collector ?? e.PEREGRINE_COLLECTOR_URL;
  const key = v.key ?? e.PEREGRINE_SENSOR_KEY;
  const config: SensorConfig = {
    mode: rulesFiles.length > 0 ? 'standalone' : v.write && !(url && key) ? 'capture' : 'ship',
    sensorId: v['sensor-id'] ?? e.PEREGRINE_SENSOR_ID ?? machineId(),
    backend: backend as SensorConfig['backend'],
    spoolDir: v['spool-dir'] ?? e.PEREGRINE_SPOOL_DIR,
    spoolMaxBytes: e.PEREGRINE_SPOOL_MAX_BYTES,
    queueSize: e.PEREGRINE_QUEUE_SIZE,
    batchSize: e.PEREGRINE_BATCH_SIZE,
    flushIntervalMs: e.PEREGRINE_FLUSH_INTERVAL_MS,
    sendAttempts: e.PEREGRINE_SEND_ATTEMPTS,
    heartbeatIntervalMs: e.PEREGRINE_HEARTBEAT_INTERVAL_S * 1000,
    shutdownDeadlineMs: e.PEREGRINE_SHUTDOWN_DEADLINE_MS,
    procfsIntervalMs: e.PEREGRINE_PROCFS_INTERVAL_MS,
    ringPages: e.PEREGRINE_RING_PAGES,
    maxProcesses: e.PEREGRINE_MAX_PROCESSES,
    logLevel: e.PEREGRINE_LOG_LEVEL,
    rulesFiles,
    durationSeconds: duration,
    ...(v.write ? { writeFile: v.write } : {}),
    maxCaptureBytes,
    jsonOutput: v.json ?? false,
    ...(v.print !== undefined ? { printFormat: printFormat(v.print) } : {}),
    printProgram: v['print-program'] ?? false,
  };
  if (url) config.collectorUrl = url;
  if (key) config.sensorKey = key;
  if (config.mode === 'ship' && !config.printProgram && (!config.collectorUrl || !config.sensorKey)) {
    throw new ConfigError(
      'shipping needs PEREGRINE_COLLECTOR_URL and PEREGRINE_SENSOR_KEY (or --collector/--key); use -r rules.yaml for standalone mode or -w FILE to write a capture',
    );
  }
  return config;
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      rules: { type: 'string', short: 'r', multiple: true },
      duration: { type: 'string', short: 'M' },
      json: { type: 'boolean' },
      print: { type: 'string', short: 'p' },
      write: { type: 'string', short: 'w' },
      'max-size': { type: 'string' },
      collector: { type: 'string' },
      key: { type: 'string' },
      'sensor-id': { type: 'string' },
      backend: { type: 'string' },
      'spool-dir': { type: 'string' },
      'print-program': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Falco's `-p` shorthands: `c`/`container` add the container's id and name. */
function printFormat(value: string): string {
  return value === 'c' || value === 'container'
    ? 'container_id=%container.id container_name=%container.name'
    : value;
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600 };

/** `60`, `60s`, `1.5m`, `2h` as seconds; undefined when it is not a time. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * TIME_UNITS[m[2]!]!;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** `1048576`, `500K`, `64M`, `1G` (also `KB`/`KiB`...) as bytes; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!);
  return bytes > 0 ? bytes : undefined;
}
