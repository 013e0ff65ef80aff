/** Text rendering of extracted values (used by `join`/`concat` and field-to-field text checks). */
import type { Scalar } from '../fields/types.js';
import { formatIp } from './ip.js';

/** Renders one value as Falco would print it in a text context. */
export function renderScalar(v: Scalar): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v instanceof Uint8Array) return bytesToText(v);
      return formatIp(v);
  }
}

/** Bytes to a JS string: valid UTF-8 is decoded, anything else maps byte N to U+00NN. */
export function bytesToText(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      // Not UTF-8: fall through to the byte-per-character form.
    }
  }
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

/** Number of bytes of the UTF-8 encoding of `s` up to its first NUL (C-string length). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) break;
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
