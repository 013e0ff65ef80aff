/** Rendering extracted values as Falco prints them (spec §3.2) and as typed JSON (§3.4). */
import type { Extracted, FieldDef, IpValue, NetValue, Scalar } from '../fields/types.js';

/** JSON data; `bigint` carries exact 64-bit integers (nanosecond times) that `toJson` prints as digits. */
export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const NA = '<NA>';

function ipText(v: IpValue | NetValue): string {
  let s: string;
  if (v.family === 4) {
    s = Array.from(v.bytes).join('.');
  } else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2)
      groups.push((((v.bytes[i] ?? 0) << 8) | (v.bytes[i + 1] ?? 0)).toString(16));
    // Compress the longest run of zero groups (inet_ntop style).
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen && j - i > 1) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    s =
      best < 0
        ? groups.join(':')
        : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  }
  return v.kind === 'net' ? `${s}/${v.prefix}` : s;
}

function bytesText(b: Uint8Array): string {
  // Printable rendering: printable ASCII kept, everything else shown as '.', limited like libsinsp.
  let s = '';
  const n = Math.min(b.length, 1024);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}

function scalarText(v: Scalar, def: FieldDef | undefined): string {
  if (typeof v === 'string') {
    const nul = v.indexOf('\0');
    return nul >= 0 ? v.slice(0, nul) : v;
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return def?.type === 'DOUBLE' ? v.toFixed(1) : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return bytesText(v);
  if (v.kind === 'net' && def?.type === 'IPNET') return '<IPNET>';
  return ipText(v);
}

/** Text rendering of a value; `<NA>` when missing. */
export function renderText(v: Extracted, def: FieldDef | undefined): string {
  if (v === undefined) return NA;
  if (Array.isArray(v)) return `(${v.map((x) => scalarText(x as Scalar, def)).join(',')})`;
  return scalarText(v as Scalar, def);
}

function scalarJson(v: Scalar, def: FieldDef | undefined): JsonValue {
  if (typeof v === 'string') return scalarText(v, def);
  if (typeof v === 'boolean' || typeof v === 'number') return v;
  // 64-bit values (nanosecond times, inode numbers) stay bigint: a JS number rounds them beyond
  // 2^53. Falco prints them as integers; `toJson` does too, and consumers that need plain JSON
  // (the collector's store and push) convert them at their boundary.
  if (typeof v === 'bigint') return v;
  if (v instanceof Uint8Array) return bytesText(v);
  return ipText(v);
}

/** Typed JSON rendering of a value (numbers, booleans, strings, arrays, null when missing). */
export function renderJson(v: Extracted, def: FieldDef | undefined): JsonValue {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => scalarJson(x as Scalar, def));
  return scalarJson(v as Scalar, def);
}

/**
 * Serialise like Falco's JSON output: keys in sorted order, exact 64-bit integers, no spaces.
 */
export function toJson(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${toJson(v[k]!)}`).join(',')}}`;
}
