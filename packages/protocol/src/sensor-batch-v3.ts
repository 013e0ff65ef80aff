import { FdTypeSchema, type WireContainerInfo, type WireFdInfo, type WirePodInfo } from './sensor-event.js';
import type { WireProcessInfo, WireSyscallEvent } from './sensor-event.js';

/**
 * Version 3 of the event batch body (`POST /v1/sensor/events`, see sensor-api.ts): the events of
 * version 2 in a binary, schema-driven layout, so the collector reads them without a JSON parser
 * and without building the rows version 2 parses into (arrays per row, per fd, per argument list).
 * `Content-Type: application/vnd.peregrine.batch.v3`, gzip like the JSON versions.
 *
 * Integers are varints, exact over the safe integers (up to 2^53 - 1 in magnitude): `uv` is
 * unsigned LEB128; `sv` (signed) keeps the sign in bit 0 and the low six bits of the magnitude in
 * bits 1-6 of its first byte, bit 7 saying a `uv` of the magnitude / 64 follows. A string
 * is `str`: a `uv` index into the batch's string table, which holds each distinct string once.
 * The layout, in order, with nothing after the last row:
 *
 * ```text
 * magic    4 bytes "PGB" 0x03
 * strings  uv count; count x uv length in UTF-16 code units; uv byte length; the UTF-8 bytes of
 *          all strings one after another (decoded at once, then cut by the lengths)
 * head     str sensorId; str batchId; uv seq; u8 0|1; [str hostname]
 * procs    uv count; count x process
 * argNames uv count; count x (uv n; n x str)
 * containers uv count; count x (u8 bit0 container, bit1 pod; [container]; [pod])
 * events   uv count; count x row
 *
 * process   uv mask (bit i: PROCESS_FIELDS[i] present); the present fields in that order:
 *           int -> sv, str -> str, strs -> uv n + n x str, bool -> u8 0|1,
 *           ancestors -> uv n + n x process (16 levels at most)
 * container uv mask over CONTAINER_FIELDS; mounts -> uv n + n x (str source, str dest, str mode,
 *           u8 rdwr, str propagation)
 * pod       uv mask over POD_FIELDS; labels -> uv n + n x (str key, str value)
 * row       u8 flags (ROW_*); str type; sv ts; [sv num]; [uv cpu]; [sv res]; uv proc; uv argNames;
 *           uv n; n x str value; [fd]; [uv container]; [str hostname]
 *           (ts: the string index minus the previous row's ts index; num: minus the previous
 *           row's num, 0 before the first; both grow row by row, so these are small)
 * fd        sv num; u8 type (index in FD_TYPES); uv mask over FD_FIELDS; the present fields
 *           (l4proto: u8 index in L4_PROTOS; ports: uv; dev: sv; booleans: u8)
 * ```
 *
 * A row without `ROW_HOSTNAME` has the batch's host name (none when the head has none); without
 * `ROW_ENTER` its direction is `<`. Strings are UTF-8 as a sender's encoder writes them: a lone
 * surrogate has no UTF-8 form and arrives as U+FFFD, and so do invalid bytes (as in the JSON
 * versions); the total length in code units must match after decoding. As in version 2, tables
 * never refer to one another (a process's ancestors are inline), references are bounds-checked,
 * and a row that is read but refers to nothing valid is refused alone; a body that cannot be read
 * (truncated, bad magic, an index outside the string table, trailing bytes) is refused whole.
 */

/** The `v` of a version-3 batch (advertised in `SensorConfig.batchVersions`). */
export const SENSOR_BATCH_V3 = 3;
/** Content type of a version-3 body. */
export const SENSOR_BATCH_V3_CONTENT_TYPE = 'application/vnd.peregrine.batch.v3';
/** First four bytes of a version-3 body. */
export const SENSOR_BATCH_V3_MAGIC = [0x50, 0x47, 0x42, 0x03] as const;

/** Row flag: the row has `num`. */
export const ROW_NUM = 1;
/** Row flag: the row has `cpu`. */
export const ROW_CPU = 2;
/** Row flag: the row has `res`. */
export const ROW_RES = 4;
/** Row flag: the row has an fd. */
export const ROW_FD = 8;
/** Row flag: the row has a container entry. */
export const ROW_CONTAINER = 16;
/** Row flag: the row is an enter event (`>`). */
export const ROW_ENTER = 32;
/** Row flag: the row names its own host name. */
export const ROW_HOSTNAME = 64;
const ROW_KNOWN = 127;

type Kind = 'int' | 'str' | 'strs' | 'bool';

/** Process fields in mask order (`ancestors` is the last bit). */
export const PROCESS_FIELDS: readonly (readonly [keyof WireProcessInfo, Kind | 'ancestors'])[] = [
  ['pid', 'int'],
  ['tid', 'int'],
  ['vpid', 'int'],
  ['ppid', 'int'],
  ['name', 'str'],
  ['exe', 'str'],
  ['exepath', 'str'],
  ['args', 'strs'],
  ['cwd', 'str'],
  ['tty', 'int'],
  ['sid', 'int'],
  ['sname', 'str'],
  ['pgid', 'int'],
  ['vpgid', 'int'],
  ['uid', 'int'],
  ['gid', 'int'],
  ['user', 'str'],
  ['group', 'str'],
  ['loginuid', 'int'],
  ['loginname', 'str'],
  ['env', 'strs'],
  ['startTs', 'str'],
  ['capEffective', 'str'],
  ['capPermitted', 'str'],
  ['capInheritable', 'str'],
  ['isExeFromMemfd', 'bool'],
  ['isExeUpperLayer', 'bool'],
  ['isExeWritable', 'bool'],
  ['exeInoCtime', 'str'],
  ['exeInoMtime', 'str'],
  ['ancestors', 'ancestors'],
];

/** Container fields in mask order. */
export const CONTAINER_FIELDS: readonly (readonly [keyof WireContainerInfo, Kind | 'mounts'])[] = [
  ['id', 'str'],
  ['name', 'str'],
  ['type', 'str'],
  ['image', 'str'],
  ['imageRepository', 'str'],
  ['imageTag', 'str'],
  ['imageDigest', 'str'],
  ['privileged', 'bool'],
  ['startTs', 'str'],
  ['mounts', 'mounts'],
];

/** Pod fields in mask order. */
export const POD_FIELDS: readonly (readonly [keyof WirePodInfo, Kind | 'labels'])[] = [
  ['podName', 'str'],
  ['podUid', 'str'],
  ['namespace', 'str'],
  ['labels', 'labels'],
];

/** Optional fd fields in mask order (`num` and `type` are always there). */
export const FD_FIELDS: readonly (readonly [keyof WireFdInfo, 'str' | 'l4' | 'port' | 'bool' | 'int'])[] = [
  ['name', 'str'],
  ['nameraw', 'str'],
  ['openFlags', 'str'],
  ['openMode', 'str'],
  ['l4proto', 'l4'],
  ['cip', 'str'],
  ['cport', 'port'],
  ['sip', 'str'],
  ['sport', 'port'],
  ['isClient', 'bool'],
  ['connected', 'bool'],
  ['nameChanged', 'bool'],
  ['ino', 'str'],
  ['dev', 'int'],
];

/** `fd.type` values by their byte. */
export const FD_TYPES: readonly WireFdInfo['type'][] = FdTypeSchema.options;
/** `fd.l4proto` values by their byte. */
export const L4_PROTOS: readonly NonNullable<WireFdInfo['l4proto']>[] = ['tcp', 'udp', 'icmp', 'raw'];

const FD_TYPE_INDEX = new Map<string, number>(FD_TYPES.map((t, i) => [t, i]));
/** Encoder memo slots: the event type, then argument positions 0-6. */
const SLOTS = 8;
const L4_INDEX = new Map<string, number>(L4_PROTOS.map((t, i) => [t, i]));

/** Masks of a process are below this (one bit per PROCESS_FIELDS entry). */
const PROCESS_MASK_LIMIT = 2 ** PROCESS_FIELDS.length;

/** Ancestors nest this deep at most (as the JSON versions' checks allow). */
const MAX_PROCESS_DEPTH = 16;

// ---------------------------------------------------------------------------------------------
// Writing

/** A growable byte buffer with varint writers. */
class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 4096) {
    this.bytes = new Uint8Array(capacity);
  }

  #room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  u8(v: number): void {
    this.#room(1);
    this.bytes[this.length++] = v;
  }

  uv(v: number): void {
    if (v < 0x80 && this.length < this.bytes.length) {
      this.bytes[this.length++] = v;
      return;
    }
    this.#room(8);
    const b = this.bytes;
    let n = this.length;
    while (v >= 0x80) {
      b[n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[n++] = v;
    this.length = n;
  }

  sv(v: number): void {
    // Sign in bit 0 and six bits of magnitude in the first byte, the rest as a uv: exact for every
    // safe integer (zigzag's 2|v|+1 would need 54 bits, past what a double holds exactly).
    const neg = v < 0 ? 1 : 0;
    const mag = neg ? -v : v;
    const high = Math.floor(mag / 64);
    const first = ((mag % 64) << 1) | neg;
    if (high === 0) this.u8(first);
    else {
      this.u8(first | 0x80);
      this.uv(high);
    }
  }

  raw(src: Uint8Array): void {
    this.#room(src.length);
    this.bytes.set(src, this.length);
    this.length += src.length;
  }
}

/** TextEncoder/TextDecoder without DOM or Node typings (as hmac-token.ts): every runtime has them. */
interface TextCodecs {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label: string) => { decode(bytes: Uint8Array): string };
}
const codecs = globalThis as unknown as TextCodecs;
const encoder = new codecs.TextEncoder();

/**
 * Builds one version-3 body as events arrive: rows are written to bytes when added (nothing per
 * event is kept but its bytes), tables and the string table when the body is finished. Tables
 * are keyed by object identity, as version 2's builder does.
 */
export class SensorBatchV3Encoder {
  readonly #rows = new ByteWriter(16384);
  readonly #strings: string[] = [];
  readonly #stringIndex = new Map<string, number>();
  readonly #procs: WireProcessInfo[] = [];
  readonly #procIndex = new Map<WireProcessInfo, number>();
  readonly #containers: { c?: WireContainerInfo | undefined; k?: WirePodInfo | undefined }[] = [];
  readonly #containerIndex = new Map<object, number>();
  readonly #argNames: (readonly string[])[] = [];
  /** argNames entries by their list object (the sensor's shared lists) and by joined names. */
  readonly #namesByList = new Map<readonly string[], number>();
  readonly #namesByKey = new Map<string, number[]>();
  #hostname: string | undefined;
  #first = true;
  #count = 0;
  /** Rows with no host name while the batch has one: the head then names none. */
  #rowsWithoutHostname = false;
  /** Those rows, by index. */
  readonly #noHostRows = new Set<number>();

  /** Events added. */
  get size(): number {
    return this.#count;
  }

  /** The index of a string in the table. */
  str(s: string): number {
    let i = this.#stringIndex.get(s);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(s);
      this.#stringIndex.set(s, i);
    }
    return i;
  }

  #prevTs = 0;
  #prevNum = 0;

  /**
   * `ts` (its own table entry) and `num` as differences from the previous row's: both grow row by
   * row, and small repeating differences cost fewer bytes and leave gzip more to match.
   */
  #tsAndNum(w: ByteWriter, ts: string, num: number | undefined): void {
    const i = this.#unique(ts);
    w.sv(i - this.#prevTs);
    this.#prevTs = i;
    if (num !== undefined) {
      w.sv(num - this.#prevNum);
      this.#prevNum = num;
    }
  }

  /** A string that seldom repeats (an event's `ts`): its own entry, no lookup. */
  #unique(s: string): number {
    this.#strings.push(s);
    return this.#strings.length - 1;
  }

  // The last string written in each slot (type, argument position) and its index: consecutive
  // events mostly repeat them (the same type, flags, mode, dirfd), and comparing with the last one
  // (often the very same string object) costs less than hashing it for the table's Map.
  readonly #slotString: (string | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly #slotIndex: number[] = new Array(SLOTS).fill(0);

  #slot(slot: number, s: string): number {
    if (this.#slotString[slot] === s) return this.#slotIndex[slot]!;
    const i = this.str(s);
    this.#slotString[slot] = s;
    this.#slotIndex[slot] = i;
    return i;
  }

  /**
   * Indexes of the current event's argument values (the fd's strings often equal one of them).
   * Only its first `values.length` entries are the current event's: `#fdStr` reads no further
   * (its length is not trimmed per event, which costs a runtime call).
   */
  readonly #valueIndex: number[] = [];

  #values(values: readonly string[], w: ByteWriter): void {
    const n = values.length;
    w.uv(n);
    const out = this.#valueIndex;
    for (let k = 0; k < n; k++) {
      const v = values[k]!;
      const i = k < SLOTS - 1 ? this.#slot(k + 1, v) : this.str(v);
      out[k] = i;
      w.uv(i);
    }
  }

  /** The index of an fd string: the index of the argument it equals, else its own. */
  #fdStr(s: string, values: readonly string[]): number {
    for (let k = 0; k < values.length; k++) if (values[k] === s) return this.#valueIndex[k]!;
    return this.str(s);
  }

  #proc(proc: WireProcessInfo): number {
    let index = this.#procIndex.get(proc);
    if (index === undefined) {
      index = this.#procs.length;
      this.#procs.push(proc);
      this.#procIndex.set(proc, index);
    }
    return index;
  }

  #container(container: WireContainerInfo | undefined, k8s: WirePodInfo | undefined): number {
    const key: object = container ?? (k8s as object);
    const index = this.#containerIndex.get(key);
    if (index !== undefined && this.#containers[index]!.k === k8s) return index;
    this.#containers.push({ c: container, k: k8s });
    this.#containerIndex.set(key, this.#containers.length - 1);
    return this.#containers.length - 1;
  }

  /** The index of a list of names: by identity for shared lists, else by content. */
  #namesOf(list: readonly string[], shared: boolean): number {
    if (shared) {
      const hit = this.#namesByList.get(list);
      if (hit !== undefined) return hit;
    }
    // Joined names find the candidates ([] and [''] join alike, so do names holding NUL): each
    // candidate is compared name by name.
    const key = list.join('\u0000');
    let candidates = this.#namesByKey.get(key);
    if (candidates === undefined) {
      candidates = [];
      this.#namesByKey.set(key, candidates);
    }
    let index: number | undefined;
    for (const c of candidates) {
      const names = this.#argNames[c]!;
      if (names.length === list.length && names.every((n, k) => n === list[k])) {
        index = c;
        break;
      }
    }
    if (index === undefined) {
      index = this.#argNames.length;
      this.#argNames.push(shared ? list : [...list]);
      candidates.push(index);
    }
    if (shared) this.#namesByList.set(list, index);
    return index;
  }

  #head(hostname: string | undefined): number {
    if (this.#first) {
      this.#first = false;
      this.#hostname = hostname;
    }
    this.#count++;
    if (hostname === this.#hostname) return 0;
    if (hostname === undefined) {
      this.#rowsWithoutHostname = true;
      this.#noHostRows.add(this.#count - 1);
      return 0;
    }
    return ROW_HOSTNAME;
  }

  /** Adds one event. */
  add(event: WireSyscallEvent): void {
    const own = this.#head(event.hostname);
    const args = event.args;
    const names = new Array<string>(args.length);
    for (let k = 0; k < args.length; k++) names[k] = args[k]![0];
    const w = this.#rows;
    let flags = own;
    if (event.num !== undefined) flags |= ROW_NUM;
    if (event.cpu !== undefined) flags |= ROW_CPU;
    if (event.res !== undefined) flags |= ROW_RES;
    if (event.fd !== undefined) flags |= ROW_FD;
    const hasContainer = event.container !== undefined || event.k8s !== undefined;
    if (hasContainer) flags |= ROW_CONTAINER;
    if (event.dir === '>') flags |= ROW_ENTER;
    w.u8(flags);
    w.uv(this.#slot(0, event.type));
    this.#tsAndNum(w, event.ts, event.num);
    if (event.cpu !== undefined) w.uv(event.cpu);
    if (event.res !== undefined) w.sv(event.res);
    w.uv(this.#proc(event.proc));
    w.uv(this.#namesOf(names, false));
    const values = new Array<string>(args.length);
    for (let k = 0; k < args.length; k++) values[k] = args[k]![1];
    this.#values(values, w);
    if (event.fd !== undefined) this.#fd(event.fd, values);
    if (hasContainer) w.uv(this.#container(event.container, event.k8s));
    if (flags & ROW_HOSTNAME) w.uv(this.str(event.hostname as string));
  }

  /**
   * Adds one exit event with a file fd from its parts (the sensor's open fast path): the row
   * `add` writes for the event with these fields. `names` is best a list shared across events.
   */
  addFileEvent(p: {
    type: string;
    ts: string;
    num: number | null;
    cpu: number | null;
    res: number | null;
    proc: WireProcessInfo;
    names: readonly string[];
    values: readonly string[];
    fdNum: number;
    fdType: WireFdInfo['type'];
    fdName: string;
    fdNameraw: string;
    fdFlags: string;
    fdMode: string;
    container: WireContainerInfo | undefined;
    k8s: WirePodInfo | undefined;
    hostname: string | undefined;
  }): void {
    const own = this.#head(p.hostname);
    const w = this.#rows;
    let flags = own | ROW_FD;
    if (p.num !== null) flags |= ROW_NUM;
    if (p.cpu !== null) flags |= ROW_CPU;
    if (p.res !== null) flags |= ROW_RES;
    const hasContainer = p.container !== undefined || p.k8s !== undefined;
    if (hasContainer) flags |= ROW_CONTAINER;
    w.u8(flags);
    w.uv(this.#slot(0, p.type));
    this.#tsAndNum(w, p.ts, p.num ?? undefined);
    if (p.cpu !== null) w.uv(p.cpu);
    if (p.res !== null) w.sv(p.res);
    w.uv(this.#proc(p.proc));
    w.uv(this.#namesOf(p.names, true));
    const values = p.values;
    this.#values(values, w);
    w.sv(p.fdNum);
    w.u8(FD_TYPE_INDEX.get(p.fdType) ?? 255);
    w.uv(15); // name, nameraw, openFlags, openMode
    w.uv(this.#fdStr(p.fdName, values));
    w.uv(this.#fdStr(p.fdNameraw, values));
    w.uv(this.#fdStr(p.fdFlags, values));
    w.uv(this.#fdStr(p.fdMode, values));
    if (hasContainer) w.uv(this.#container(p.container, p.k8s));
    if (flags & ROW_HOSTNAME) w.uv(this.str(p.hostname as string));
  }

  #fd(fd: WireFdInfo, values: readonly string[]): void {
    const w = this.#rows;
    w.sv(fd.num);
    w.u8(FD_TYPE_INDEX.get(fd.type) ?? 255);
    let mask = 0;
    for (let i = 0; i < FD_FIELDS.length; i++) if (fd[FD_FIELDS[i]![0]] !== undefined) mask |= 1 << i;
    w.uv(mask);
    for (let i = 0; i < FD_FIELDS.length; i++) {
      const [key, kind] = FD_FIELDS[i]!;
      const v = fd[key];
      if (v === undefined) continue;
      if (kind === 'str') w.uv(this.#fdStr(v as string, values));
      else if (kind === 'l4') w.u8(L4_INDEX.get(v as string) ?? 255);
      else if (kind === 'port') w.uv(v as number);
      else if (kind === 'bool') w.u8(v ? 1 : 0);
      else w.sv(v as number);
    }
  }

  #process(w: ByteWriter, p: WireProcessInfo, depth: number): void {
    let mask = 0;
    for (let i = 0; i < PROCESS_FIELDS.length; i++)
      if (p[PROCESS_FIELDS[i]![0]] !== undefined) mask |= 1 << i;
    w.uv(mask);
    for (let i = 0; i < PROCESS_FIELDS.length; i++) {
      const [key, kind] = PROCESS_FIELDS[i]!;
      const v = p[key];
      if (v === undefined) continue;
      this.#value(w, kind, v);
      if (kind === 'ancestors') {
        const list = v as WireProcessInfo[];
        w.uv(list.length);
        for (const a of list) this.#process(w, a, depth + 1);
      }
    }
  }

  #value(w: ByteWriter, kind: string, v: unknown): void {
    if (kind === 'int') w.sv(v as number);
    else if (kind === 'str') w.uv(this.str(v as string));
    else if (kind === 'bool') w.u8(v ? 1 : 0);
    else if (kind === 'strs') {
      const list = v as string[];
      w.uv(list.length);
      for (const s of list) w.uv(this.str(s));
    }
  }

  #containerEntry(w: ByteWriter, c: WireContainerInfo): void {
    let mask = 0;
    for (let i = 0; i < CONTAINER_FIELDS.length; i++)
      if (c[CONTAINER_FIELDS[i]![0]] !== undefined) mask |= 1 << i;
    w.uv(mask);
    for (const [key, kind] of CONTAINER_FIELDS) {
      const v = c[key];
      if (v === undefined) continue;
      if (kind !== 'mounts') {
        this.#value(w, kind, v);
        continue;
      }
      const mounts = v as NonNullable<WireContainerInfo['mounts']>;
      w.uv(mounts.length);
      for (const m of mounts) {
        w.uv(this.str(m.source));
        w.uv(this.str(m.dest));
        w.uv(this.str(m.mode));
        w.u8(m.rdwr ? 1 : 0);
        w.uv(this.str(m.propagation));
      }
    }
  }

  #pod(w: ByteWriter, k: WirePodInfo): void {
    let mask = 0;
    for (let i = 0; i < POD_FIELDS.length; i++) if (k[POD_FIELDS[i]![0]] !== undefined) mask |= 1 << i;
    w.uv(mask);
    for (const [key, kind] of POD_FIELDS) {
      const v = k[key];
      if (v === undefined) continue;
      if (kind !== 'labels') {
        this.#value(w, kind, v);
        continue;
      }
      const labels = Object.entries(v as Record<string, string>);
      w.uv(labels.length);
      for (const [lk, lv] of labels) {
        w.uv(this.str(lk));
        w.uv(this.str(lv));
      }
    }
  }

  /** The body (not compressed). The encoder is spent afterwards. */
  finish(head: { sensorId: string; batchId: string; seq: number }): Uint8Array {
    const tables = new ByteWriter(4096 + this.#procs.length * 64);
    const hostname = this.#rowsWithoutHostname ? undefined : this.#hostname;
    tables.uv(this.str(head.sensorId));
    tables.uv(this.str(head.batchId));
    tables.uv(head.seq);
    if (hostname === undefined) tables.u8(0);
    else {
      tables.u8(1);
      tables.uv(this.str(hostname));
    }
    tables.uv(this.#procs.length);
    for (const p of this.#procs) this.#process(tables, p, 0);
    tables.uv(this.#argNames.length);
    for (const list of this.#argNames) {
      tables.uv(list.length);
      for (const n of list) tables.uv(this.str(n));
    }
    tables.uv(this.#containers.length);
    for (const { c, k } of this.#containers) {
      tables.u8((c ? 1 : 0) | (k ? 2 : 0));
      if (c) this.#containerEntry(tables, c);
      if (k) this.#pod(tables, k);
    }
    tables.uv(this.#count);
    // With no batch host name, rows that took the first event's name must say it themselves:
    // only when some event has none, which a sensor never sends (rewritten here, rarely).
    const rows = hostname === undefined && this.#hostname !== undefined ? this.#rowsNamingHost() : this.#rows;

    const strings = this.#strings;
    const text = strings.join('');
    const utf8 = encoder.encode(text);
    const out = new ByteWriter(16 + strings.length * 2 + utf8.length + tables.length + rows.length);
    for (const b of SENSOR_BATCH_V3_MAGIC) out.u8(b);
    out.uv(strings.length);
    for (const s of strings) out.uv(s.length);
    out.uv(utf8.length);
    out.raw(utf8);
    out.raw(tables.bytes.subarray(0, tables.length));
    out.raw(rows.bytes.subarray(0, rows.length));
    return out.bytes.subarray(0, out.length);
  }

  /** The rows with the first event's host name written into those that took it from the batch. */
  #rowsNamingHost(): ByteWriter {
    const hostIndex = this.str(this.#hostname as string);
    const out = new ByteWriter(this.#rows.length + this.#count * 3);
    // Re-reading our own rows: the string table is not needed to walk them.
    const r = new ByteReader(this.#rows.bytes.subarray(0, this.#rows.length));
    for (let n = 0; n < this.#count; n++) {
      const start = r.at;
      const flags = r.u8();
      // A row that took the batch name was written without ROW_HOSTNAME; so was one with no
      // name at all: those are recorded in #noHostRows.
      const takesBatchName = (flags & ROW_HOSTNAME) === 0 && !this.#noHostRows.has(n);
      skipRow(r, flags);
      if (!takesBatchName) {
        out.raw(r.bytes.subarray(start, r.at));
        continue;
      }
      out.u8(flags | ROW_HOSTNAME);
      out.raw(r.bytes.subarray(start + 1, r.at));
      out.uv(hostIndex);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A body that cannot be read as version 3; the message says where and why. */
export class SensorBatchV3Error extends Error {
  override readonly name = 'SensorBatchV3Error';
}

class ByteReader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  fail(what: string): never {
    throw new SensorBatchV3Error(`${what} at byte ${this.at} of ${this.bytes.length}`);
  }

  u8(): number {
    if (this.at >= this.bytes.length) this.fail('truncated body');
    return this.bytes[this.at++]!;
  }

  uv(): number {
    const b = this.bytes;
    let at = this.at;
    if (at >= b.length) this.fail('truncated body');
    let byte = b[at++]!;
    if (byte < 0x80) {
      this.at = at;
      return byte;
    }
    let v = byte & 0x7f;
    let scale = 0x80;
    for (let n = 1; ; n++) {
      if (at >= b.length) {
        this.at = at;
        this.fail('truncated body');
      }
      if (n > 7) {
        this.at = at;
        this.fail('varint longer than 53 bits');
      }
      byte = b[at++]!;
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
    }
    this.at = at;
    if (v > Number.MAX_SAFE_INTEGER) this.fail('varint longer than 53 bits');
    return v;
  }

  sv(): number {
    const first = this.u8();
    let mag = (first >> 1) & 0x3f;
    if (first & 0x80) {
      mag += this.uv() * 64;
      if (mag > Number.MAX_SAFE_INTEGER) this.fail('signed varint longer than 53 bits');
    }
    return first & 1 && mag !== 0 ? -mag : mag;
  }
}

/** Skips one row (own rows only: no checks). */
function skipRow(r: ByteReader, flags: number): void {
  r.uv();
  r.sv();
  if (flags & ROW_NUM) r.sv();
  if (flags & ROW_CPU) r.uv();
  if (flags & ROW_RES) r.sv();
  r.uv();
  r.uv();
  const n = r.uv();
  for (let k = 0; k < n; k++) r.uv();
  if (flags & ROW_FD) {
    r.sv();
    r.u8();
    const mask = r.uv();
    for (let i = 0; i < FD_FIELDS.length; i++) {
      if (!(mask & (1 << i))) continue;
      const kind = FD_FIELDS[i]![1];
      if (kind === 'l4' || kind === 'bool') r.u8();
      else if (kind === 'int') r.sv();
      else r.uv();
    }
  }
  if (flags & ROW_CONTAINER) r.uv();
  if (flags & ROW_HOSTNAME) r.uv();
}

const decoder = new codecs.TextDecoder('utf-8');

/** What a table entry decoded to, and whether it holds a string that was cleaned. */
interface Entry<T> {
  value: T;
  cleaned: boolean;
}

/** How the reader checks table entries (each once per batch): true, or why not. */
export interface SensorBatchV3Checks {
  proc(p: WireProcessInfo, index: number): true | string;
  container(entry: { c?: WireContainerInfo; k?: WirePodInfo }, index: number): true | string;
}

/**
 * Called for each row in order: the event and whether it holds a cleaned string, or (event
 * undefined) why the row is refused. Arguments rather than an object: no allocation per row.
 */
export type SensorBatchV3RowHandler = (
  index: number,
  event: WireSyscallEvent | undefined,
  error: string | undefined,
  cleaned: boolean,
) => void;

/** A read version-3 batch: the head and tables; rows are read by `readEvents`. */
export interface SensorBatchV3 {
  sensorId: string;
  batchId: string;
  seq: number;
  hostname: string | undefined;
  procs: readonly WireProcessInfo[];
  argNames: readonly (readonly string[])[];
  containers: readonly { c?: WireContainerInfo; k?: WirePodInfo }[];
  /** Events in the body. */
  count: number;
  /** Strings in which NUL was replaced by U+FFFD. */
  cleanedStrings: number;
}

const NUL = '\u0000';
const REPLACEMENT = '\ufffd';

/**
 * Reads a version-3 body: the head and tables now, then each row with `onRow` (in order): the
 * event (events of one process share its object, as in version 2) or why that row is refused.
 * NUL in any string becomes U+FFFD (`cleaned` says which events hold such a string). Throws
 * `SensorBatchV3Error` when the body cannot be read; no input makes it loop or recurse without end.
 */
export function readSensorBatchV3(
  bytes: Uint8Array,
  checks: SensorBatchV3Checks,
  onRow: SensorBatchV3RowHandler,
): SensorBatchV3 {
  const rows = openSensorBatchV3(bytes, checks);
  let next = 0;
  for (const refusal of rows.refused) {
    for (; next < rows.accepted && rows.index(next) < refusal.index; next++)
      onRow(rows.index(next), rows.event(next), undefined, rows.cleaned(next));
    onRow(refusal.index, undefined, refusal.error, false);
  }
  for (; next < rows.accepted; next++)
    onRow(rows.index(next), rows.event(next), undefined, rows.cleaned(next));
  return rows.batch;
}

/**
 * A version-3 body read and checked whole, its accepted rows left as bytes: `event(k)` builds the
 * k-th accepted row's event when (and each time) it is asked for, so a row nobody evaluates costs
 * no object. Row `k` of these is the `index(k)`-th row of the body.
 */
export interface SensorBatchV3Rows {
  batch: SensorBatchV3;
  /** Rows that read and check out, in body order. */
  accepted: number;
  /** The other rows, in body order, with why each is refused. */
  refused: { index: number; error: string }[];
  /** Accepted rows holding a string in which NUL was replaced. */
  sanitized: number;
  /** Index in the body of accepted row `k`. */
  index(k: number): number;
  /** Event type (`evt.type`) of accepted row `k`, without building it. */
  type(k: number): string;
  /** Whether accepted row `k` holds a cleaned string. */
  cleaned(k: number): boolean;
  /** Accepted row `k` as an event (a new object per call; table entries are shared). */
  event(k: number): WireSyscallEvent;
}

/**
 * Reads the head and tables of a version-3 body and checks every row (the same checks and
 * refusals as `readSensorBatchV3`, which reads through it) without building events. Throws
 * `SensorBatchV3Error` when the body cannot be read.
 */
export function openSensorBatchV3(bytes: Uint8Array, checks: SensorBatchV3Checks): SensorBatchV3Rows {
  const r = new ByteReader(bytes);
  for (const b of SENSOR_BATCH_V3_MAGIC) if (r.u8() !== b) r.fail('not a version-3 batch (magic)');

  // The string table: one decode of all bytes, cut by the code-unit lengths.
  const nStrings = r.uv();
  if (nStrings > bytes.length) r.fail(`string count ${nStrings} larger than the body`);
  const lengths = new Array<number>(nStrings);
  let units = 0;
  for (let i = 0; i < nStrings; i++) {
    lengths[i] = r.uv();
    units += lengths[i]!;
  }
  const byteLength = r.uv();
  if (byteLength > bytes.length - r.at) r.fail(`string bytes (${byteLength}) past the end`);
  const text = decoder.decode(bytes.subarray(r.at, r.at + byteLength));
  if (text.length !== units)
    r.fail(`string table holds ${text.length} code units where its lengths add up to ${units}`);
  r.at += byteLength;
  const strings = new Array<string>(nStrings);
  let cleanedStrings = 0;
  let dirty: Uint8Array | undefined;
  const hasNul = text.indexOf(NUL) !== -1;
  if (hasNul) dirty = new Uint8Array(nStrings);
  for (let i = 0, at = 0; i < nStrings; i++) {
    const end = at + lengths[i]!;
    let s = text.slice(at, end);
    if (hasNul && s.indexOf(NUL) !== -1) {
      s = s.replaceAll(NUL, REPLACEMENT);
      dirty![i] = 1;
      cleanedStrings++;
    }
    strings[i] = s;
    at = end;
  }

  /** Set while reading an entry or row that uses a cleaned string. */
  let touched = false;
  const str = (): string => {
    const i = r.uv();
    if (i >= nStrings) r.fail(`string ${i} is not in the string table (${nStrings})`);
    if (dirty !== undefined && dirty[i] === 1) touched = true;
    return strings[i]!;
  };
  const bool = (): boolean => {
    const b = r.u8();
    if (b > 1) r.fail(`boolean byte ${b}`);
    return b === 1;
  };
  const strs = (): string[] => {
    const n = r.uv();
    if (n > bytes.length - r.at) r.fail(`list of ${n} past the end`);
    const out = new Array<string>(n);
    for (let k = 0; k < n; k++) out[k] = str();
    return out;
  };
  const count = (what: string): number => {
    const n = r.uv();
    // Every entry takes at least one byte: a larger count is a lie, refused before allocating.
    if (n > bytes.length - r.at) r.fail(`${what} count ${n} past the end`);
    return n;
  };
  const mask = (known: number, what: string): number => {
    const m = r.uv();
    if (m >= 2 ** known) r.fail(`unknown ${what} field (mask ${m})`);
    return m;
  };

  // Written out field by field (PROCESS_FIELDS order): named stores in one order give the
  // processes of a batch few hidden classes, which the engine's field reads then see.
  const process = (depth: number): WireProcessInfo => {
    if (depth > MAX_PROCESS_DEPTH) r.fail(`ancestors nested more than ${MAX_PROCESS_DEPTH} deep`);
    const m = r.uv();
    if (m >= PROCESS_MASK_LIMIT) r.fail(`unknown process field (mask ${m})`);
    const p = {} as { -readonly [K in keyof WireProcessInfo]: WireProcessInfo[K] };
    if (m & 1) p.pid = r.sv();
    if (m & 2) p.tid = r.sv();
    if (m & 4) p.vpid = r.sv();
    if (m & 8) p.ppid = r.sv();
    if (m & 16) p.name = str();
    if (m & 32) p.exe = str();
    if (m & 64) p.exepath = str();
    if (m & 128) p.args = strs();
    if (m & 256) p.cwd = str();
    if (m & 512) p.tty = r.sv();
    if (m & 1024) p.sid = r.sv();
    if (m & 2048) p.sname = str();
    if (m & 4096) p.pgid = r.sv();
    if (m & 8192) p.vpgid = r.sv();
    if (m & 16384) p.uid = r.sv();
    if (m & 32768) p.gid = r.sv();
    if (m & 65536) p.user = str();
    if (m & 131072) p.group = str();
    if (m & 262144) p.loginuid = r.sv();
    if (m & 524288) p.loginname = str();
    if (m & 1048576) p.env = strs();
    if (m & 2097152) p.startTs = str();
    if (m & 4194304) p.capEffective = str();
    if (m & 8388608) p.capPermitted = str();
    if (m & 16777216) p.capInheritable = str();
    if (m & 33554432) p.isExeFromMemfd = bool();
    if (m & 67108864) p.isExeUpperLayer = bool();
    if (m & 134217728) p.isExeWritable = bool();
    if (m & 268435456) p.exeInoCtime = str();
    if (m & 536870912) p.exeInoMtime = str();
    if (m & 1073741824) {
      const n = count('ancestor');
      const list = new Array<WireProcessInfo>(n);
      for (let k = 0; k < n; k++) list[k] = process(depth + 1);
      p.ancestors = list;
    }
    return p as WireProcessInfo;
  };

  const container = (): WireContainerInfo => {
    const m = mask(CONTAINER_FIELDS.length, 'container');
    const c: Record<string, unknown> = {};
    for (let i = 0; i < CONTAINER_FIELDS.length; i++) {
      if (!(m & (1 << i))) continue;
      const [key, kind] = CONTAINER_FIELDS[i]!;
      if (kind === 'str') c[key] = str();
      else if (kind === 'bool') c[key] = bool();
      else {
        const n = count('mount');
        const mounts = new Array<NonNullable<WireContainerInfo['mounts']>[number]>(n);
        for (let k = 0; k < n; k++)
          mounts[k] = { source: str(), dest: str(), mode: str(), rdwr: bool(), propagation: str() };
        c[key] = mounts;
      }
    }
    return c as unknown as WireContainerInfo;
  };

  const pod = (): WirePodInfo => {
    const m = mask(POD_FIELDS.length, 'pod');
    const k: Record<string, unknown> = {};
    for (let i = 0; i < POD_FIELDS.length; i++) {
      if (!(m & (1 << i))) continue;
      const [key, kind] = POD_FIELDS[i]!;
      if (kind === 'str') k[key] = str();
      else {
        const n = count('label');
        const labels: Record<string, string> = {};
        for (let j = 0; j < n; j++) {
          const name = str();
          // As the JSON parser refuses `__proto__` keys: never a prototype from the wire.
          if (name === '__proto__') r.fail('label named __proto__');
          labels[name] = str();
        }
        k[key] = labels;
      }
    }
    return k as WirePodInfo;
  };

  const sensorId = str();
  const batchId = str();
  const seq = r.uv();
  const hasHostname = bool();
  touched = false;
  const hostname = hasHostname ? str() : undefined;
  const hostnameCleaned = touched;

  const nProcs = count('process');
  const procs = new Array<Entry<WireProcessInfo>>(nProcs);
  for (let i = 0; i < nProcs; i++) {
    touched = false;
    const value = process(0);
    procs[i] = { value, cleaned: touched };
  }
  const nNames = count('argNames');
  const argNames = new Array<string[]>(nNames);
  const namesCleaned = new Uint8Array(nNames);
  for (let i = 0; i < nNames; i++) {
    touched = false;
    argNames[i] = strs();
    if (touched) namesCleaned[i] = 1;
  }
  const nContainers = count('container');
  const containers = new Array<Entry<{ c?: WireContainerInfo; k?: WirePodInfo }>>(nContainers);
  for (let i = 0; i < nContainers; i++) {
    touched = false;
    const has = r.u8();
    if (has > 3) r.fail(`container entry flags ${has}`);
    const value: { c?: WireContainerInfo; k?: WirePodInfo } = {};
    if (has & 1) value.c = container();
    if (has & 2) value.k = pod();
    containers[i] = { value, cleaned: touched };
  }

  const procOk = new Array<true | string | undefined>(nProcs);
  const containerOk = new Array<true | string | undefined>(nContainers);
  const nEvents = count('event');
  // A row takes at least 6 bytes (flags, type, ts, proc, argNames, value count): the per-row
  // arrays below are sized by the count, so a count the bytes cannot hold is refused first.
  if (nEvents > (bytes.length - r.at) / 6) r.fail(`event count ${nEvents} past the end`);
  // Per accepted row, what building it again needs: where it starts, the values its neighbours
  // decide (ts and num are deltas), and what the first pass learned. No object per row.
  const rowAt = new Uint32Array(nEvents);
  const rowIndex = new Uint32Array(nEvents);
  const rowTs = new Uint32Array(nEvents);
  const rowNum = new Float64Array(nEvents);
  const rowType = new Uint32Array(nEvents);
  const rowCleaned = new Uint8Array(nEvents);
  const refused: { index: number; error: string }[] = [];
  let accepted = 0;
  let sanitized = 0;
  let prevTs = 0;
  let prevNum = 0;

  // Set by `row`: the row's values (arguments and fd only when it builds).
  let builtArgs: [string, string][] | undefined;
  let builtFd: WireFdInfo | undefined;
  let type = 0;
  let tsIndex = 0;
  let num: number | undefined;
  let cpu: number | undefined;
  let res: number | undefined;
  let procIndex = 0;
  let namesIndex = 0;
  let containerIndex = -1;
  let ownHostname: string | undefined;
  /**
   * Reads one row at `r.at`. Checking (`build` false): every check, nothing allocated, the
   * row's values left in the variables above. Building (a row that checked out): its arguments and
   * fd into `builtArgs` / `builtFd`; the checks then hold by construction.
   */
  const row = (index: number, build: boolean): string | undefined => {
    const flags = r.u8();
    if (flags > ROW_KNOWN) r.fail(`row ${index}: unknown flags ${flags}`);
    const typeIndex = r.uv();
    if (typeIndex >= nStrings) r.fail(`string ${typeIndex} is not in the string table (${nStrings})`);
    if (dirty !== undefined && dirty[typeIndex] === 1) touched = true;
    type = typeIndex;
    // ts and num are deltas from the previous row's: a row built again keeps the first pass's.
    const tsDelta = r.sv();
    const numDelta = flags & ROW_NUM ? r.sv() : undefined;
    if (!build) {
      tsIndex = prevTs + tsDelta;
      if (tsIndex < 0 || tsIndex >= nStrings)
        r.fail(`string ${tsIndex} is not in the string table (${nStrings})`);
      prevTs = tsIndex;
      if (dirty !== undefined && dirty[tsIndex] === 1) touched = true;
      num = undefined;
      if (numDelta !== undefined) {
        num = prevNum + numDelta;
        prevNum = num;
      }
    }
    cpu = flags & ROW_CPU ? r.uv() : undefined;
    res = flags & ROW_RES ? r.sv() : undefined;
    procIndex = r.uv();
    namesIndex = r.uv();
    const nValues = count('argument');
    let error: string | undefined;
    const names = argNames[namesIndex];
    if (names === undefined) error = `argNames ${namesIndex} is not in argNames (${nNames})`;
    else if (names.length !== nValues)
      error = `${nValues} argument values for ${names.length} argument names`;
    if (build) {
      const args = new Array<[string, string]>(nValues);
      for (let k = 0; k < nValues; k++) args[k] = [names?.[k] as string, str()];
      builtArgs = args;
    } else for (let k = 0; k < nValues; k++) str();
    builtFd = undefined;
    if (flags & ROW_FD) {
      const fdNum = r.sv();
      const typeByte = r.u8();
      const fdType = FD_TYPES[typeByte];
      if (fdType === undefined) error ??= `fd type ${typeByte} is not one of ${FD_TYPES.length}`;
      const fd = build ? { num: fdNum, type: fdType as WireFdInfo['type'] } : undefined;
      const m = mask(FD_FIELDS.length, 'fd');
      if (m !== 0) {
        const o = fd as Record<string, unknown> | undefined;
        for (let i = 0; i < FD_FIELDS.length; i++) {
          if (!(m & (1 << i))) continue;
          const [key, kind] = FD_FIELDS[i]!;
          let v: unknown;
          if (kind === 'str') v = str();
          else if (kind === 'bool') v = bool();
          else if (kind === 'int') v = r.sv();
          else if (kind === 'port') {
            const port = r.uv();
            if (port > 65535) error ??= `fd.${key} ${port} is not a port`;
            v = port;
          } else {
            const b = r.u8();
            const l4 = L4_PROTOS[b];
            if (l4 === undefined) error ??= `fd.l4proto ${b} is not one of ${L4_PROTOS.length}`;
            v = l4;
          }
          if (o !== undefined) o[key] = v;
        }
      }
      builtFd = fd;
    }
    containerIndex = flags & ROW_CONTAINER ? r.uv() : -1;
    ownHostname = flags & ROW_HOSTNAME ? str() : undefined;
    if (build) return undefined;

    const ts = strings[tsIndex]!;
    if (error === undefined) {
      if (num !== undefined && !(num >= 0 && num <= Number.MAX_SAFE_INTEGER))
        error = `num: ${num} is not a non-negative safe integer`;
      else if (strings[typeIndex]!.length === 0) error = 'type: expected a non-empty string';
      else if (!EPOCH_NS.test(ts)) error = 'ts: expected epoch nanoseconds as a decimal string';
      else if (procIndex >= nProcs) error = `proc ${procIndex} is not in procs (${nProcs})`;
      else if (containerIndex >= nContainers)
        error = `container ${containerIndex} is not in containers (${nContainers})`;
    }
    if (error === undefined) {
      let ok = procOk[procIndex];
      if (ok === undefined) ok = procOk[procIndex] = checks.proc(procs[procIndex]!.value, procIndex);
      if (ok !== true) error = ok;
    }
    if (error === undefined && containerIndex >= 0) {
      let ok = containerOk[containerIndex];
      if (ok === undefined)
        ok = containerOk[containerIndex] = checks.container(
          containers[containerIndex]!.value,
          containerIndex,
        );
      if (ok !== true) error = ok;
    }
    return error;
  };

  for (let index = 0; index < nEvents; index++) {
    touched = false;
    const at = r.at;
    const error = row(index, false);
    if (error !== undefined) {
      refused.push({ index, error });
      continue;
    }
    const cleaned =
      touched ||
      procs[procIndex]!.cleaned ||
      namesCleaned[namesIndex] === 1 ||
      (ownHostname === undefined && hostnameCleaned) ||
      (containerIndex >= 0 && containers[containerIndex]!.cleaned);
    rowAt[accepted] = at;
    rowIndex[accepted] = index;
    rowTs[accepted] = tsIndex;
    rowNum[accepted] = num ?? Number.NaN;
    rowType[accepted] = type;
    if (cleaned) {
      rowCleaned[accepted] = 1;
      sanitized++;
    }
    accepted++;
  }
  if (r.at !== bytes.length) r.fail(`${bytes.length - r.at} bytes after the last event`);

  const event = (k: number): WireSyscallEvent => {
    if (!(k >= 0 && k < accepted)) throw new RangeError(`row ${k} of ${accepted}`);
    r.at = rowAt[k]!;
    row(rowIndex[k]!, true);
    // ts and num as the first pass decided them (their deltas chain from the previous row).
    tsIndex = rowTs[k]!;
    const n = rowNum[k]!;
    num = Number.isNaN(n) ? undefined : n;
    const proc = procs[procIndex]!;
    const flagsEnter = bytes[rowAt[k]!]! & ROW_ENTER;
    const ev: WireSyscallEvent = {
      source: 'syscall',
      ts: strings[tsIndex]!,
      type: strings[rowType[k]!]!,
      dir: flagsEnter ? '>' : '<',
      args: builtArgs as [string, string][],
      proc: proc.value,
    };
    if (num !== undefined) ev.num = num;
    if (cpu !== undefined) ev.cpu = cpu;
    if (res !== undefined) ev.res = res;
    const host = ownHostname ?? hostname;
    if (host !== undefined) ev.hostname = host;
    if (builtFd !== undefined) ev.fd = builtFd;
    if (containerIndex >= 0) {
      const entry = containers[containerIndex]!;
      if (entry.value.c) ev.container = entry.value.c;
      if (entry.value.k) ev.k8s = entry.value.k;
    }
    return ev;
  };

  return {
    batch: {
      sensorId,
      batchId,
      seq,
      hostname,
      procs: procs.map((p) => p.value),
      argNames,
      containers: containers.map((c) => c.value),
      count: nEvents,
      cleanedStrings,
    },
    accepted,
    refused,
    sanitized,
    index: (k) => rowIndex[k]!,
    type: (k) => strings[rowType[k]!]!,
    cleaned: (k) => rowCleaned[k] === 1,
    event,
  };
}

const EPOCH_NS = /^\d{1,20}$/;
