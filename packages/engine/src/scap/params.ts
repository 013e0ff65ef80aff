/**
 * Event parameter values (§10.1, §10.2 of `../shared/spec/scap-format.md`): decoding raw bytes by
 * libs parameter type, and encoding JavaScript values back (for the writer).
 */
import { formatIp, parseIp } from '../fields/values.js';
import { cString, cStringAt } from './read-scap.js';
import { PPM_AF } from './format.js';

/** A decoded socket address (SOCKADDR). */
export interface ScapSockaddr {
  family: number;
  /** IP text for INET/INET6. */
  ip?: string;
  port?: number;
  /** Unix socket path. */
  path?: string;
}

/** A decoded socket tuple (SOCKTUPLE): source and destination as the driver stored them. */
export interface ScapSocktuple {
  family: number;
  sip?: string;
  sport?: number;
  dip?: string;
  dport?: number;
  /** Unix: kernel socket pointers and the path. */
  source?: bigint;
  dest?: bigint;
  path?: string;
}

export type ScapValue = number | bigint | string | Uint8Array | ScapSockaddr | ScapSocktuple;

/** Fixed sizes of the numeric parameter types. */
const SIZES: Readonly<Record<string, number>> = {
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  ERRNO: 8,
  FD: 8,
  PID: 8,
  SYSCALLID: 2,
  SIGTYPE: 1,
  RELTIME: 8,
  ABSTIME: 8,
  PORT: 2,
  L4PROTO: 1,
  SOCKFAMILY: 1,
  BOOL: 4,
  FLAGS8: 1,
  FLAGS16: 2,
  FLAGS32: 4,
  UID: 4,
  GID: 4,
  DOUBLE: 8,
  SIGSET: 4,
  MODE: 4,
  ENUMFLAGS8: 1,
  ENUMFLAGS16: 2,
  ENUMFLAGS32: 4,
  FD32: 4,
  PID32: 4,
};

const SIGNED = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'ERRNO', 'FD', 'PID', 'FD32', 'PID32']);
/** 64-bit types whose values are ids or results: numbers (they fit 2^53 in practice). */
const ID64 = new Set(['ERRNO', 'FD', 'PID', 'INT64']);

function ipText(bytes: Uint8Array): string {
  return formatIp({ kind: 'ip', family: bytes.length === 4 ? 4 : 6, bytes });
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
}

function u64(b: Uint8Array, at: number): bigint {
  return new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, true);
}

/** How a numeric type reads: width, signedness, and whether a 64-bit value is an id (a number). */
interface NumericType {
  size: number;
  signed: boolean;
  id64: boolean;
  double: boolean;
}
const NUMERIC = new Map<string, NumericType>(
  Object.entries(SIZES).map(([type, size]) => [
    type,
    { size, signed: SIGNED.has(type), id64: ID64.has(type), double: type === 'DOUBLE' },
  ]),
);

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/** Decodes one parameter; undefined for an empty (absent) value or one too short for its type. */
export function decodeParam(type: string, bytes: Uint8Array): ScapValue | undefined {
  return decodeParamAt(type, bytes, 0, bytes.length);
}

/**
 * `decodeParam` of `bytes[start..end)`, without a view of the parameter first (numbers and texts
 * are read in place; only byte buffers and addresses come back as views).
 */
export function decodeParamAt(
  type: string,
  bytes: Uint8Array,
  start: number,
  end: number,
): ScapValue | undefined {
  const len = end - start;
  if (len <= 0) return undefined;
  const num = NUMERIC.get(type);
  if (num !== undefined) {
    // A producer may store a narrower width than the schema (older versions): read what is there.
    const n = Math.min(num.size, len);
    if (n === 8) {
      if (num.id64) {
        // The id as a number without a BigInt: exact below 2^53, as Number(BigInt) is.
        const hi = u32le(bytes, start + 4) | 0;
        if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + u32le(bytes, start);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset + start, 8);
      if (num.double) return view.getFloat64(0, true);
      if (num.id64) return Number(view.getBigInt64(0, true));
      return num.signed ? view.getBigInt64(0, true) : view.getBigUint64(0, true);
    }
    if (num.double) return undefined;
    if (n === 4) {
      const v = u32le(bytes, start);
      return num.signed ? v | 0 : v;
    }
    if (n === 2) {
      const v = bytes[start]! | (bytes[start + 1]! << 8);
      return num.signed ? (v << 16) >> 16 : v;
    }
    if (n === 1) return num.signed ? (bytes[start]! << 24) >> 24 : bytes[start]!;
    return undefined;
  }
  switch (type) {
    case 'CHARBUF':
    case 'FSPATH':
    case 'FSRELPATH':
      return cStringAt(bytes, start, end);
    case 'SOCKADDR':
      return decodeSockaddr(bytes.subarray(start, end));
    case 'SOCKTUPLE':
      return decodeSocktuple(bytes.subarray(start, end));
    case 'IPV4ADDR':
    case 'IPV6ADDR':
    case 'IPADDR':
      return len === 4 || len === 16 ? ipText(bytes.subarray(start, end)) : undefined;
    default:
      // BYTEBUF, DYN, FDLIST, IPNET, ...: the raw bytes.
      return bytes.subarray(start, end);
  }
}

function decodeSockaddr(b: Uint8Array): ScapSockaddr {
  const family = b[0]!;
  if (family === PPM_AF.INET && b.length >= 7)
    return { family, ip: ipText(b.subarray(1, 5)), port: u16(b, 5) };
  if (family === PPM_AF.INET6 && b.length >= 19)
    return { family, ip: ipText(b.subarray(1, 17)), port: u16(b, 17) };
  if (family === PPM_AF.UNIX) return { family, path: cString(b.subarray(1)) };
  return { family };
}

function decodeSocktuple(b: Uint8Array): ScapSocktuple {
  const family = b[0]!;
  if (family === PPM_AF.INET && b.length >= 13) {
    return {
      family,
      sip: ipText(b.subarray(1, 5)),
      sport: u16(b, 5),
      dip: ipText(b.subarray(7, 11)),
      dport: u16(b, 11),
    };
  }
  if (family === PPM_AF.INET6 && b.length >= 37) {
    return {
      family,
      sip: ipText(b.subarray(1, 17)),
      sport: u16(b, 17),
      dip: ipText(b.subarray(19, 35)),
      dport: u16(b, 35),
    };
  }
  if (family === PPM_AF.UNIX && b.length >= 17) {
    return { family, source: u64(b, 1), dest: u64(b, 9), path: cString(b.subarray(17)) };
  }
  return { family };
}

// ---- encoding ----

/** What the writer accepts for a parameter: missing (`undefined`) is an empty parameter. */
export type ScapParamInput =
  | number
  | bigint
  | string
  | string[]
  | Uint8Array
  | ScapSockaddr
  | ScapSocktuple
  | undefined;

const UTF8 = new TextEncoder();

function cStringBytes(text: string): Uint8Array {
  const body = UTF8.encode(text);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

function ipBytes(text: string | undefined, family: 4 | 6): Uint8Array {
  const ip = text === undefined ? undefined : parseIp(text);
  const n = family === 4 ? 4 : 16;
  if (ip === undefined || ip.bytes.length !== n) return new Uint8Array(n);
  return ip.bytes;
}

function encodeSockaddr(a: ScapSockaddr): Uint8Array {
  if (a.family === PPM_AF.INET || a.family === PPM_AF.INET6) {
    const ip = ipBytes(a.ip, a.family === PPM_AF.INET ? 4 : 6);
    const out = new Uint8Array(1 + ip.length + 2);
    out[0] = a.family;
    out.set(ip, 1);
    new DataView(out.buffer).setUint16(1 + ip.length, a.port ?? 0, true);
    return out;
  }
  if (a.family === PPM_AF.UNIX) {
    const path = cStringBytes(a.path ?? '');
    const out = new Uint8Array(1 + path.length);
    out[0] = a.family;
    out.set(path, 1);
    return out;
  }
  return Uint8Array.of(a.family);
}

function encodeSocktuple(t: ScapSocktuple): Uint8Array {
  if (t.family === PPM_AF.INET || t.family === PPM_AF.INET6) {
    const fam = t.family === PPM_AF.INET ? 4 : 6;
    const sip = ipBytes(t.sip, fam);
    const dip = ipBytes(t.dip, fam);
    const n = sip.length;
    const out = new Uint8Array(1 + 2 * n + 4);
    const view = new DataView(out.buffer);
    out[0] = t.family;
    out.set(sip, 1);
    view.setUint16(1 + n, t.sport ?? 0, true);
    out.set(dip, 3 + n);
    view.setUint16(3 + 2 * n, t.dport ?? 0, true);
    return out;
  }
  if (t.family === PPM_AF.UNIX) {
    const path = cStringBytes(t.path ?? '');
    const out = new Uint8Array(17 + path.length);
    const view = new DataView(out.buffer);
    out[0] = t.family;
    view.setBigUint64(1, t.source ?? 0n, true);
    view.setBigUint64(9, t.dest ?? 0n, true);
    out.set(path, 17);
    return out;
  }
  return Uint8Array.of(t.family);
}

/** Encodes one value as a parameter of libs type `type`. */
export function encodeParam(type: string, value: ScapParamInput): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  const size = SIZES[type];
  if (size !== undefined) {
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    if (typeof value !== 'number' && typeof value !== 'bigint') {
      throw new TypeError(`parameter of type ${type} needs a number, got ${typeof value}`);
    }
    if (type === 'DOUBLE') view.setFloat64(0, Number(value), true);
    else if (size === 8) view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    else if (size === 4) view.setUint32(0, Number(BigInt.asUintN(32, BigInt(value))), true);
    else if (size === 2) view.setUint16(0, Number(BigInt.asUintN(16, BigInt(value))), true);
    else view.setUint8(0, Number(BigInt.asUintN(8, BigInt(value))));
    return out;
  }
  switch (type) {
    case 'CHARBUF':
    case 'FSPATH':
    case 'FSRELPATH':
      return cStringBytes(String(value));
    case 'SOCKADDR':
      return encodeSockaddr(value as ScapSockaddr);
    case 'SOCKTUPLE':
      return encodeSocktuple(value as ScapSocktuple);
    default:
      if (Array.isArray(value)) {
        // NUL-terminated strings back to back (execve args/env, clone cgroups).
        const parts = value.map(cStringBytes);
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      }
      if (typeof value === 'string') return UTF8.encode(value);
      throw new TypeError(`cannot encode ${typeof value} as ${type}`);
  }
}
