/**
 * A streaming reader of `.scap` captures (Falco / sysdig / libscap), pure TypeScript over
 * Uint8Array chunks: no I/O, so the CLI feeds it a file stream and the console a browser upload.
 * Memory is bounded by the largest block, not the file. Layout and rules:
 * `../shared/spec/scap-format.md` §1-10 (section numbers below refer to it).
 */
import { scapEventSchema } from './event-schema.js';
import {
  BLOCK,
  BYTE_ORDER_MAGIC,
  LARGE_PAYLOAD_EVENTS,
  PROCESS_LIST_VERSION,
  SCAP_FD,
  SHB_BLOCK,
  ScapFormatError,
  type ScapErrorCode,
} from './format.js';

/** The section header: the format version of the capture. */
export interface ScapSectionRecord {
  kind: 'section';
  major: number;
  minor: number;
}

/** The machine the capture was taken on (§5). */
export interface ScapMachineRecord {
  kind: 'machine';
  numCpus: number;
  memorySizeBytes: bigint;
  maxPid: bigint;
  hostname: string;
  /** Boot time, epoch ns (0 in old files). */
  bootTs: bigint;
  flags: bigint;
}

/** One thread of the capture's process list (§6). Absent fields of older list versions keep their defaults. */
export interface ScapThread {
  tid: number;
  pid: number;
  ptid: number;
  sid: number;
  vpgid: number;
  pgid: number;
  comm: string;
  /** argv[0]. */
  exe: string;
  exepath: string;
  /** argv[1..]. */
  args: string[];
  cwd: string;
  fdlimit: bigint;
  /** PPM_CL_* flags. */
  flags: number;
  uid: number;
  gid: number;
  vmsizeKb: number;
  vmrssKb: number;
  vmswapKb: number;
  pfMajor: bigint;
  pfMinor: bigint;
  env: string[];
  vtid: number;
  vpid: number;
  /** `subsys=path` entries. */
  cgroups: string[];
  root: string;
  pidnsInitStartTs: bigint;
  tty: number;
  /** 0xFFFFFFFF when unset. */
  loginuid: number;
  exeWritable: boolean;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  exeUpperLayer: boolean;
  exeLowerLayer: boolean;
  exeFromMemfd: boolean;
  exeIno: bigint;
  exeInoCtime: bigint;
  exeInoMtime: bigint;
}

/** One open file descriptor of a fd list (§7). */
export interface ScapFd {
  fd: number;
  ino: bigint;
  /** SCAP_FD_* type. */
  type: number;
  name: string;
  /** PPM_O_* flags (FILE_V2 only). */
  openFlags?: number;
  dev?: number;
  /** IP sockets: source/destination as stored (network-order bytes, host-order ports). */
  sip?: Uint8Array;
  dip?: Uint8Array;
  sport?: number;
  dport?: number;
  /** SCAP_L4_* code. */
  l4proto?: number;
  /** Unix sockets: kernel socket pointers. */
  source?: bigint;
  dest?: bigint;
}

export interface ScapProcessesRecord {
  kind: 'processes';
  version: number;
  threads: ScapThread[];
}

export interface ScapFdsRecord {
  kind: 'fds';
  tid: number;
  fds: ScapFd[];
}

export interface ScapInterface {
  family: 4 | 6;
  name: string;
  /** Network-order address bytes. */
  addr: Uint8Array;
}

export interface ScapInterfacesRecord {
  kind: 'interfaces';
  interfaces: ScapInterface[];
}

export interface ScapUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
  shell: string;
}

export interface ScapGroup {
  gid: number;
  name: string;
}

export interface ScapUsersRecord {
  kind: 'users';
  users: ScapUser[];
  groups: ScapGroup[];
}

/** One event (§10): its header and raw parameter values (decode them with the event schema). */
export interface ScapEventRecord {
  readonly kind: 'event';
  /** Offset of the event's block in the uncompressed capture. */
  readonly offset: number;
  readonly cpu: number;
  /** Dump flags (bit 0: state only, not to be shown). */
  readonly dumpFlags: number;
  readonly ts: bigint;
  readonly tid: number;
  /** Event code (even = enter, odd = exit). */
  readonly type: number;
  /** Raw parameter values in schema order; an empty array is an empty parameter. */
  readonly params: Uint8Array[];
  /**
   * What `params` is cut from, without a view per parameter: parameter i is
   * `bytes[bounds[i]..bounds[i + 1])` (`bounds` has one entry more than there are parameters).
   */
  readonly bytes: Uint8Array;
  readonly bounds: readonly number[];
}

/**
 * An event record whose parameter views are made only when `params` is read: the state reads
 * the values straight from `bytes` (a view per parameter was a fifth of the reader's cost).
 */
class EventRecord implements ScapEventRecord {
  readonly kind = 'event' as const;
  #params: Uint8Array[] | undefined;
  constructor(
    readonly offset: number,
    readonly cpu: number,
    readonly dumpFlags: number,
    readonly ts: bigint,
    readonly tid: number,
    readonly type: number,
    readonly bytes: Uint8Array,
    readonly bounds: readonly number[],
  ) {}
  get params(): Uint8Array[] {
    if (this.#params === undefined) {
      const b = this.bounds;
      const out: Uint8Array[] = new Array(b.length - 1);
      for (let i = 0; i < out.length; i++) out[i] = this.bytes.subarray(b[i]!, b[i + 1]!);
      this.#params = out;
    }
    return this.#params;
  }
}

export type ScapRecord =
  | ScapSectionRecord
  | ScapMachineRecord
  | ScapProcessesRecord
  | ScapFdsRecord
  | ScapInterfacesRecord
  | ScapUsersRecord
  | ScapEventRecord;

export interface ScapReaderOptions {
  /** Largest block accepted (bytes); larger ones fail with SCAP_BLOCK_TOO_LARGE. Default 64 MiB. */
  maxBlockBytes?: number;
}

const DEFAULT_MAX_BLOCK = 64 * 1024 * 1024;
const UTF8 = new TextDecoder('utf-8');

/** Bounds-checked little-endian reads over one block; overruns become SCAP_CORRUPT_BLOCK errors. */
class Cursor {
  readonly view: DataView;
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
    readonly blockOffset: number,
    /** The block's type, named in errors. */
    readonly blockType: number,
    start: number,
    /** A view of `bytes` already made (the reader has one per chunk): saves one per block. */
    view?: DataView,
  ) {
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }
  fail(message: string, code: ScapErrorCode = 'SCAP_CORRUPT_BLOCK'): never {
    throw new ScapFormatError(code, `block 0x${this.blockType.toString(16)}: ${message}`, this.blockOffset);
  }
  need(n: number, limit = this.end): void {
    if (this.pos + n > limit) this.fail(`${n} bytes needed at +${this.pos}, only ${limit - this.pos} left`);
  }
  remaining(limit = this.end): number {
    return limit - this.pos;
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A signed 64-bit id (tid, pid, fd) as a number. */
  i64n(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getInt32(this.pos + 4, true);
    // Exact without a BigInt below 2^53 in magnitude, as Number(BigInt) is; beyond, rounded as it rounds.
    const v =
      hi >= -0x200000 && hi < 0x200000
        ? hi * 0x100000000 + lo
        : Number(this.view.getBigInt64(this.pos, true));
    this.pos += 8;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** u16 length + bytes, without a NUL on disk (a trailing NUL, if any, is dropped). */
  str16(): string {
    return cString(this.take(this.u16()));
  }
  /** u16 length + NUL-separated list. */
  list16(): string[] {
    return splitNul(this.take(this.u16()));
  }
}

/** Text of a C string: up to the first NUL. */
export function cString(bytes: Uint8Array): string {
  return cStringAt(bytes, 0, bytes.length);
}

/** `cString` of `bytes[start..end)`. */
export function cStringAt(bytes: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  return UTF8.decode(bytes.subarray(start, stop));
}

/** A NUL-separated list (`a\0b\0`), without the empty element after the last NUL. */
export function splitNul(bytes: Uint8Array): string[] {
  if (bytes.length === 0) return [];
  const parts = UTF8.decode(bytes).split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function emptyThread(tid: number): ScapThread {
  return {
    tid,
    pid: tid,
    ptid: -1,
    sid: -1,
    vpgid: -1,
    pgid: -1,
    comm: '',
    exe: '',
    exepath: '',
    args: [],
    cwd: '',
    fdlimit: 0n,
    flags: 0,
    uid: 0,
    gid: 0,
    vmsizeKb: 0,
    vmrssKb: 0,
    vmswapKb: 0,
    pfMajor: 0n,
    pfMinor: 0n,
    env: [],
    vtid: -1,
    vpid: -1,
    cgroups: [],
    root: '',
    pidnsInitStartTs: 0n,
    tty: 0,
    loginuid: 0xffffffff,
    exeWritable: false,
    capInheritable: 0n,
    capPermitted: 0n,
    capEffective: 0n,
    exeUpperLayer: false,
    exeLowerLayer: false,
    exeFromMemfd: false,
    exeIno: 0n,
    exeInoCtime: 0n,
    exeInoMtime: 0n,
  };
}

/** A thread table entry of process list version `v` (§6). */
function readThread(c: Cursor, v: number): ScapThread {
  let entryEnd = c.end;
  if (v >= 9) {
    const start = c.pos;
    const len = c.u32();
    if (len < 4 || start + len > c.end) c.fail(`process entry length ${len} overruns the block`);
    entryEnd = start + len;
  }
  const t = emptyThread(0);
  t.tid = c.i64n();
  t.pid = c.i64n();
  t.ptid = c.i64n();
  if (v >= 6) t.sid = c.i64n();
  if (v >= 8) t.vpgid = c.i64n();
  t.comm = c.str16();
  t.exe = c.str16();
  if (v >= 7) t.exepath = c.str16();
  t.args = c.list16();
  t.cwd = c.str16();
  t.fdlimit = c.u64();
  t.flags = c.u32();
  t.uid = c.u32();
  t.gid = c.u32();
  if (v >= 2) {
    t.vmsizeKb = c.u32();
    t.vmrssKb = c.u32();
    t.vmswapKb = c.u32();
    t.pfMajor = c.u64();
    t.pfMinor = c.u64();
  }
  if (v >= 3) t.env = c.list16();
  if (v >= 4) {
    t.vtid = c.i64n();
    t.vpid = c.i64n();
    t.cgroups = c.list16();
  }
  if (v >= 5) t.root = c.str16();
  if (v >= 9) {
    if (c.pos > entryEnd) c.fail('process entry shorter than its fields');
    // libs < 0.10 wrote no pidns_init_start_ts/tty: what is left is at most loginuid..caps (29 bytes).
    const fits = (n: number) => c.pos + n <= entryEnd;
    if (entryEnd - c.pos > 29) {
      if (fits(8)) t.pidnsInitStartTs = c.u64();
      if (fits(4)) t.tty = c.u32();
    }
    if (fits(4)) t.loginuid = c.u32();
    if (fits(1)) t.exeWritable = c.u8() !== 0;
    if (fits(24)) {
      t.capInheritable = c.u64();
      t.capPermitted = c.u64();
      t.capEffective = c.u64();
    }
    if (fits(1)) t.exeUpperLayer = c.u8() !== 0;
    if (fits(24)) {
      t.exeIno = c.u64();
      t.exeInoCtime = c.u64();
      t.exeInoMtime = c.u64();
    }
    if (fits(1)) t.exeFromMemfd = c.u8() !== 0;
    if (fits(1)) t.exeLowerLayer = c.u8() !== 0;
    if (fits(8)) t.pgid = c.i64n();
    c.pos = entryEnd;
  }
  return t;
}

function readFd(c: Cursor, v: number): ScapFd | undefined {
  let entryEnd = c.end;
  if (v >= 2) {
    const start = c.pos;
    const len = c.u32();
    if (len < 4 || start + len > c.end) c.fail(`fd entry length ${len} overruns the block`);
    entryEnd = start + len;
  }
  const fd: ScapFd = { fd: c.i64n(), ino: c.u64(), type: c.u8(), name: '' };
  switch (fd.type) {
    case SCAP_FD.IPV4_SOCK:
    case SCAP_FD.IPV6_SOCK: {
      const n = fd.type === SCAP_FD.IPV4_SOCK ? 4 : 16;
      fd.sip = c.take(n);
      fd.dip = c.take(n);
      fd.sport = c.u16();
      fd.dport = c.u16();
      fd.l4proto = c.u8();
      break;
    }
    case SCAP_FD.IPV4_SERVSOCK:
    case SCAP_FD.IPV6_SERVSOCK:
      fd.sip = c.take(fd.type === SCAP_FD.IPV4_SERVSOCK ? 4 : 16);
      fd.sport = c.u16();
      fd.l4proto = c.u8();
      break;
    case SCAP_FD.UNIX_SOCK:
      fd.source = c.u64();
      fd.dest = c.u64();
      fd.name = c.str16();
      break;
    case SCAP_FD.FILE_V2:
      fd.openFlags = c.u32();
      fd.name = c.str16();
      if (c.pos + 4 <= entryEnd && v >= 2) fd.dev = c.u32();
      break;
    case SCAP_FD.FILE:
    case SCAP_FD.DIRECTORY:
    case SCAP_FD.FIFO:
    case SCAP_FD.EVENT:
    case SCAP_FD.UNSUPPORTED:
    case SCAP_FD.SIGNALFD:
    case SCAP_FD.EVENTPOLL:
    case SCAP_FD.INOTIFY:
    case SCAP_FD.TIMERFD:
    case SCAP_FD.NETLINK:
    case SCAP_FD.BPF:
    case SCAP_FD.USERFAULTFD:
    case SCAP_FD.IOURING:
    case SCAP_FD.MEMFD:
    case SCAP_FD.PIDFD:
      fd.name = c.str16();
      break;
    default:
      // v2 entries say their length: an unknown type is skipped; v1 cannot go on.
      if (v < 2) c.fail(`unknown fd type ${fd.type}`);
      c.pos = entryEnd;
      return undefined;
  }
  if (v >= 2) {
    if (c.pos > entryEnd) c.fail('fd entry shorter than its fields');
    c.pos = entryEnd;
  }
  return fd;
}

function readInterfaces(c: Cursor, v: number): ScapInterface[] {
  const out: ScapInterface[] = [];
  while (c.remaining() >= 4) {
    let entryEnd = c.end;
    if (v >= 2) {
      const len = c.u32(); // does not count itself (§8)
      if (c.pos + len > c.end) c.fail(`interface entry length ${len} overruns the block`);
      entryEnd = c.pos + len;
    }
    const type = c.u16();
    const nameLen = c.u16();
    if (type === 1 || type === 3) {
      const addr = c.take(4);
      c.take(8);
      if (type === 1) c.take(8);
      out.push({ family: 4, addr, name: cString(c.take(nameLen)) });
    } else if (type === 2 || type === 4) {
      const addr = c.take(16);
      c.take(32);
      if (type === 2) c.take(8);
      out.push({ family: 6, addr, name: cString(c.take(nameLen)) });
    } else if (v < 2) {
      c.fail(`unknown interface type ${type}`);
    }
    if (v >= 2) c.pos = entryEnd;
  }
  return out;
}

function readUsers(c: Cursor, v: number): ScapUsersRecord {
  const rec: ScapUsersRecord = { kind: 'users', users: [], groups: [] };
  while (c.remaining() >= 4) {
    let entryEnd = c.end;
    if (v >= 2) {
      const start = c.pos;
      const len = c.u32(); // counts itself (§9)
      if (len < 5 || start + len > c.end) c.fail(`user entry length ${len} overruns the block`);
      entryEnd = start + len;
    }
    const kind = c.u8();
    if (kind === 0) {
      const uid = c.u32();
      const gid = c.u32();
      rec.users.push({ uid, gid, name: c.str16(), home: c.str16(), shell: c.str16() });
    } else {
      const gid = c.u32();
      rec.groups.push({ gid, name: c.str16() });
    }
    if (v >= 2) {
      if (c.pos > entryEnd) c.fail('user entry shorter than its fields');
      c.pos = entryEnd;
    }
  }
  return rec;
}

/**
 * Incremental reader: `push` chunks as they arrive (any size), get the complete records; `end`
 * when the input is over. Throws ScapFormatError with the block offset on bad input.
 */
export class ScapReader {
  readonly #maxBlock: number;
  #buf: Uint8Array = new Uint8Array(0);
  /** Offset in the capture of #buf[0]. */
  #base = 0;
  /**
   * Chunks after #buf not joined to it yet, and their length: a block arriving in many chunks is
   * joined once it is whole, not copied again with every chunk (quadratic in the block's size).
   */
  #more: Uint8Array[] = [];
  #moreBytes = 0;
  /** Bytes (#buf and #more) needed before a record can complete: a header's 8, then its block. */
  #want = 8;
  #sawSection = false;
  #sawEvent = false;

  constructor(options: ScapReaderOptions = {}) {
    this.#maxBlock = options.maxBlockBytes ?? DEFAULT_MAX_BLOCK;
  }

  /** Bytes consumed so far (the offset of the next block). */
  get offset(): number {
    return this.#base;
  }

  /** Feeds a chunk; yields every record it completes. */
  *push(chunk: Uint8Array): Generator<ScapRecord> {
    if (chunk.length === 0) return;
    this.#more.push(chunk);
    this.#moreBytes += chunk.length;
    if (this.#buf.length + this.#moreBytes < this.#want) return;
    if (this.#buf.length === 0 && this.#more.length === 1) this.#buf = chunk;
    else {
      const joined = new Uint8Array(this.#buf.length + this.#moreBytes);
      joined.set(this.#buf);
      let at = this.#buf.length;
      for (const c of this.#more) {
        joined.set(c, at);
        at += c.length;
      }
      this.#buf = joined;
    }
    this.#more = [];
    this.#moreBytes = 0;
    this.#want = 8;
    let pos = 0;
    const buf = this.#buf;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (buf.length - pos >= 8) {
      const offset = this.#base + pos;
      const type = view.getUint32(pos, true);
      const total = view.getUint32(pos + 4, true);
      if (!this.#sawSection) {
        if (type !== SHB_BLOCK) {
          throw new ScapFormatError('SCAP_NOT_A_CAPTURE', 'not a capture: no section header block', offset);
        }
      }
      if (total < 12 || total % 4 !== 0) {
        throw new ScapFormatError(
          'SCAP_CORRUPT_BLOCK',
          `block 0x${type.toString(16)}: bad length ${total}`,
          offset,
        );
      }
      if (total > this.#maxBlock) {
        throw new ScapFormatError(
          'SCAP_BLOCK_TOO_LARGE',
          `block 0x${type.toString(16)}: ${total} bytes is above the reader's bound of ${this.#maxBlock}`,
          offset,
        );
      }
      if (buf.length - pos < total) {
        this.#want = total;
        break;
      }
      const trailer = view.getUint32(pos + total - 4, true);
      if (trailer !== total) {
        throw new ScapFormatError(
          'SCAP_CORRUPT_BLOCK',
          `block 0x${type.toString(16)}: trailer ${trailer} does not repeat its length ${total}`,
          offset,
        );
      }
      const record = this.#block(buf, view, pos, type, total, offset);
      pos += total;
      if (record !== undefined) {
        if (Array.isArray(record)) yield* record;
        else yield record as ScapRecord;
      }
    }
    this.#buf = buf.subarray(pos);
    this.#base += pos;
  }

  /** Ends the input: throws when it stopped inside a block or held no event. */
  end(): void {
    if (this.#buf.length + this.#moreBytes > 0) {
      throw new ScapFormatError(
        'SCAP_TRUNCATED',
        `capture ends inside a block (${this.#buf.length + this.#moreBytes} bytes left over)`,
        this.#base,
      );
    }
    if (!this.#sawSection) throw new ScapFormatError('SCAP_NOT_A_CAPTURE', 'empty input', this.#base);
    if (!this.#sawEvent) throw new ScapFormatError('SCAP_NO_EVENTS', 'no events in file', this.#base);
  }

  #block(
    buf: Uint8Array,
    view: DataView,
    pos: number,
    type: number,
    total: number,
    offset: number,
  ): ScapRecord | ScapRecord[] | undefined {
    const end = pos + total - 4;
    const c = new Cursor(buf, end, offset, type, pos + 8, view);
    if (type === SHB_BLOCK) {
      const magic = c.u32();
      if (magic !== BYTE_ORDER_MAGIC) {
        throw new ScapFormatError(
          'SCAP_NOT_A_CAPTURE',
          `section header: byte-order magic 0x${magic.toString(16)} (a big-endian or foreign file)`,
          offset,
        );
      }
      const major = c.u16();
      const minor = c.u16();
      if (major > 1) {
        throw new ScapFormatError(
          'SCAP_UNSUPPORTED_VERSION',
          `section header: format version ${major}.${minor} is newer than 1.x`,
          offset,
        );
      }
      this.#sawSection = true;
      return { kind: 'section', major, minor };
    }
    switch (type) {
      case BLOCK.EVENT_V1:
      case BLOCK.EVENT_V1_LEGACY:
      case BLOCK.EVENT_V1_FLAGS:
      case BLOCK.EVENT_V2:
      case BLOCK.EVENT_V2_FLAGS:
      case BLOCK.EVENT_V2_LARGE:
      case BLOCK.EVENT_V2_LARGE_FLAGS:
        this.#sawEvent = true;
        return readEvent(c, type, offset);
      case BLOCK.MACHINE_INFO:
      case BLOCK.MACHINE_INFO_LEGACY: {
        c.need(180);
        const numCpus = c.u32();
        const memorySizeBytes = c.u64();
        const maxPid = c.u64();
        const hostname = cString(c.take(128));
        return {
          kind: 'machine',
          numCpus,
          memorySizeBytes,
          maxPid,
          hostname,
          bootTs: c.u64(),
          flags: c.u64(),
        };
      }
      case BLOCK.FD_LIST_V1:
      case BLOCK.FD_LIST_V1_LEGACY:
      case BLOCK.FD_LIST_V2: {
        const v = type === BLOCK.FD_LIST_V2 ? 2 : 1;
        const tid = c.i64n();
        const fds: ScapFd[] = [];
        while (c.remaining() >= 4) {
          const fd = readFd(c, v);
          if (fd) fds.push(fd);
        }
        return { kind: 'fds', tid, fds };
      }
      case BLOCK.INTERFACE_LIST_V1:
      case BLOCK.INTERFACE_LIST_V1_LEGACY:
      case BLOCK.INTERFACE_LIST_V2:
        return {
          kind: 'interfaces',
          interfaces: readInterfaces(c, type === BLOCK.INTERFACE_LIST_V2 ? 2 : 1),
        };
      case BLOCK.USER_LIST_V1:
      case BLOCK.USER_LIST_V1_LEGACY:
      case BLOCK.USER_LIST_V2:
        return readUsers(c, type === BLOCK.USER_LIST_V2 ? 2 : 1);
      default: {
        const v = PROCESS_LIST_VERSION.get(type);
        if (v === undefined) return undefined; // unknown block: skipped by its length (§2)
        const threads: ScapThread[] = [];
        // v9 entries start with their length; older ones end after their last field.
        while (c.remaining() >= 4) threads.push(readThread(c, v));
        return { kind: 'processes', version: v, threads };
      }
    }
  }
}

function readEvent(c: Cursor, type: number, offset: number): ScapEventRecord | undefined {
  const withFlags =
    type === BLOCK.EVENT_V1_FLAGS || type === BLOCK.EVENT_V2_FLAGS || type === BLOCK.EVENT_V2_LARGE_FLAGS;
  const v1 = type === BLOCK.EVENT_V1 || type === BLOCK.EVENT_V1_LEGACY || type === BLOCK.EVENT_V1_FLAGS;
  const fail = (message: string): never => {
    throw new ScapFormatError('SCAP_CORRUPT_EVENT', `event block 0x${type.toString(16)}: ${message}`, offset);
  };
  const cpu = c.u16();
  const dumpFlags = withFlags ? c.u32() : 0;
  const start = c.pos;
  const headerLen = v1 ? 22 : 26;
  if (c.remaining() < headerLen) fail('shorter than an event header');
  const ts = c.u64();
  const tid = c.i64n();
  const len = c.u32();
  const code = c.u16();
  if (len < headerLen || start + len > c.end) fail(`event length ${len} does not fit the block`);
  const evEnd = start + len;
  const large = LARGE_PAYLOAD_EVENTS.has(code);
  const width = large ? 4 : 2;
  let nparams: number;
  if (v1) {
    // v1 headers have no nparams: the schema's count, lowered until the lengths add up (§10).
    const schema = scapEventSchema(code);
    if (schema === undefined) return undefined;
    nparams = -1;
    for (let n = schema.params.length; n >= 0; n--) {
      if (start + headerLen + width * n > evEnd) continue;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const p = start + headerLen + width * i;
        sum += large ? c.view.getUint32(p, true) : c.view.getUint16(p, true);
      }
      if (headerLen + width * n + sum === len) {
        nparams = n;
        break;
      }
    }
    if (nparams < 0) fail(`type ${code}: no parameter count fits its length ${len}`);
  } else {
    nparams = c.u32();
  }
  if (headerLen + width * nparams > len) fail(`type ${code}: ${nparams} parameters do not fit length ${len}`);
  // bounds[i]: where parameter i starts, relative to the block's bytes; the last entry is the end.
  const bounds: number[] = new Array(nparams + 1);
  let at = c.pos + width * nparams;
  for (let i = 0; i < nparams; i++) {
    bounds[i] = at;
    at += large ? c.u32() : c.u16();
  }
  bounds[nparams] = at;
  if (at !== evEnd) {
    fail(`type ${code}: header and parameter lengths (${at - start}) differ from ${len}`);
  }
  // Codes past the table come from a newer producer: skipped, as libscap does.
  if (scapEventSchema(code) === undefined) return undefined;
  return new EventRecord(offset, cpu, dumpFlags, ts, tid, code, c.bytes, bounds);
}

/** Every record of a whole capture held in memory (already gunzipped). */
export function* readScap(bytes: Uint8Array, options?: ScapReaderOptions): Generator<ScapRecord> {
  const reader = new ScapReader(options);
  yield* reader.push(bytes);
  reader.end();
}

/** True when the bytes start a gzip stream (captures are usually gzip, §1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** True when the bytes start an uncompressed capture (a section header block). */
export function isScap(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a
  );
}
