/**
 * JSON text with exact 64-bit integers. Falco's output fields carry nanosecond times
 * (`evt.time`, `evt.rawtime`: 19 digits) that a JavaScript number rounds; jsonb keeps any integer
 * exactly, so only the JavaScript side of the way in and out needs care.
 */

/**
 * `JSON.stringify` that writes a bigint as an integer literal (plain `JSON.stringify` throws on
 * one). The bigint is first written as a string carrying a random marker, then the quotes and
 * marker are removed: alert content cannot forge the marker.
 */
export function stringifyJsonExact(value: unknown): string {
  let marker: string | null = null;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    marker ??= `\u0001bigint-${crypto.randomUUID()}:`;
    return `${marker}${v.toString()}`;
  });
  if (marker === null) return text;
  // JSON.stringify escapes U+0001 as \u0001 inside strings.
  const escaped = JSON.stringify(marker)
    .slice(1, -1)
    .replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  return text.replace(new RegExp(`"${escaped}(-?\\d+)"`, 'g'), '$1');
}

/**
 * `stringifyJsonExact` of a flat record (an alert's output fields), the same text, written value
 * by value: a bigint directly as its digits, other scalars by `JSON.stringify`, and only a nested
 * value through the replacer. No replacer call per value and no pass over the text afterwards
 * (the replacer's cost on the collector's store statement).
 */
export function stringifyRecordExact(record: Record<string, unknown>): string {
  let out = '{';
  for (const key of Object.keys(record)) {
    const v = record[key];
    const text =
      typeof v === 'bigint'
        ? v.toString()
        : typeof v === 'object' && v !== null
          ? stringifyJsonExact(v)
          : (JSON.stringify(v) as string | undefined);
    // As JSON.stringify: undefined, functions and symbols leave their key out.
    if (text === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${text}`;
  }
  return `${out}}`;
}

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact, as decimal strings (JSON has nowhere else to
 * put them once they leave for a browser); every other value parses as usual.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(rewriteUnsafeIntegers(text, (token) => `"${token}"`));
}

/**
 * `JSON.parse` that reads integers beyond 2^53 as bigint, exactly (what the collector's ingest of
 * Falco alerts and its work encoding need, so `stringifyJsonExact` writes them back as integer
 * literals); every other value parses as usual. The integers are first written as strings carrying
 * a random marker and turned into bigints by the reviver: input strings cannot forge the marker.
 */
export function parseJsonBigInt(text: string): unknown {
  let marker: string | null = null;
  const rewritten = rewriteUnsafeIntegers(text, (token) => {
    marker ??= `\\u0001int-${crypto.randomUUID()}:`;
    return `"${marker}${token}"`;
  });
  if (marker === null) return JSON.parse(text);
  // The marker as JSON.parse reads it (the escape becomes the U+0001 character).
  const prefix = JSON.parse(`"${marker}"`) as string;
  return JSON.parse(rewritten, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith(prefix) ? BigInt(v.slice(prefix.length)) : v,
  );
}

/** `text` with every integer token beyond 2^53 (outside strings) replaced by `replace(token)`. */
function rewriteUnsafeIntegers(text: string, replace: (token: string) => string): string {
  // Fast path: no run of 16 digits, so no integer beyond 2^53 (9007199254740991, 16 digits).
  if (!/\d{16}/.test(text)) return text;
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string, escapes included.
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < text.length && /[\d.eE+-]/.test(text.charAt(i))) i++;
      const token = text.slice(start, i);
      if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(from, start)}${replace(token)}`;
        from = i;
      }
      continue;
    }
    i++;
  }
  return out + text.slice(from);
}
