/**
 * How each field type compares: its comparison kind, integer width and signedness, the
 * operators it accepts, and how right-hand literals are parsed (libsinsp's value parser).
 */
import type { FieldType, IpValue, NetValue, Scalar } from '../fields/types.js';
import { parseIpLiteral, parseNetLiteral } from './ip.js';
import { lookupService } from './services.js';

/** Comparison families of field types. */
export type ValueKind = 'str' | 'bytes' | 'sint' | 'uint' | 'double' | 'port' | 'bool' | 'ip' | 'net';

const KIND: Readonly<Record<FieldType, ValueKind>> = {
  CHARBUF: 'str',
  FSPATH: 'str',
  FSRELPATH: 'str',
  BYTEBUF: 'bytes',
  INT8: 'sint',
  INT16: 'sint',
  INT32: 'sint',
  INT64: 'sint',
  FD: 'sint',
  PID: 'sint',
  ERRNO: 'sint',
  UINT8: 'uint',
  UINT16: 'uint',
  UINT32: 'uint',
  UINT64: 'uint',
  UID: 'uint',
  GID: 'uint',
  MODE: 'uint',
  FLAGS8: 'uint',
  FLAGS16: 'uint',
  FLAGS32: 'uint',
  ENUMFLAGS8: 'uint',
  ENUMFLAGS16: 'uint',
  ENUMFLAGS32: 'uint',
  SIGTYPE: 'uint',
  SYSCALLID: 'uint',
  L4PROTO: 'uint',
  RELTIME: 'uint',
  ABSTIME: 'uint',
  DOUBLE: 'double',
  PORT: 'port',
  BOOL: 'bool',
  IPADDR: 'ip',
  IPNET: 'net',
  // DYN must be resolved by SourceDef.bind; treat an unresolved one as text.
  DYN: 'str',
};

const WIDTH: Partial<Record<FieldType, number>> = {
  INT8: 8,
  INT16: 16,
  INT32: 32,
  UINT8: 8,
  UINT16: 16,
  UINT32: 32,
  UID: 32,
  GID: 32,
  MODE: 32,
  FLAGS8: 8,
  FLAGS16: 16,
  FLAGS32: 32,
  ENUMFLAGS8: 8,
  ENUMFLAGS16: 16,
  ENUMFLAGS32: 32,
  SIGTYPE: 8,
  SYSCALLID: 16,
  L4PROTO: 8,
};

/** The comparison kind of a field type. */
export function kindOf(type: FieldType): ValueKind {
  return KIND[type];
}

/** True for the text types (CHARBUF, FSPATH, FSRELPATH). */
export function isStringType(type: FieldType): boolean {
  return KIND[type] === 'str';
}

const NUMERIC_OPS = new Set(['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects', 'exists']);
const BOOL_OPS = new Set(['=', '==', '!=', 'in', 'intersects', 'exists']);
const BYTES_OPS = new Set([
  '=',
  '==',
  '!=',
  'contains',
  'in',
  'intersects',
  'exists',
  'startswith',
  'endswith',
  'bcontains',
  'bstartswith',
]);
const IP_OPS = new Set(['=', '==', '!=', 'in', 'intersects', 'exists']);
const LIST_OPS = new Set(['in', 'intersects', 'exists']);

/** Element types a list field may have (libsinsp's flt_is_comparable). */
const LIST_ELEMENT_TYPES: ReadonlySet<FieldType> = new Set([
  'CHARBUF',
  'UINT64',
  'RELTIME',
  'ABSTIME',
  'BOOL',
  'IPADDR',
  'IPNET',
]);

/**
 * Checks that `op` (without modifier) applies to the type; returns libsinsp's error text
 * (flt_is_comparable) otherwise. `modified` is true when a oneof/anyof/allof modifier is present.
 */
export function operatorError(
  type: FieldType,
  isList: boolean,
  op: string,
  modified: boolean,
): string | undefined {
  if (op === 'exists') return undefined;
  if (isList) {
    if (!LIST_ELEMENT_TYPES.has(type)) return `list filters are not supported for type '${type}'`;
    // (sic) libsinsp's wording.
    return LIST_OPS.has(op) ? undefined : `'${op}' operator not supported list filters`;
  }
  const kind = KIND[type];
  switch (kind) {
    case 'sint':
    case 'uint':
    case 'double':
    case 'port':
      return NUMERIC_OPS.has(op) ? undefined : `'${op}' operator not supported for numeric filters`;
    case 'bool':
      return BOOL_OPS.has(op) ? undefined : `'${op}' operator not supported for numeric filters`;
    case 'bytes':
      return BYTES_OPS.has(op) ? undefined : `'${op}' operator not supported for buffer filters`;
    case 'ip':
    case 'net':
      if (!IP_OPS.has(op) || (modified && op !== '=' && op !== '==' && op !== '!=')) {
        return `'${op}' operator not supported for ip address and network filters`;
      }
      return undefined;
    case 'str':
      return op === 'bcontains' || op === 'bstartswith'
        ? `'${op}' operator not supported for string filters`
        : undefined;
  }
}

/** Thrown by literal parsing with Falco's message. */
export class LiteralError extends Error {}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Integers are `number` when they fit in 2^53 and `bigint` otherwise (one canonical form). */
export function normInt(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/** `sscanf("%d%c")`: optional leading blanks, optional sign, decimal digits, nothing after. */
function scanInt(text: string): bigint {
  const m = /^[\t\n\v\f\r ]*([+-]?)([0-9]+)$/.exec(text);
  if (m === null) throw new LiteralError(`${text} is not a valid number`);
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** strtoll: out-of-range values saturate at the 64-bit limits. */
function saturateSigned(v: bigint): bigint {
  return v < I64_MIN ? I64_MIN : v > I64_MAX ? I64_MAX : v;
}

/** strtoull: a negative value wraps (`-1` is the maximum); too large a magnitude saturates. */
function saturateUnsigned(v: bigint): bigint {
  const magnitude = v < 0n ? -v : v;
  if (magnitude > U64_MAX) return U64_MAX;
  return v < 0n ? BigInt.asUintN(64, v) : v;
}

/** Parses a right-hand literal for a field type; throws LiteralError with Falco's message. */
export function parseLiteral(type: FieldType, text: string): Scalar {
  const kind = KIND[type];
  switch (kind) {
    case 'str':
      return text;
    case 'bytes':
      return textToBytes(text);
    case 'sint':
      return normInt(BigInt.asIntN(WIDTH[type] ?? 64, saturateSigned(scanInt(text))));
    case 'uint':
      return normInt(BigInt.asUintN(WIDTH[type] ?? 64, saturateUnsigned(scanInt(text))));
    case 'double':
      // libsinsp parses DOUBLE right-hand values as 32-bit signed integers.
      return Number(BigInt.asIntN(32, scanInt(text)));
    case 'port': {
      if (text === '') return 0;
      if (/^[0-9]+$/.test(text)) return Number(text) & 0xffff;
      const port = lookupService(text);
      if (port === undefined) throw new LiteralError(`unrecognized protocol ${text}`);
      return port;
    }
    case 'bool':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new LiteralError(`unrecognized boolean value ${text}`);
    case 'ip': {
      const ip: IpValue | undefined = parseIpLiteral(text);
      if (ip === undefined) throw new LiteralError(`unrecognized IP address ${text}`);
      return ip;
    }
    case 'net': {
      const net: NetValue | undefined = parseNetLiteral(text);
      if (net === undefined) throw new LiteralError(`unrecognized IP network ${text}`);
      return net;
    }
  }
}

/**
 * Text to bytes: code units up to U+00FF are single bytes (that is how `\xHH` escapes and raw
 * invalid UTF-8 bytes are carried), anything else is UTF-8 encoded.
 */
export function textToBytes(text: string): Uint8Array {
  let simple = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      simple = false;
      break;
    }
  }
  if (simple) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  return new TextEncoder().encode(text);
}

/** Decodes an even-length hex string (`bcontains`/`bstartswith`), or undefined when invalid. */
export function hexToBytes(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
