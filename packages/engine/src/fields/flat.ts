import type { Extracted, FieldType, MatchMode, Scalar } from './types.js';
import { parseIp, parseNet, textToBytes, toInteger } from './values.js';

/**
 * Flat maps: replayed or hand-written events given as `{ "proc.name": "bash", "proc.aname[2]":
 * "sshd" }`. The extractor reads the exact key (field name plus argument text) and converts the
 * JSON value to the field's type. An absent key or a JSON `null` is a missing value.
 */

type Convert = (value: unknown) => Scalar | undefined;

const INTEGER_TYPES = new Set<FieldType>([
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'FD',
  'PID',
  'ERRNO',
  'UID',
  'GID',
  'MODE',
  'FLAGS8',
  'FLAGS16',
  'FLAGS32',
  'ENUMFLAGS8',
  'ENUMFLAGS16',
  'ENUMFLAGS32',
  'SIGTYPE',
  'SYSCALLID',
  'L4PROTO',
  'RELTIME',
  'ABSTIME',
  'PORT',
]);

/** True for the integer-valued field types (numbers or bigints when extracted). */
export function isIntegerType(type: FieldType): boolean {
  return INTEGER_TYPES.has(type);
}

function scalarConverter(type: FieldType): Convert {
  if (INTEGER_TYPES.has(type)) return toInteger;
  switch (type) {
    case 'DOUBLE':
      return (v) => {
        const n = typeof v === 'string' ? Number(v) : v;
        return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
      };
    case 'BOOL':
      return (v) => {
        if (typeof v === 'boolean') return v;
        if (v === 'true' || v === 1) return true;
        if (v === 'false' || v === 0) return false;
        return undefined;
      };
    case 'IPADDR':
      return (v) => (typeof v === 'string' ? parseIp(v) : undefined);
    case 'IPNET':
      // A bare address is an endpoint value (compared by membership), a CIDR a network.
      return (v) => (typeof v !== 'string' ? undefined : v.includes('/') ? parseNet(v) : parseIp(v));
    case 'BYTEBUF':
      return (v) => {
        if (typeof v === 'string') return textToBytes(v);
        if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) {
          return Uint8Array.from(v as number[]);
        }
        return undefined;
      };
    default:
      return (v) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
        return v === null || v === undefined ? undefined : JSON.stringify(v);
      };
  }
}

/** Builds the converter from a flat-map JSON value to the bound field's extracted value. */
export function flatConverter(
  type: FieldType,
  isList: boolean,
  mode: MatchMode,
): (value: unknown) => Extracted {
  const one = scalarConverter(type);
  const many = isList || mode !== 'scalar';
  if (!many) {
    return (value) => (value === null || value === undefined ? undefined : one(value));
  }
  return (value) => {
    if (value === null || value === undefined) return undefined;
    const items = Array.isArray(value) ? value : [value];
    const out: Scalar[] = [];
    for (const item of items) {
      const c = one(item);
      if (c !== undefined) out.push(c);
    }
    // libsinsp treats a list field with no value as missing.
    return out.length === 0 && isList ? undefined : out;
  };
}

/** Reads the first present key of `keys` from a flat map (`undefined` when none is present). */
export function readFlat(event: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) {
    const v = event[key];
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The default flat-map test for sources whose structured events have no dotted top-level keys:
 * a flat map is an object with at least one own key starting with one of `prefixes`
 * (`ka.`, `jevt.`, ...).
 */
export function hasPrefixedKey(event: Record<string, unknown>, prefixes: readonly string[]): boolean {
  for (const key in event) {
    if (!Object.hasOwn(event, key)) continue;
    for (const p of prefixes) if (key.startsWith(p)) return true;
  }
  return false;
}

/** Events with at most this many own keys are tested directly: cheaper than the memo. */
const DIRECT_KEYS = 8;

/**
 * `hasPrefixedKey` for one source, memoised per event object: every field of every rule asks the
 * same question about the same event, and the key scan is the expensive part for events with
 * many keys. An event with few keys (the collector's `{ts, payload}` envelope) is scanned
 * directly: a WeakMap entry per event costs more than that, in lookups and in garbage collection.
 */
export function prefixedKeyTest(prefixes: readonly string[]): (event: Record<string, unknown>) => boolean {
  const seen = new WeakMap<object, boolean>();
  return (event) => {
    let keys = 0;
    for (const key in event) {
      if (++keys > DIRECT_KEYS) break;
      if (!Object.hasOwn(event, key)) continue;
      for (const p of prefixes) if (key.startsWith(p)) return true;
    }
    if (keys <= DIRECT_KEYS) return false;
    let flat = seen.get(event);
    if (flat === undefined) {
      flat = hasPrefixedKey(event, prefixes);
      seen.set(event, flat);
    }
    return flat;
  };
}
