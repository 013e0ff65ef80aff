/**
 * A `.scap` capture writer, pure TypeScript: the blocks the current libscap dumper writes (SHB 1.2,
 * machine info, interface list v2, user list v2, process list v9, fd list v2, event v2 blocks),
 * which sysdig 0.29 and Falco read (`../shared/spec/scap-format.md` §12). Output is uncompressed;
 * gzip it for the usual `.scap.gz`.
 */
import { scapEventSchema } from './event-schema.js';
import { BLOCK, BYTE_ORDER_MAGIC, LARGE_PAYLOAD_EVENTS, SCAP_FD, SHB_BLOCK } from './format.js';
import { encodeParam, type ScapParamInput } from './params.js';
import type {
  ScapFd,
  ScapGroup,
  ScapInterface,
  ScapMachineRecord,
  ScapThread,
  ScapUser,
} from './read-scap.js';

const UTF8 = new TextEncoder();

/** libscap's bounds on process and fd list strings (§6): longer ones make it refuse the file. */
const MAX_PATH_BYTES = 1024;
const MAX_LIST_BYTES = 4096;

/** The first `max` bytes of a UTF-8 text, cut at a character boundary. */
function capped(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** Little-endian byte builder of one block body. */
class Bytes {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  length = 0;
  #room(n: number): number {
    if (this.length + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
      next.set(this.#buf.subarray(0, this.length));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(v: number): this {
    const at = this.#room(1);
    this.#view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.#room(2);
    this.#view.setUint16(at, v, true);
    return this;
  }
  u32(v: number): this {
    const at = this.#room(4);
    this.#view.setUint32(at, v >>> 0, true);
    return this;
  }
  u64(v: number | bigint): this {
    const at = this.#room(8);
    this.#view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.#room(b.length);
    this.#buf.set(b, at);
    return this;
  }
  /** u16 length + bytes, no NUL (process/fd/user lists), cut at libscap's path bound. */
  str16(s: string): this {
    const b = capped(UTF8.encode(s), MAX_PATH_BYTES);
    return this.u16(b.length).bytes(b);
  }
  /** u16 length + NUL-terminated elements, as many whole ones as libscap's list bound holds. */
  list16(items: readonly string[]): this {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (const item of items) {
      const b = UTF8.encode(`${item}\0`);
      if (n + b.length > MAX_LIST_BYTES) break;
      parts.push(b);
      n += b.length;
    }
    this.u16(n);
    for (const b of parts) this.bytes(b);
    return this;
  }
  /** Patches a u32 at `at` (entry lengths known once the entry is written). */
  setU32(at: number, v: number): void {
    this.#view.setUint32(at, v, true);
  }
  done(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = Math.ceil((8 + body.length + 4) / 4) * 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  out.set(body, 8);
  view.setUint32(total - 4, total, true);
  return out;
}

/** A thread for the process list: tid is required, everything else has libscap's defaults. */
export type ScapThreadInput = Partial<ScapThread> & { tid: number };

/** One event to write: its code and parameters (by schema name, or raw in order). */
export interface ScapEventInput {
  ts: bigint | number;
  tid: number;
  /** Event code (`ppm_event_code`). */
  type: number;
  cpu?: number;
  /** Dump flags; non-zero selects the `+flags` block (bit 0: state only). */
  dumpFlags?: number;
  /** Values by parameter name, encoded by the schema's types; missing names are empty. */
  params?: Readonly<Record<string, ScapParamInput>>;
  /** Raw parameter values in order (instead of `params`). */
  raw?: readonly Uint8Array[];
}

/**
 * Builds a capture block by block. `toBytes()` gives the whole file; `take()` drains what was
 * written so far, for streaming to a file.
 */
export class ScapWriter {
  #chunks: Uint8Array[] = [];

  /** Starts the capture with a section header (format 1.2). */
  constructor() {
    const b = new Bytes().u32(BYTE_ORDER_MAGIC).u16(1).u16(2).u64(0xffffffffffffffffn);
    this.#chunks.push(block(SHB_BLOCK, b.done()));
  }

  machineInfo(mi: Partial<Omit<ScapMachineRecord, 'kind'>>): this {
    const b = new Bytes()
      .u32(mi.numCpus ?? 1)
      .u64(mi.memorySizeBytes ?? 0n)
      .u64(mi.maxPid ?? 0n);
    const host = new Uint8Array(128);
    host.set(UTF8.encode(mi.hostname ?? '').subarray(0, 127));
    b.bytes(host)
      .u64(mi.bootTs ?? 0n)
      .u64(mi.flags ?? 0n)
      .u64(0)
      .u64(0);
    this.#chunks.push(block(BLOCK.MACHINE_INFO, b.done()));
    return this;
  }

  /** Interface list v2: IPv4 entries, then IPv6 (§8). */
  interfaces(list: readonly ScapInterface[]): this {
    const b = new Bytes();
    for (const fam of [4, 6] as const) {
      for (const i of list.filter((x) => x.family === fam)) {
        const name = UTF8.encode(i.name);
        const n = fam === 4 ? 4 : 16;
        const entry = new Bytes()
          .u16(fam === 4 ? 1 : 2)
          .u16(name.length)
          .bytes(i.addr)
          .bytes(new Uint8Array(2 * n))
          .u64(0)
          .bytes(name)
          .done();
        b.u32(entry.length).bytes(entry);
      }
    }
    this.#chunks.push(block(BLOCK.INTERFACE_LIST_V2, b.done()));
    return this;
  }

  /** User/group list v2: users, then groups (§9). */
  users(users: readonly ScapUser[], groups: readonly ScapGroup[] = []): this {
    const b = new Bytes();
    for (const u of users) {
      const at = b.length;
      b.u32(0).u8(0).u32(u.uid).u32(u.gid).str16(u.name).str16(u.home).str16(u.shell);
      b.setU32(at, b.length - at);
    }
    for (const g of groups) {
      const at = b.length;
      b.u32(0).u8(1).u32(g.gid).str16(g.name);
      b.setU32(at, b.length - at);
    }
    this.#chunks.push(block(BLOCK.USER_LIST_V2, b.done()));
    return this;
  }

  /** Process list v9, every field (§6). */
  processes(threads: readonly ScapThreadInput[]): this {
    const b = new Bytes();
    for (const t of threads) {
      const at = b.length;
      b.u32(0)
        .u64(t.tid)
        .u64(t.pid ?? t.tid)
        .u64(t.ptid ?? -1)
        .u64(t.sid ?? -1)
        .u64(t.vpgid ?? -1)
        .str16(t.comm ?? '')
        .str16(t.exe ?? '')
        .str16(t.exepath ?? '')
        .list16(t.args ?? [])
        .str16(t.cwd ?? '')
        .u64(t.fdlimit ?? 1024n)
        .u32(t.flags ?? 0)
        .u32(t.uid ?? 0)
        .u32(t.gid ?? 0)
        .u32(t.vmsizeKb ?? 0)
        .u32(t.vmrssKb ?? 0)
        .u32(t.vmswapKb ?? 0)
        .u64(t.pfMajor ?? 0n)
        .u64(t.pfMinor ?? 0n)
        .list16(t.env ?? [])
        .u64(t.vtid ?? t.tid)
        .u64(t.vpid ?? t.pid ?? t.tid)
        .list16(t.cgroups ?? [])
        .str16(t.root ?? '/')
        .u64(t.pidnsInitStartTs ?? 0n)
        .u32(t.tty ?? 0)
        .u32(t.loginuid ?? 0xffffffff)
        .u8(t.exeWritable ? 1 : 0)
        .u64(t.capInheritable ?? 0n)
        .u64(t.capPermitted ?? 0n)
        .u64(t.capEffective ?? 0n)
        .u8(t.exeUpperLayer ? 1 : 0)
        .u64(t.exeIno ?? 0n)
        .u64(t.exeInoCtime ?? 0n)
        .u64(t.exeInoMtime ?? 0n)
        .u8(t.exeFromMemfd ? 1 : 0)
        .u8(t.exeLowerLayer ? 1 : 0)
        .u64(t.pgid ?? t.vpgid ?? -1);
      b.setU32(at, b.length - at);
    }
    this.#chunks.push(block(BLOCK.PROCESS_LIST_V9, b.done()));
    return this;
  }

  /** Fd list v2 of one thread (§7). */
  fds(tid: number, fds: ReadonlyArray<Partial<ScapFd> & Pick<ScapFd, 'fd' | 'type'>>): this {
    const b = new Bytes().u64(tid);
    for (const f of fds) {
      const at = b.length;
      b.u32(0)
        .u64(f.fd)
        .u64(f.ino ?? 0n)
        .u8(f.type);
      switch (f.type) {
        case SCAP_FD.IPV4_SOCK:
        case SCAP_FD.IPV6_SOCK: {
          const n = f.type === SCAP_FD.IPV4_SOCK ? 4 : 16;
          b.bytes(f.sip ?? new Uint8Array(n))
            .bytes(f.dip ?? new Uint8Array(n))
            .u16(f.sport ?? 0)
            .u16(f.dport ?? 0)
            .u8(f.l4proto ?? 0);
          break;
        }
        case SCAP_FD.IPV4_SERVSOCK:
        case SCAP_FD.IPV6_SERVSOCK:
          b.bytes(f.sip ?? new Uint8Array(f.type === SCAP_FD.IPV4_SERVSOCK ? 4 : 16))
            .u16(f.sport ?? 0)
            .u8(f.l4proto ?? 0);
          break;
        case SCAP_FD.UNIX_SOCK:
          b.u64(f.source ?? 0n)
            .u64(f.dest ?? 0n)
            .str16(f.name ?? '');
          break;
        case SCAP_FD.FILE_V2:
          b.u32(f.openFlags ?? 0)
            .str16(f.name ?? '')
            .u32(f.dev ?? 0);
          break;
        default:
          b.str16(f.name ?? '');
      }
      b.setU32(at, b.length - at);
    }
    this.#chunks.push(block(BLOCK.FD_LIST_V2, b.done()));
    return this;
  }

  /** One event block (v2; `+flags` when dumpFlags is set; large for EF_LARGE_PAYLOAD types). */
  event(e: ScapEventInput): this {
    const schema = scapEventSchema(e.type);
    let values: readonly Uint8Array[];
    if (e.raw) values = e.raw;
    else {
      if (schema === undefined) throw new RangeError(`unknown event type ${e.type}`);
      const given = e.params ?? {};
      for (const name of Object.keys(given)) {
        if (!schema.params.some((p) => p.name === name)) {
          throw new RangeError(`event ${schema.name} (${e.type}) has no parameter ${name}`);
        }
      }
      values = schema.params.map((p) => encodeParam(p.type, given[p.name]));
    }
    const large = LARGE_PAYLOAD_EVENTS.has(e.type);
    const width = large ? 4 : 2;
    const len = 26 + width * values.length + values.reduce((n, v) => n + v.length, 0);
    const b = new Bytes().u16(e.cpu ?? 0);
    if (e.dumpFlags) b.u32(e.dumpFlags);
    b.u64(e.ts).u64(e.tid).u32(len).u16(e.type).u32(values.length);
    for (const v of values) {
      if (large) b.u32(v.length);
      else b.u16(v.length);
    }
    for (const v of values) b.bytes(v);
    const type = large
      ? e.dumpFlags
        ? BLOCK.EVENT_V2_LARGE_FLAGS
        : BLOCK.EVENT_V2_LARGE
      : e.dumpFlags
        ? BLOCK.EVENT_V2_FLAGS
        : BLOCK.EVENT_V2;
    this.#chunks.push(block(type, b.done()));
    return this;
  }

  /** The blocks written since the last take (the first take includes the section header). */
  take(): Uint8Array[] {
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }

  /** Everything not yet taken, as one file image. */
  toBytes(): Uint8Array {
    const chunks = this.take();
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
