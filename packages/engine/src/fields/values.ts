import type { IpValue, NetValue, Scalar } from './types.js';

/**
 * Value helpers shared by the extractors: integer normalisation (number below 2^53, bigint
 * above), epoch-nanosecond strings, IP/CIDR parsing and byte encoding. Pure functions, no I/O.
 */

const DIGITS = /^-?\d+$/;

/** Decimal text or number -> number when it fits in 2^53, else bigint; undefined if not an integer. */
export function toInteger(value: unknown): number | bigint | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'bigint') return normalizeBig(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!DIGITS.test(text)) {
    if (/^0x[0-9a-f]+$/i.test(text)) return normalizeBig(BigInt(text));
    return undefined;
  }
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** A bigint brought back to number when it is exactly representable. */
export function normalizeBig(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

/** Epoch-nanosecond decimal string -> bigint (times exceed 2^53); undefined when malformed. */
export function nsToBigInt(ns: string | undefined): bigint | undefined {
  if (ns === undefined || !/^\d+$/.test(ns)) return undefined;
  return BigInt(ns);
}

/** Difference of two epoch-ns strings as an integer value (RELTIME), undefined when either is absent. */
export function nsDiff(later: string | undefined, earlier: string | undefined): number | bigint | undefined {
  const a = nsToBigInt(later);
  const b = nsToBigInt(earlier);
  if (a === undefined || b === undefined) return undefined;
  return normalizeBig(a - b);
}

/** Parses an IPv4 dotted quad or IPv6 text into an IpValue; undefined when invalid. */
export function parseIp(text: string): IpValue | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes ? { kind: 'ip', family: 6, bytes } : undefined;
  }
  const bytes = parseIpv4(text);
  return bytes ? { kind: 'ip', family: 4, bytes } : undefined;
}

const IP_CACHE = new Map<string, IpValue | null>();
const IP_CACHE_MAX = 4096;

/**
 * parseIp memoised: socket events repeat the same few addresses, and parsing costs ~10x a map
 * lookup. The cache is bounded (cleared when full); returned values are shared, never mutate them.
 */
export function parseIpCached(text: string): IpValue | undefined {
  const hit = IP_CACHE.get(text);
  if (hit !== undefined) return hit ?? undefined;
  const ip = parseIp(text);
  if (IP_CACHE.size >= IP_CACHE_MAX) IP_CACHE.clear();
  IP_CACHE.set(text, ip ?? null);
  return ip;
}

/** Parses `a.b.c.d/len` or an IPv6 CIDR into a NetValue; a bare address gets a full-length prefix. */
export function parseNet(text: string): NetValue | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  return { kind: 'net', family: ip.family, bytes: ip.bytes, prefix };
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let tail4: Uint8Array | undefined;
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) fills the last 4 bytes.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIpv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return undefined;
  const groups: string[] = [];
  if (dbl >= 0) {
    const left = head.slice(0, dbl) === '' ? [] : head.slice(0, dbl).split(':');
    const right = head.slice(dbl + 2) === '' ? [] : head.slice(dbl + 2).split(':');
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    groups.push(...left, ...new Array<string>(fill).fill('0'), ...right);
  } else {
    groups.push(...head.split(':'));
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] as string;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

/** Renders an IpValue as text (dotted quad / compressed IPv6), for tests and flat-map output. */
export function formatIp(ip: IpValue): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Text -> bytes. Characters U+0000..U+00FF map to one byte each (the engine carries raw,
 * possibly invalid UTF-8 bytes that way); anything above is UTF-8 encoded.
 */
export function textToBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x100) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** A JSON value as Falco's JSON plugins render it: strings raw, everything else compact JSON. */
export function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** True for plain objects (not arrays, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Type guard used by tests and converters. */
export function isScalar(value: unknown): value is Scalar {
  const t = typeof value;
  return (
    t === 'string' ||
    t === 'number' ||
    t === 'bigint' ||
    t === 'boolean' ||
    value instanceof Uint8Array ||
    (isObject(value) && (value.kind === 'ip' || value.kind === 'net'))
  );
}
