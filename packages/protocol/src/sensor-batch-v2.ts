import { z } from 'zod';
import {
  ContainerInfoSchema,
  EpochNsSchema,
  FdTypeSchema,
  PodInfoSchema,
  ProcessInfoSchema,
  type WireContainerInfo,
  type WireFdInfo,
  type WirePodInfo,
  type WireProcessInfo,
  type WireSyscallEvent,
} from './sensor-event.js';

/**
 * Version 2 of the event batch body (`POST /v1/sensor/events`, see sensor-api.ts): the same events
 * as version 1, written once per batch what recurs. A version-1 event carries its whole process
 * (ancestors, args, cwd, user, capabilities...: about 2 KB of JSON) and its container; within one
 * batch the same few processes recur thousands of times. Version 2 sends:
 *
 * - `procs`: each distinct process object of the batch once (exactly a v1 `proc`, ancestors inline);
 * - `containers`: each distinct container/pod pair once (`c` = v1 `container`, `k` = v1 `k8s`);
 * - `argNames`: each distinct list of argument names once (`["fd","dirfd","name","flags","mode"]`);
 * - `hostname`: the events' host name once;
 * - `events`: one positional array per event (`CompactEventSchema`): type, ts, num, cpu, res,
 *   process index, arg-names index, the argument values, a positional fd (`CompactFdSchema`), a
 *   container index, and rarely a direction or host name of its own.
 *
 * `expandCompactEvent` turns a row back into the v1 `WireSyscallEvent`: events of one process share
 * one `proc` object. There are no references between table entries, so a batch cannot describe a
 * cycle. The batch says `"v": 2`; a body without `v` is version 1. The collector advertises the
 * versions it reads in `SensorConfig.batchVersions`; a sensor sends v2 only to a collector that
 * lists it.
 */

/** The `v` of a version-2 batch. */
export const SENSOR_BATCH_V2 = 2;

/** Index into one of the batch's tables. */
const TableIndexSchema = z.number().int().nonnegative();
/** A string field of the fd, or the index of the event argument whose value it equals. */
const StringOrArgSchema = z.union([z.string(), z.number().int().nonnegative()]);
const PortSchema = z.number().int().min(0).max(65535);

/**
 * `WireFdInfo` as a positional array (arrays are cheaper than objects for JSON on both sides):
 * `[num, type, name, nameraw, openFlags, openMode, l4proto, cip, cport, sip, sport, isClient,
 * connected, nameChanged, ino, dev]`, null for an absent field and trailing absent fields left
 * out. `name`, `nameraw`, `openFlags` and `openMode` may be the index of the event argument whose
 * value they equal instead of repeating it (an open's `fd.name` is usually its `name` argument).
 */
export const CompactFdSchema = z.tuple([
  z.number().int(),
  FdTypeSchema,
  StringOrArgSchema.nullable().optional(),
  StringOrArgSchema.nullable().optional(),
  StringOrArgSchema.nullable().optional(),
  StringOrArgSchema.nullable().optional(),
  z.enum(['tcp', 'udp', 'icmp', 'raw']).nullable().optional(),
  z.string().nullable().optional(),
  PortSchema.nullable().optional(),
  z.string().nullable().optional(),
  PortSchema.nullable().optional(),
  z.boolean().nullable().optional(),
  z.boolean().nullable().optional(),
  z.boolean().nullable().optional(),
  z.string().nullable().optional(),
  z.number().int().nullable().optional(),
]);

/** Positions in a compact fd of the fields that may name an argument. */
export const COMPACT_FD_ARG_FIELDS = [2, 3, 4, 5] as const;

/**
 * One event: `[type, ts, num, cpu, res, proc, argNames, argValues, fd?, container?, dir?, hostname?]`.
 * `num`, `cpu`, `res` are null when absent; `proc` indexes `procs`, `argNames` indexes `argNames`
 * (whose list has as many names as `argValues` has values); `fd` and `container` are null or left
 * out when absent; `dir` defaults to `<` and `hostname` to the batch's.
 */
export const CompactEventSchema = z.tuple([
  z.string().min(1),
  EpochNsSchema,
  z.number().int().nonnegative().nullable(),
  z.number().int().nonnegative().nullable(),
  z.number().int().nullable(),
  TableIndexSchema,
  TableIndexSchema,
  z.array(z.string()),
  CompactFdSchema.nullable().optional(),
  TableIndexSchema.nullable().optional(),
  z.enum(['>', '<']).nullable().optional(),
  z.string().nullable().optional(),
]);

/** A container table entry: the v1 `container` and `k8s` of the events that reference it. */
export const CompactContainerSchema = z.object({
  c: ContainerInfoSchema.optional(),
  k: PodInfoSchema.optional(),
});

/** Table references of one event that do not resolve, as messages (empty when all resolve). */
export function compactEventReferenceErrors(
  row: CompactEvent,
  tables: {
    procs: readonly unknown[];
    argNames: readonly (readonly unknown[])[];
    containers: readonly unknown[];
  },
): string[] {
  const errors: string[] = [];
  const [, , , , , proc, names, values, fd, container] = row;
  if (proc >= tables.procs.length) errors.push(`proc ${proc} is not in procs (${tables.procs.length})`);
  const list = tables.argNames[names];
  if (!list) errors.push(`argNames ${names} is not in argNames (${tables.argNames.length})`);
  else if (list.length !== values.length)
    errors.push(`${values.length} argument values for ${list.length} argument names`);
  if (fd) {
    for (const at of COMPACT_FD_ARG_FIELDS) {
      const ref = fd[at];
      if (typeof ref === 'number' && ref >= values.length)
        errors.push(`fd.${at} names argument ${ref} of ${values.length}`);
    }
  }
  if (container != null && container >= tables.containers.length)
    errors.push(`container ${container} is not in containers (${tables.containers.length})`);
  return errors;
}

/** A version-2 batch (`"v": 2`), `POST /v1/sensor/events`. */
export const SensorEventBatchV2Schema = z
  .object({
    v: z.literal(SENSOR_BATCH_V2),
    sensorId: z.string().min(1).max(200),
    batchId: z.string().min(1).max(100),
    seq: z.number().int().nonnegative(),
    /** Host name of every event that does not name its own. */
    hostname: z.string().optional(),
    procs: z.array(ProcessInfoSchema),
    argNames: z.array(z.array(z.string())),
    containers: z.array(CompactContainerSchema),
    events: z.array(CompactEventSchema),
  })
  .superRefine((batch, ctx) => {
    batch.events.forEach((row, index) => {
      for (const message of compactEventReferenceErrors(row, batch))
        ctx.addIssue({ code: 'custom', path: ['events', index], message });
    });
  });

/** One event of a version-2 batch. */
export type CompactEvent = z.infer<typeof CompactEventSchema>;
/** An fd of a version-2 event. */
export type CompactFd = z.infer<typeof CompactFdSchema>;
/** A container table entry of a version-2 batch. */
export type CompactContainer = z.infer<typeof CompactContainerSchema>;
/** A version-2 batch. */
export type SensorEventBatchV2 = z.infer<typeof SensorEventBatchV2Schema>;

/** The tables an event row refers to (a version-2 batch, or the parts of one). */
export interface CompactTables {
  hostname?: string | undefined;
  procs: readonly WireProcessInfo[];
  argNames: readonly (readonly string[])[];
  containers: readonly { c?: WireContainerInfo | undefined; k?: WirePodInfo | undefined }[];
}

function fdString(value: string | number | null | undefined, values: readonly string[]): string | undefined {
  return typeof value === 'number' ? values[value] : (value ?? undefined);
}

/** The v1 fd of a compact one. */
export function expandCompactFd(fd: CompactFd, values: readonly string[]): WireFdInfo {
  const out: WireFdInfo = { num: fd[0], type: fd[1] };
  const n = fd.length;
  if (n <= 2) return out;
  if (fd[2] != null) out.name = fdString(fd[2], values) as string;
  if (fd[3] != null) out.nameraw = fdString(fd[3], values) as string;
  if (fd[4] != null) out.openFlags = fdString(fd[4], values) as string;
  if (fd[5] != null) out.openMode = fdString(fd[5], values) as string;
  if (n <= 6) return out;
  if (fd[6] != null) out.l4proto = fd[6];
  if (fd[7] != null) out.cip = fd[7];
  if (fd[8] != null) out.cport = fd[8];
  if (fd[9] != null) out.sip = fd[9];
  if (fd[10] != null) out.sport = fd[10];
  if (fd[11] != null) out.isClient = fd[11];
  if (fd[12] != null) out.connected = fd[12];
  if (fd[13] != null) out.nameChanged = fd[13];
  if (fd[14] != null) out.ino = fd[14];
  if (fd[15] != null) out.dev = fd[15];
  return out;
}

/**
 * The v1 event a row stands for; the row's references must resolve (`SensorEventBatchV2Schema`, or
 * the collector's own check, says so first). Events of one process share its `proc` object.
 */
export function expandCompactEvent(row: CompactEvent, tables: CompactTables): WireSyscallEvent {
  const names = tables.argNames[row[6]] as readonly string[];
  const values = row[7];
  const args = new Array<[string, string]>(values.length);
  for (let i = 0; i < values.length; i++) args[i] = [names[i] as string, values[i] as string];
  const event: WireSyscallEvent = {
    source: 'syscall',
    ts: row[1],
    type: row[0],
    dir: row[10] ?? '<',
    args,
    proc: tables.procs[row[5]] as WireProcessInfo,
  };
  if (row[2] !== null) event.num = row[2];
  if (row[3] !== null) event.cpu = row[3];
  if (row[4] !== null) event.res = row[4];
  const hostname = row[11] ?? tables.hostname;
  if (hostname !== undefined) event.hostname = hostname;
  if (row[8]) event.fd = expandCompactFd(row[8], values);
  if (row[9] != null) {
    const entry = tables.containers[row[9]];
    if (entry?.c) event.container = entry.c;
    if (entry?.k) event.k8s = entry.k;
  }
  return event;
}

/** Every event of a valid version-2 batch, as version 1 carries them. */
export function expandSensorEventBatchV2(batch: SensorEventBatchV2): WireSyscallEvent[] {
  return batch.events.map((row) => expandCompactEvent(row, batch));
}
