/**
 * Decoding of `POST /v1/sensor/events` bodies, both versions (packages/protocol sensor-api.ts):
 * version 1 (no `v`: every event whole) and version 2 (`"v": 2`: per-batch tables of processes,
 * containers and argument names, and one short row per event; sensor-batch-v2.ts). Either way the
 * result is the events as `WireSyscallEvent`s, each with its index in the batch, and the events
 * refused with the reason: one bad event (or one bad table entry, which refuses the events that
 * use it) never costs the others. Only a body that is not a batch at all is an error (400).
 *
 * Version 2 is checked the way version 1 is: hand-written read-only checks on the hot path (each
 * table entry once per batch, however many events use it), and zod, the authority, asked only to
 * explain a refusal. A row's references are bounds-checked before use, tables never refer to one
 * another, and ancestors nest 16 deep at most, so no input can make expansion loop or recurse
 * without end.
 */
import {
  CompactContainerSchema,
  type CompactEvent,
  CompactEventSchema,
  type CompactTables,
  compactEventReferenceErrors,
  expandCompactEvent,
  FdTypeSchema,
  ProcessInfoSchema,
  openSensorBatchV3,
  SENSOR_BATCH_V2,
  SensorBatchV3Error,
  type SensorBatchV3Rows,
  SensorEventBatchSchema,
  type SensorRejectedEvent,
  SensorIdSchema,
  SyscallEventSchema,
  type WireProcessInfo,
  type WireSyscallEvent,
} from '@peregrine/protocol';
import { z } from 'zod';
import { CollectorError } from '../http/errors.js';
import { CLEAN, type CleanReport, REPLACEMENT_CHARACTER } from './shared/clean-text.js';
import {
  isObj,
  isValidContainer,
  isValidPod,
  isValidProcess,
  isValidSyscallEvent,
} from './syscall-event-check.js';

/** A decoded batch: the events that passed, with their index in the batch, and the refused ones. */
export interface DecodedSensorBatch {
  version: 1 | 2 | 3;
  sensorId: string;
  batchId: string;
  /** Events in the body (accepted + refused). */
  count: number;
  events: Array<{ index: number; event: WireSyscallEvent }>;
  rejected: SensorRejectedEvent[];
  /** Accepted events in which characters were replaced (clean-text.ts), tables included. */
  sanitized: number;
}

/** The v1 envelope alone: events are validated one by one so a bad one is refused alone. */
const V1EnvelopeSchema = SensorEventBatchSchema.extend({ events: z.array(z.unknown()) });

/** The v2 envelope alone: tables and rows are checked entry by entry. */
const V2EnvelopeSchema = z.object({
  v: z.literal(SENSOR_BATCH_V2),
  sensorId: SensorIdSchema,
  batchId: z.string().min(1).max(100),
  seq: z.number().int().nonnegative(),
  hostname: z.string().optional(),
  procs: z.array(z.unknown()),
  argNames: z.array(z.unknown()),
  containers: z.array(z.unknown()),
  events: z.array(z.unknown()),
});

/** The first zod issue as `path: message`. */
export function issueText(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  const path = first.path.length ? `${first.path.join('.')}: ` : '';
  return `${path}${first.message}`;
}

/** zod's reason for refusing `value`, never throwing (a pathological value gets a generic one). */
function explain(schema: z.ZodType, value: unknown, fallback: string): string {
  try {
    const parsed = schema.safeParse(value);
    return parsed.success ? fallback : issueText(parsed.error);
  } catch {
    return fallback;
  }
}

/**
 * Decodes a sensor batch body of either version; throws CollectorError (400) when it is not one.
 * `report` is the cleaning report of the parsed body (counts the events it changed).
 */
export function decodeSensorBatch(body: unknown, report: CleanReport = CLEAN): DecodedSensorBatch {
  if (isObj(body) && body.v !== undefined) {
    if (body.v !== SENSOR_BATCH_V2)
      throw new CollectorError('INVALID_BODY', `unsupported batch version ${JSON.stringify(body.v)}`);
    return decodeV2(body, report);
  }
  return decodeV1(body, report);
}

function decodeV1(body: unknown, report: CleanReport): DecodedSensorBatch {
  const envelope = V1EnvelopeSchema.safeParse(body);
  if (!envelope.success)
    throw new CollectorError('INVALID_BODY', `invalid batch: ${issueText(envelope.error)}`);
  const { sensorId, batchId, events: raw } = envelope.data;
  const events: DecodedSensorBatch['events'] = [];
  const rejected: SensorRejectedEvent[] = [];
  for (let index = 0; index < raw.length; index++) {
    const value = raw[index];
    if (isValidSyscallEvent(value)) {
      events.push({ index, event: value as WireSyscallEvent });
      continue;
    }
    // The slow path: zod decides and says why.
    let parsed: ReturnType<typeof SyscallEventSchema.safeParse> | undefined;
    try {
      parsed = SyscallEventSchema.safeParse(value);
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) events.push({ index, event: parsed.data });
    else
      rejected.push({ index, error: parsed ? issueText(parsed.error) : 'invalid event (nested too deep)' });
  }
  // zod may have copied an event: ask about the parsed body's own object.
  const sanitized = report.replaced === 0 ? 0 : events.filter((e) => report.touched(raw[e.index])).length;
  return { version: 1, sensorId, batchId, count: raw.length, events, rejected, sanitized };
}

const EPOCH_NS = /^\d{1,20}$/;
const FD_TYPES: ReadonlySet<string> = new Set(FdTypeSchema.options);
const L4 = new Set(['tcp', 'udp', 'icmp', 'raw']);
const nonNegInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const nullableNonNegInt = (v: unknown) => v === null || nonNegInt(v);
const optional = (v: unknown) => v === undefined || v === null;
const optStrN = (v: unknown) => optional(v) || typeof v === 'string';
const optBoolN = (v: unknown) => optional(v) || typeof v === 'boolean';
const optPortN = (v: unknown) => optional(v) || (nonNegInt(v) && v <= 65535);
/** A string field, or the index of an argument (below `args`). */
const strOrArgN = (v: unknown, args: number) =>
  optional(v) || typeof v === 'string' || (nonNegInt(v) && v < args);

function compactFdOk(f: unknown, args: number): boolean {
  if (!Array.isArray(f) || f.length < 2 || f.length > 16) return false;
  if (!Number.isSafeInteger(f[0]) || typeof f[1] !== 'string' || !FD_TYPES.has(f[1])) return false;
  if (!strOrArgN(f[2], args) || !strOrArgN(f[3], args) || !strOrArgN(f[4], args) || !strOrArgN(f[5], args))
    return false;
  if (f.length <= 6) return true;
  if (!optional(f[6]) && (typeof f[6] !== 'string' || !L4.has(f[6]))) return false;
  if (!optStrN(f[7]) || !optPortN(f[8]) || !optStrN(f[9]) || !optPortN(f[10])) return false;
  if (!optBoolN(f[11]) || !optBoolN(f[12]) || !optBoolN(f[13]) || !optStrN(f[14])) return false;
  return optional(f[15]) || Number.isSafeInteger(f[15]);
}

/** Depth of nested `ancestors` (iterative: a hostile chain must not exhaust the stack here). */
function ancestorDepth(p: unknown): number {
  let depth = 0;
  let level: unknown[] = [p];
  while (level.length > 0 && depth <= 17) {
    const next: unknown[] = [];
    for (const q of level) {
      const a = isObj(q) ? q.ancestors : undefined;
      if (Array.isArray(a)) next.push(...a);
    }
    if (next.length > 0) depth++;
    level = next;
  }
  return depth;
}

/** Each table entry checked at most once per batch: true, or why not. */
class TableChecks {
  readonly #procs: Array<true | string | undefined>;
  readonly #names: Array<true | string | undefined>;
  readonly #containers: Array<true | string | undefined>;

  constructor(readonly tables: { procs: unknown[]; argNames: unknown[]; containers: unknown[] }) {
    this.#procs = new Array(tables.procs.length);
    this.#names = new Array(tables.argNames.length);
    this.#containers = new Array(tables.containers.length);
  }

  proc(i: number): true | string {
    let ok = this.#procs[i];
    if (ok === undefined) {
      const p = this.tables.procs[i];
      if (isValidProcess(p)) ok = true;
      else if (ancestorDepth(p) > 16) ok = `procs.${i}: ancestors nested more than 16 deep`;
      else ok = `procs.${i}: ${explain(ProcessInfoSchema, p, 'invalid process')}`;
      this.#procs[i] = ok;
    }
    return ok;
  }

  names(i: number): true | string {
    let ok = this.#names[i];
    if (ok === undefined) {
      const list = this.tables.argNames[i];
      ok =
        Array.isArray(list) && list.every((n) => typeof n === 'string')
          ? true
          : `argNames.${i}: expected an array of strings`;
      this.#names[i] = ok;
    }
    return ok;
  }

  container(i: number): true | string {
    let ok = this.#containers[i];
    if (ok === undefined) {
      const entry = this.tables.containers[i];
      if (
        isObj(entry) &&
        (entry.c === undefined || isValidContainer(entry.c)) &&
        (entry.k === undefined || isValidPod(entry.k))
      )
        ok = true;
      else ok = `containers.${i}: ${explain(CompactContainerSchema, entry, 'invalid container')}`;
      this.#containers[i] = ok;
    }
    return ok;
  }
}

/** Why a row is refused, or undefined when it is a valid event whose references resolve. */
function rowError(row: unknown, checks: TableChecks): string | undefined {
  const { procs, argNames, containers } = checks.tables;
  const shapeOk =
    Array.isArray(row) &&
    row.length >= 8 &&
    row.length <= 12 &&
    typeof row[0] === 'string' &&
    row[0].length > 0 &&
    typeof row[1] === 'string' &&
    EPOCH_NS.test(row[1]) &&
    nullableNonNegInt(row[2]) &&
    nullableNonNegInt(row[3]) &&
    (row[4] === null || Number.isSafeInteger(row[4])) &&
    nonNegInt(row[5]) &&
    nonNegInt(row[6]) &&
    Array.isArray(row[7]) &&
    (row[7] as unknown[]).every((v) => typeof v === 'string') &&
    (optional(row[8]) || compactFdOk(row[8], (row[7] as unknown[]).length)) &&
    (optional(row[9]) || nonNegInt(row[9])) &&
    (optional(row[10]) || row[10] === '<' || row[10] === '>') &&
    (optional(row[11]) || typeof row[11] === 'string');
  if (!shapeOk) {
    const parsed = CompactEventSchema.safeParse(row);
    if (!parsed.success) return issueText(parsed.error);
    // Shape fine by zod: what failed is a reference (an fd field naming a missing argument).
    return (
      compactEventReferenceErrors(parsed.data, { procs, argNames: argNames as unknown[][], containers })[0] ??
      'invalid event'
    );
  }
  const r = row as CompactEvent;
  if (r[5] >= procs.length) return `proc ${r[5]} is not in procs (${procs.length})`;
  const proc = checks.proc(r[5]);
  if (proc !== true) return proc;
  if (r[6] >= argNames.length) return `argNames ${r[6]} is not in argNames (${argNames.length})`;
  const names = checks.names(r[6]);
  if (names !== true) return names;
  const count = (argNames[r[6]] as unknown[]).length;
  if (count !== r[7].length) return `${r[7].length} argument values for ${count} argument names`;
  const c = r[9];
  if (c !== undefined && c !== null) {
    if (c >= containers.length) return `container ${c} is not in containers (${containers.length})`;
    const container = checks.container(c);
    if (container !== true) return container;
  }
  return undefined;
}

/** Accepted version-2 events that use a row or table entry in which characters were replaced. */
function sanitizedV2(
  batch: z.infer<typeof V2EnvelopeSchema>,
  events: DecodedSensorBatch['events'],
  report: CleanReport,
): number {
  if (report.replaced === 0) return 0;
  // A string is not tracked by itself: a batch hostname holding U+FFFD in a batch where something
  // was replaced is taken as replaced (at worst an over-count for a hostname sent with U+FFFD).
  const hostnameChanged = batch.hostname?.includes(REPLACEMENT_CHARACTER) === true;
  let n = 0;
  for (const { index } of events) {
    const row = batch.events[index] as CompactEvent;
    if (
      report.touched(row) ||
      report.touched(batch.procs[row[5]]) ||
      report.touched(batch.argNames[row[6]]) ||
      (row[9] != null && report.touched(batch.containers[row[9]])) ||
      (row[11] == null && hostnameChanged)
    )
      n++;
  }
  return n;
}

function decodeV2(body: Record<string, unknown>, report: CleanReport): DecodedSensorBatch {
  const envelope = V2EnvelopeSchema.safeParse(body);
  if (!envelope.success)
    throw new CollectorError('INVALID_BODY', `invalid batch: ${issueText(envelope.error)}`);
  const batch = envelope.data;
  const checks = new TableChecks(batch);
  const tables = batch as unknown as CompactTables;
  const events: DecodedSensorBatch['events'] = [];
  const rejected: SensorRejectedEvent[] = [];
  for (let index = 0; index < batch.events.length; index++) {
    const row = batch.events[index];
    const error = rowError(row, checks);
    if (error === undefined) events.push({ index, event: expandCompactEvent(row as CompactEvent, tables) });
    else rejected.push({ index, error });
  }
  return {
    version: 2,
    sensorId: batch.sensorId,
    batchId: batch.batchId,
    count: batch.events.length,
    events,
    rejected,
    sanitized: sanitizedV2(batch, events, report),
  };
}

/**
 * What is left to check of a process read from a version-3 body, whose fields have their types
 * by construction (integers are safe integers, ancestors nest 16 deep at most): that `pid` and
 * `name` are there and the times are epoch nanoseconds. The differential test against version 2
 * (which runs `isValidProcess`) holds the two to the same refusals.
 */
function v3ProcessOk(p: WireProcessInfo): boolean {
  if (p.pid === undefined || p.name === undefined) return false;
  if (p.startTs !== undefined && !EPOCH_NS.test(p.startTs)) return false;
  if (p.exeInoCtime !== undefined && !EPOCH_NS.test(p.exeInoCtime)) return false;
  if (p.exeInoMtime !== undefined && !EPOCH_NS.test(p.exeInoMtime)) return false;
  if (p.ancestors !== undefined)
    for (const a of p.ancestors) if (!v3ProcessOk(a as WireProcessInfo)) return false;
  return true;
}

/** Table checks of a version-3 batch: the same checks and messages as version 2's tables. */
const V3_CHECKS = {
  proc(p: WireProcessInfo, i: number): true | string {
    if (v3ProcessOk(p)) return true;
    return `procs.${i}: ${explain(ProcessInfoSchema, p, 'invalid process')}`;
  },
  container(entry: unknown, i: number): true | string {
    if (
      isObj(entry) &&
      (entry.c === undefined || isValidContainer(entry.c)) &&
      (entry.k === undefined || isValidPod(entry.k))
    )
      return true;
    return `containers.${i}: ${explain(CompactContainerSchema, entry, 'invalid container')}`;
  },
};

/** Envelope fields of a version-3 body, checked as the JSON versions check theirs. */
const V3HeadSchema = z.object({
  sensorId: SensorIdSchema,
  batchId: z.string().min(1).max(100),
  seq: z.number().int().nonnegative(),
});

/** A version-3 batch read and checked whole, its accepted events left in the body. */
export interface OpenedSensorBatchV3 {
  version: 3;
  sensorId: string;
  batchId: string;
  /** Events in the body (accepted + refused). */
  count: number;
  /** The accepted events, built on demand (`rows.event(k)`). */
  rows: SensorBatchV3Rows;
  rejected: SensorRejectedEvent[];
  /** Accepted events in which characters were replaced. */
  sanitized: number;
}

/**
 * Reads and checks a version-3 body (binary, sensor-batch-v3.ts) without building its events: no
 * JSON, one decode of the string table, each table entry built and checked once, every row
 * checked. Throws CollectorError (400) when the body cannot be read; a row that reads but does
 * not check out is refused alone.
 */
export function openSensorBatchV3Body(body: Uint8Array): OpenedSensorBatchV3 {
  let rows: SensorBatchV3Rows;
  try {
    rows = openSensorBatchV3(body, V3_CHECKS);
  } catch (error) {
    if (error instanceof SensorBatchV3Error)
      throw new CollectorError('INVALID_BODY', `invalid batch: ${error.message}`);
    throw error;
  }
  const head = V3HeadSchema.safeParse(rows.batch);
  if (!head.success) throw new CollectorError('INVALID_BODY', `invalid batch: ${issueText(head.error)}`);
  return {
    version: 3,
    sensorId: rows.batch.sensorId,
    batchId: rows.batch.batchId,
    count: rows.batch.count,
    rows,
    rejected: rows.refused,
    sanitized: rows.sanitized,
  };
}

/** Decodes a version-3 body into its events (`openSensorBatchV3Body`, every event built). */
export function decodeSensorBatchV3(body: Uint8Array): DecodedSensorBatch {
  const { rows, ...batch } = openSensorBatchV3Body(body);
  const events: DecodedSensorBatch['events'] = new Array(rows.accepted);
  for (let k = 0; k < rows.accepted; k++) events[k] = { index: rows.index(k), event: rows.event(k) };
  return { ...batch, events };
}
