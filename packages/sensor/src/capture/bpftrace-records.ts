import { COMMON_FIELDS, headerLayout } from './syscall-specs.js';

/** One captured syscall as the kernel reported it, before rendering and enrichment. */
export interface RawEvent {
  type: string;
  /**
   * CLOCK_MONOTONIC nanoseconds (bpftrace `nsecs`): a number when it is below 2^53 (exact; a host
   * up for less than 104 days), else a bigint.
   */
  monoNs: bigint | number;
  cpu: number;
  pid: number;
  tid: number;
  ppid: number;
  euid: number;
  egid: number;
  /** Syscall return value (0 for procexit). */
  ret: number;
  /**
   * Per-type numeric (or IP text) fields by name: a number when it is exact as one, else its
   * decimal text (64-bit values beyond 2^53, as a pointer or flag word can be).
   */
  ints: Record<string, string | number>;
  /** Per-type string fields by name. */
  strs: Record<string, string>;
  /** Thread comm at exit. */
  comm: string;
  /** Decoded argv, when the backend has it directly (the /proc backend). */
  argv?: string[];
  /** True when argv was cut by the capture's length bound. */
  argvTruncated?: boolean;
  /** Decoded environment of an exec'd image (`NAME=value`), when the backend has it directly. */
  env?: string[];
  /** True when the environment was cut by the capture's length bound (its last variable is dropped). */
  envTruncated?: boolean;
}

/** What one line of bpftrace's `-f json` output meant. */
export type RecordResult =
  | { kind: 'event'; event: RawEvent }
  | { kind: 'lost'; count: number }
  | { kind: 'ready' }
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string };

const SEP = '\x1f';
const LAYOUT = headerLayout();
const HEADER_FIXED = 2 + COMMON_FIELDS.length;
/** Threads with a header waiting for its strings, at most (each thread has at most one). */
const MAX_PENDING = 4096;

interface Pending {
  event: RawEvent;
  names: string[];
  expected: number;
  received: number;
}

/**
 * Reassembles bpftrace records into events. A header announces how many string records of the
 * same thread follow; those come from the same probe firing on the same CPU, so they arrive before
 * any other record of that thread. Records are matched by tid anyway, so output from other CPUs
 * interleaving between them does no harm.
 */
export class BpftraceRecordAssembler {
  readonly #pending = new Map<number, Pending>();
  /** Headers whose string records never arrived (lost in the ring buffer, or cut by shutdown). */
  incomplete = 0;

  /** Feed one output line; returns what it completed. */
  push(line: string): RecordResult {
    if (line.length === 0) return { kind: 'none' };
    let record: { type?: unknown; data?: unknown };
    try {
      record = JSON.parse(line) as { type?: unknown; data?: unknown };
    } catch {
      return { kind: 'malformed', reason: `not JSON: ${line.slice(0, 80)}` };
    }
    if (record.type === 'lost_events') {
      const events = (record.data as { events?: unknown } | undefined)?.events;
      return { kind: 'lost', count: typeof events === 'number' ? events : 0 };
    }
    if (record.type !== 'printf' || typeof record.data !== 'string') return { kind: 'none' };
    // bpftrace keeps the trailing newline of the format in `data`.
    const data = record.data.endsWith('\n') ? record.data.slice(0, -1) : record.data;
    return this.pushData(data);
  }

  /** Feed the text of one printf record. */
  pushData(data: string): RecordResult {
    if (data === 'READY') return { kind: 'ready' };
    if (data.startsWith(`S${SEP}`)) return this.#string(data);
    return this.#header(data);
  }

  #string(data: string): RecordResult {
    const sep = data.indexOf(SEP, 2);
    if (sep < 0) return { kind: 'malformed', reason: 'string record without tid' };
    const tid = Number(data.slice(2, sep));
    const pending = this.#pending.get(tid);
    if (!pending) return { kind: 'malformed', reason: `string record for tid ${tid} without a header` };
    const name = pending.names[pending.received] ?? `s${pending.received}`;
    pending.event.strs[name] = data.slice(sep + 1);
    pending.received++;
    if (pending.received < pending.expected) return { kind: 'none' };
    this.#pending.delete(tid);
    return { kind: 'event', event: pending.event };
  }

  #header(data: string): RecordResult {
    const typeEnd = data.indexOf(SEP);
    const type = typeEnd < 0 ? data : data.slice(0, typeEnd);
    const layout = LAYOUT.get(type);
    if (!layout)
      return { kind: 'malformed', reason: `unknown record type ${JSON.stringify(type.slice(0, 40))}` };
    // Split only as far as the fixed fields go: comm is the rest of the line, whatever it contains.
    const fixed = HEADER_FIXED + layout.ints.length;
    const parts: string[] = [];
    let start = 0;
    for (let n = 0; n < fixed; n++) {
      const end = data.indexOf(SEP, start);
      if (end < 0) return { kind: 'malformed', reason: `${type}: expected ${fixed + 1} fields` };
      parts.push(data.slice(start, end));
      start = end + 1;
    }
    const comm = data.slice(start);
    const num = (index: number) => Number(parts[index]);
    const ints: Record<string, string> = {};
    layout.ints.forEach((name, n) => {
      ints[name] = parts[HEADER_FIXED + n] ?? '';
    });
    const event: RawEvent = {
      type,
      monoNs: BigInt(parts[2] ?? '0'),
      cpu: num(3),
      pid: num(4),
      tid: num(5),
      ppid: num(6),
      euid: num(7),
      egid: num(8),
      ret: num(9),
      ints,
      strs: {},
      comm,
    };
    const expected = num(1);
    if (!Number.isInteger(event.pid) || !Number.isInteger(event.tid) || !Number.isInteger(expected)) {
      return { kind: 'malformed', reason: `${type}: non-numeric header field` };
    }
    if (this.#pending.delete(event.tid)) this.incomplete++;
    if (expected === 0) return { kind: 'event', event };
    // Headers whose strings were lost would otherwise wait forever for a tid that never returns.
    if (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value as number;
      this.#pending.delete(oldest);
      this.incomplete++;
    }
    this.#pending.set(event.tid, { event, names: layout.strs, expected, received: 0 });
    return { kind: 'none' };
  }
}

/** Decodes bpftrace's `%rx` rendering (`\x2f\x62...`) into bytes. */
export function decodeHexEscaped(text: string): Buffer {
  const bytes: number[] = [];
  for (let n = 0; n + 3 < text.length && text.startsWith('\\x', n); n += 4) {
    bytes.push(Number.parseInt(text.slice(n + 2, n + 4), 16));
  }
  return Buffer.from(bytes);
}

/**
 * The environment kept of an exec'd image, in bytes of its NUL-separated area: libscap's
 * SCAP_MAX_ENV_SIZE, the bound Falco itself reads `proc.env` within. The libbpf program reads this
 * much in the kernel; bpftrace reads 200 bytes and the rest comes from /proc/PID/environ.
 */
export const ENV_MAX_BYTES = 4096;

/**
 * Splits a NUL-separated environment area into `NAME=value` strings. A cut area ends inside a
 * variable: that partial variable is dropped rather than shipped with a wrong value.
 */
export function splitEnv(area: Buffer, truncated: boolean): string[] {
  if (area.length === 0) return [];
  const vars = area.toString('utf8').split('\0');
  const last = vars.length - 1;
  if (vars[last] === '' || truncated) vars.pop();
  return vars.filter((v) => v !== '');
}

/** Splits a NUL-separated argv area into arguments (a trailing NUL ends the last one). */
export function splitArgv(area: Buffer): string[] {
  const args = area.toString('utf8').split('\0');
  if (args.length > 0 && args[args.length - 1] === '') args.pop();
  return args;
}
