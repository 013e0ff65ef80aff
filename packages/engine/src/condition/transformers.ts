/**
 * Transformers applied to extracted values: `tolower toupper b64 basename len join concat
 * getopt`. Type checking happens in transformer-compiler.ts; these are the runtime functions.
 */
import type { Extracted, Scalar } from '../fields/types.js';
import { asciiLower, asciiUpper } from './glob.js';
import { bytesToText, renderScalar, utf8Length } from './render.js';

const B64 = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
}

/** Base64 decoding with optional padding; undefined when the input is not base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */ && text.length - end < 2) end--;
  if (end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64[c]! : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

function mapValues(v: Extracted, f: (s: Scalar) => Scalar | undefined): Extracted {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    const out: Scalar[] = [];
    for (const x of v as readonly Scalar[]) {
      const y = f(x);
      if (y === undefined) return undefined;
      out.push(y);
    }
    return out;
  }
  return f(v as Scalar);
}

/** `tolower()` / `toupper()`: ASCII case mapping of text values (and of list elements). */
export function applyCase(v: Extracted, upper: boolean): Extracted {
  return mapValues(v, (s) => (typeof s === 'string' ? (upper ? asciiUpper(s) : asciiLower(s)) : s));
}

/** `b64()`: decodes base64; a decoding failure makes the value missing. */
export function applyB64(v: Extracted, toBytes: boolean): Extracted {
  return mapValues(v, (s) => {
    const text = typeof s === 'string' ? s : s instanceof Uint8Array ? bytesToText(s) : undefined;
    if (text === undefined) return undefined;
    const bytes = base64Decode(text);
    if (bytes === undefined) return undefined;
    return toBytes ? bytes : bytesToText(bytes);
  });
}

/** `basename()`: text after the last `/` (`/` and `/a/` give the empty string). */
export function applyBasename(v: Extracted): Extracted {
  return mapValues(v, (s) => (typeof s === 'string' ? s.slice(s.lastIndexOf('/') + 1) : s));
}

/** `len()`: element count of lists, byte length of buffers, C-string byte length of text. */
export function applyLen(v: Extracted): Extracted {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'string') return utf8Length(v);
  if (v instanceof Uint8Array) return v.length;
  return renderScalar(v as Scalar).length;
}

/** Flattens list arguments (`(a, b, list_field)`) into text values; missing element → missing. */
export function textList(values: readonly Extracted[]): string[] | undefined {
  const out: string[] = [];
  for (const v of values) {
    if (v === undefined) return undefined;
    if (Array.isArray(v)) for (const x of v as readonly Scalar[]) out.push(renderScalar(x));
    else out.push(renderScalar(v as Scalar));
  }
  return out;
}

/**
 * POSIX-getopt-like scan of an argument vector: short options only, `--` or the first
 * non-option ends the scan, `--long` tokens are skipped. Returns one entry per option seen:
 * its letter (or `?` when unknown) and its value (the argument when it takes one, else the
 * letter itself; a missing argument gives the empty string).
 */
export function getopt(args: readonly string[], optstring: string): Array<[option: string, value: string]> {
  const spec = optstring.startsWith(':') ? optstring.slice(1) : optstring;
  const out: Array<[string, string]> = [];
  for (let i = 0; i < args.length; i++) {
    const tok = args[i]!;
    if (tok === '--') break;
    if (tok.length < 2 || tok[0] !== '-') break;
    if (tok[1] === '-') continue;
    for (let j = 1; j < tok.length; j++) {
      const c = tok[j]!;
      const at = c === ':' ? -1 : spec.indexOf(c);
      if (at === -1) {
        out.push(['?', '?']);
        continue;
      }
      if (spec[at + 1] === ':') {
        let value = tok.slice(j + 1);
        if (value === '') {
          value = i + 1 < args.length ? args[++i]! : '';
        }
        out.push([c, value]);
        break;
      }
      out.push([c, c]);
    }
  }
  return out;
}
