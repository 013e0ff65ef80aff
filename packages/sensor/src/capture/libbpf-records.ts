import { type RawEvent, splitEnv } from './bpftrace-records.js';
import { RepeatedTexts } from './repeated-texts.js';

/**
 * Decoder of peregrine-capture's binary records (`native/capture.h`): a fixed 184-byte header
 * (size, magic, type, ts, cpu, pid, tid, ppid, euid, egid, ret, 9 int slots, 2 address slots,
 * comm, 4 string lengths, string count, truncation bits) followed by the strings. Records arrive
 * in arbitrary stdout chunks; one that straddles two chunks is completed in a reused buffer.
 * Decoding is DataView-style reads straight from the chunk; the only allocations per event are
 * the RawEvent itself, its two field objects and the field strings.
 */

export const RECORD_MAGIC = 0x4750;
export const HEADER_SIZE = 184;
/** Header plus the BPF program's string area (`PG_DATA_MASK` + 1): no real record is bigger. */
export const MAX_RECORD = HEADER_SIZE + 16384;
export const TYPE_READY = 0xff00;
export const TYPE_LOST = 0xff01;

/** Byte offsets of the header's fields (`struct pg_event` in native/capture.h). */
export const RECORD_OFFSETS = {
  size: 0,
  magic: 4,
  type: 6,
  ts: 8,
  cpu: 16,
  pid: 20,
  tid: 24,
  ppid: 28,
  euid: 32,
  egid: 36,
  ret: 40,
  ints: 48,
  addr: 120,
  comm: 152,
  slen: 168,
  nstr: 176,
  trunc: 177,
} as const;
const OFF = RECORD_OFFSETS;
/** String slots of a record (`PG_NSTRS`). */
const NSTRS = 4;

/** How to decode one event type's fields (from `peregrine-capture --layout`). */
export interface TypeLayout {
  name: string;
  /** Header field names in RawEvent order; `slot` indexes `ints` (numbers) or `addr` (IPs). */
  fields: Array<{ name: string; kind: 'num' | 'addr'; slot: number }>;
  strs: string[];
  /** Index of the `family` field among `fields` (addresses are rendered by it), or -1. */
  familySlot: number;
  /** For the open family (open, openat, openat2, creat): the int slots of its fields, -1 if absent. */
  open?: { dirfd: number; flags: number; mode: number; resolve: number };
}

/** Event types whose records `DecoderEvents.open` may take without a RawEvent. */
const OPEN_TYPES: ReadonlySet<string> = new Set(['open', 'openat', 'openat2', 'creat']);

/**
 * An open-family record decoded field by field into one reused object: the sensor's most frequent
 * event, shipped without the RawEvent, field maps and event object a generic record costs. Valid
 * only during the `open` call that receives it. Fields absent from the type's layout are 0.
 */
export class OpenRecord {
  type = '';
  monoNs: number | bigint = 0;
  cpu = 0;
  pid = 0;
  tid = 0;
  ppid = 0;
  euid = 0;
  egid = 0;
  ret = 0;
  dirfd = 0;
  flags = 0;
  mode = 0;
  resolve = 0;
  comm = '';
  /** The path argument ('' when the record has no string). */
  name = '';
}

/** Parses the loader's `--layout` output: `CODE name|int fields|string fields` per line. */
export function parseLayout(text: string): Map<number, TypeLayout> {
  const layouts = new Map<number, TypeLayout>();
  for (const line of text.split('\n')) {
    const match = /^(\d+) ([a-z0-9_]+)\|([^|]*)\|([^|]*)$/.exec(line.trim());
    if (!match) continue;
    let nums = 0;
    let addrs = 0;
    const fields = (match[3] ?? '')
      .split(' ')
      .filter(Boolean)
      .map((f) =>
        f.startsWith('@')
          ? { name: f.slice(1), kind: 'addr' as const, slot: addrs++ }
          : { name: f, kind: 'num' as const, slot: nums++ },
      );
    const family = fields.find((f) => f.name === 'family');
    const name = match[2] ?? '';
    const strs = (match[4] ?? '').split(' ').filter(Boolean);
    const layout: TypeLayout = { name, fields, strs, familySlot: family ? family.slot : -1 };
    const slot = (field: string) => fields.find((f) => f.name === field && f.kind === 'num')?.slot ?? -1;
    if (OPEN_TYPES.has(name) && strs.length === 1 && strs[0] === 'name') {
      layout.open = {
        dirfd: slot('dirfd'),
        flags: slot('flags'),
        mode: slot('mode'),
        resolve: slot('resolve'),
      };
    }
    layouts.set(Number(match[1]), layout);
  }
  return layouts;
}

// Records are read through a DataView of their bytes: each field one load in optimised code,
// where Buffer's read methods check their argument and assemble the bytes one by one (the open
// fast path took 0.73x the time with DataView reads, docs/BENCHMARKS.md).

/** A signed 64-bit slot: a number when exact as one, else its decimal text (through BigInt). */
function int64Value(view: DataView, at: number): number | string {
  const lo = view.getUint32(at, true);
  const hi = view.getInt32(at + 4, true);
  if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  return view.getBigInt64(at, true).toString();
}

/** An unsigned 64-bit slot: a number below 2^53, else a bigint. */
function uint64Value(view: DataView, at: number): number | bigint {
  const hi = view.getUint32(at + 4, true);
  if (hi < 0x200000) return hi * 4294967296 + view.getUint32(at, true);
  return view.getBigUint64(at, true);
}

/** A signed 64-bit slot known to hold a safe integer (results, fds, flags). */
function int64(view: DataView, at: number): number {
  return view.getInt32(at + 4, true) * 4294967296 + view.getUint32(at, true);
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** inet_ntop's text for 4 or 16 address bytes (glibc's IPv6 rules: longest zero run >= 2 as `::`). */
export function formatIp(buf: Buffer, at: number, family: number): string {
  if (family === 2) return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  if (family !== 10) return '';
  const words: number[] = [];
  for (let n = 0; n < 8; n++) words.push(buf.readUInt16BE(at + n * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let n = 0; n < 8; ) {
    if (words[n] !== 0) {
      n++;
      continue;
    }
    let end = n;
    while (end < 8 && words[end] === 0) end++;
    if (end - n > bestLen) {
      bestStart = n;
      bestLen = end - n;
    }
    n = end;
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-compatible / IPv4-mapped addresses end in dotted quad, as inet_ntop prints them.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const v4 = formatIp(buf, at + 12, 2);
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  let text = '';
  for (let n = 0; n < 8; n++) {
    if (n === bestStart) {
      text += '::';
      n += bestLen - 1;
      continue;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += (words[n] ?? 0).toString(16);
  }
  return text;
}

/** What a chunk of loader output contained besides events. */
export interface DecoderEvents {
  event(event: RawEvent): void;
  /**
   * An open-family record, before any RawEvent is made of it: true when taken, false to have it
   * decoded and passed to `event` as usual.
   */
  open?(record: OpenRecord): boolean;
  ready(): void;
  lost(count: number): void;
  malformed(reason: string): void;
}

/** The stream cannot be followed any more (a record's size or magic is wrong). */
export class RecordStreamError extends Error {}

/** Splits loader output into records and decodes them. */
export class LibbpfRecordDecoder {
  readonly #layouts: ReadonlyMap<number, TypeLayout>;
  readonly #out: DecoderEvents;
  readonly #carry = Buffer.allocUnsafe(MAX_RECORD);
  readonly #carryView = viewOf(this.#carry);
  #carryLen = 0;
  readonly #openRecord = new OpenRecord();
  readonly #comm = new CommDecoder();
  /** The open family's paths: most repeat (see RepeatedTexts). */
  readonly #paths = new RepeatedTexts();

  constructor(layouts: ReadonlyMap<number, TypeLayout>, out: DecoderEvents) {
    this.#layouts = layouts;
    this.#out = out;
  }

  /** Bytes of an unfinished record held back (0 at a record boundary). */
  get pendingBytes(): number {
    return this.#carryLen;
  }

  /** Feeds one stdout chunk. Throws RecordStreamError when the stream is out of step. */
  push(chunk: Buffer): void {
    let off = 0;
    if (this.#carryLen > 0) {
      if (this.#carryLen < 4) {
        const take = Math.min(4 - this.#carryLen, chunk.length);
        chunk.copy(this.#carry, this.#carryLen, 0, take);
        this.#carryLen += take;
        off = take;
        if (this.#carryLen < 4) return;
      }
      const size = this.#carryView.getUint32(0, true);
      this.#checkSize(size);
      const take = Math.min(size - this.#carryLen, chunk.length - off);
      chunk.copy(this.#carry, this.#carryLen, off, off + take);
      this.#carryLen += take;
      off += take;
      if (this.#carryLen < size) return;
      this.#decode(this.#carry, this.#carryView, 0, size);
      this.#carryLen = 0;
    }
    const view = viewOf(chunk);
    while (chunk.length - off >= 4) {
      const size = view.getUint32(off, true);
      this.#checkSize(size);
      if (off + size > chunk.length) break;
      this.#decode(chunk, view, off, size);
      off += size;
    }
    if (off < chunk.length) {
      chunk.copy(this.#carry, 0, off);
      this.#carryLen = chunk.length - off;
    }
  }

  #checkSize(size: number): void {
    if (size < HEADER_SIZE || size > MAX_RECORD)
      throw new RecordStreamError(`record size ${size} out of range: stream out of step`);
  }

  /** One whole record at `at` of `buf` (`view` is a DataView of the same bytes). */
  #decode(buf: Buffer, view: DataView, at: number, size: number): void {
    if (view.getUint16(at + OFF.magic, true) !== RECORD_MAGIC)
      throw new RecordStreamError('record without the magic number: stream out of step');
    const code = view.getUint16(at + OFF.type, true);
    if (code === TYPE_LOST) {
      this.#out.lost(int64(view, at + OFF.ints));
      return;
    }
    if (code === TYPE_READY) {
      this.#out.ready();
      return;
    }
    const layout = this.#layouts.get(code);
    if (!layout) {
      this.#out.malformed(`unknown record type ${code}`);
      return;
    }
    const nstr = buf[at + OFF.nstr] ?? 0;
    let total = 0;
    for (let n = 0; n < nstr && n < NSTRS; n++) total += view.getUint16(at + OFF.slen + n * 2, true);
    if (nstr > layout.strs.length || HEADER_SIZE + total !== size) {
      this.#out.malformed(`${layout.name}: string lengths do not add up to the record size`);
      return;
    }
    if (
      layout.open !== undefined &&
      this.#out.open !== undefined &&
      this.#openFast(buf, view, at, layout, nstr)
    )
      return;
    const ints: Record<string, string | number> = {};
    const family = layout.familySlot >= 0 ? int64(view, at + OFF.ints + layout.familySlot * 8) : 0;
    for (const field of layout.fields) {
      ints[field.name] =
        field.kind === 'num'
          ? int64Value(view, at + OFF.ints + field.slot * 8)
          : formatIp(buf, at + OFF.addr + field.slot * 16, family);
    }
    const strs: Record<string, string> = {};
    const trunc = buf[at + OFF.trunc] ?? 0;
    let argv: string[] | undefined;
    let argvTruncated: boolean | undefined;
    let env: string[] | undefined;
    let envTruncated: boolean | undefined;
    let p = at + HEADER_SIZE;
    for (let n = 0; n < nstr; n++) {
      const len = view.getUint16(at + OFF.slen + n * 2, true);
      const name = layout.strs[n] ?? `s${n}`;
      if (name === 'argv') {
        // NUL-separated; the area ends with the last argument's NUL unless it was cut.
        const end = len > 0 && buf[p + len - 1] === 0 ? p + len - 1 : p + len;
        argv = len > 0 ? buf.toString('utf8', p, end).split('\0') : [];
        argvTruncated = (trunc & (1 << n)) !== 0;
      } else if (name === 'env') {
        envTruncated = (trunc & (1 << n)) !== 0;
        env = splitEnv(buf.subarray(p, p + len), envTruncated);
      } else {
        strs[name] = buf.toString('utf8', p, p + len);
      }
      p += len;
    }
    const event: RawEvent = {
      type: layout.name,
      monoNs: uint64Value(view, at + OFF.ts),
      cpu: view.getUint32(at + OFF.cpu, true),
      pid: view.getUint32(at + OFF.pid, true),
      tid: view.getUint32(at + OFF.tid, true),
      ppid: view.getUint32(at + OFF.ppid, true),
      euid: view.getInt32(at + OFF.euid, true),
      egid: view.getInt32(at + OFF.egid, true),
      ret: int64(view, at + OFF.ret),
      ints,
      strs,
      comm: this.#comm.read(buf, at),
    };
    if (argv) {
      event.argv = argv;
      event.argvTruncated = argvTruncated ?? false;
    }
    if (env) {
      event.env = env;
      event.envTruncated = envTruncated ?? false;
    }
    this.#out.event(event);
  }

  /** Fills the reused OpenRecord and offers it; false when the consumer wants a RawEvent. */
  #openFast(buf: Buffer, view: DataView, at: number, layout: TypeLayout, nstr: number): boolean {
    const slots = layout.open!;
    const r = this.#openRecord;
    r.type = layout.name;
    r.monoNs = uint64Value(view, at + OFF.ts);
    r.cpu = view.getUint32(at + OFF.cpu, true);
    r.pid = view.getUint32(at + OFF.pid, true);
    r.tid = view.getUint32(at + OFF.tid, true);
    r.ppid = view.getUint32(at + OFF.ppid, true);
    r.euid = view.getInt32(at + OFF.euid, true);
    r.egid = view.getInt32(at + OFF.egid, true);
    r.ret = int64(view, at + OFF.ret);
    const ints = at + OFF.ints;
    r.dirfd = slots.dirfd >= 0 ? int64(view, ints + slots.dirfd * 8) : 0;
    r.flags = slots.flags >= 0 ? int64(view, ints + slots.flags * 8) : 0;
    r.mode = slots.mode >= 0 ? int64(view, ints + slots.mode * 8) : 0;
    r.resolve = slots.resolve >= 0 ? int64(view, ints + slots.resolve * 8) : 0;
    r.comm = this.#comm.read(buf, at);
    r.name =
      nstr > 0
        ? this.#paths.read(buf, at + HEADER_SIZE, at + HEADER_SIZE + view.getUint16(at + OFF.slen, true))
        : '';
    return this.#out.open!(r);
  }
}

/**
 * The thread's comm (up to 16 bytes, NUL-terminated when shorter). Consecutive records mostly come
 * from the same few threads: the text of the previous comm is reused when the bytes are the same.
 */
class CommDecoder {
  readonly #bytes = Buffer.alloc(16);
  #len = -1;
  #text = '';

  read(buf: Buffer, at: number): string {
    const start = at + OFF.comm;
    let len = 0;
    while (len < 16 && buf[start + len] !== 0) len++;
    if (len === this.#len) {
      let same = true;
      for (let k = 0; k < len; k++) {
        if (buf[start + k] !== this.#bytes[k]) {
          same = false;
          break;
        }
      }
      if (same) return this.#text;
    }
    buf.copy(this.#bytes, 0, start, start + len);
    this.#len = len;
    this.#text = buf.toString('utf8', start, start + len);
    return this.#text;
  }
}
