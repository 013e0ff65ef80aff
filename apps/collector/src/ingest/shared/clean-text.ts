import { parseJsonBigInt } from '@peregrine/db';

/**
 * The one place where ingested text is made storable. Postgres refuses two kinds of characters
 * that JSON and JavaScript strings can carry:
 *
 * - NUL (U+0000): jsonb refuses the `\u0000` escape (22P05) and text refuses the byte (22021);
 * - unpaired UTF-16 surrogates (a lone `\ud800`): jsonb refuses the escape ("Unicode low surrogate
 *   must follow a high surrogate") and no UTF-8 encoding of them exists.
 *
 * One such character in one event used to fail the whole statement, and with it every event of
 * the request (or stall a poller on the same file forever). Each is replaced by U+FFFD, the
 * replacement character, in string values and in object keys alike, before the engine sees the
 * event: what rules evaluate is what is stored, and the replacement is visible in both.
 *
 * Other C0 controls (U+0001 to U+001F) stay: Postgres stores them in text and jsonb, Falco's own
 * outputs keep them, and removing them would change what rules match.
 *
 * Raw invalid UTF-8 bytes never get here: decoding bytes as UTF-8 already turns them into U+FFFD.
 * So in JSON text decoded from bytes, the only way to a refused character is an escape, which
 * lets a clean body cost one `indexOf` (see `jsonTextNeedsCleaning`).
 */

/** What refused characters become. */
export const REPLACEMENT_CHARACTER = '\ufffd';

/** NUL or an unpaired surrogate (code units: no `u` flag, so lone surrogates are matchable). */
const REFUSED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const REFUSED_ALL = new RegExp(REFUSED.source, 'g');

/**
 * A `\u0000` or surrogate (`\ud800`-`\udfff`) escape that is really an escape: preceded by an odd
 * number of backslashes (`\\u0000` is an escaped backslash followed by the text `u0000`).
 * Paired surrogate escapes (`\ud83d\ude00`, as Python's json.dumps writes emoji) match too: they
 * cost a walk that then changes nothing.
 */
const SUSPECT_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

/**
 * True when JSON text (decoded from UTF-8 bytes) may parse to a string Postgres refuses. False
 * means no walk is needed: the common case, decided by one `indexOf` when the text has no
 * `\u` escape at all.
 */
export function jsonTextNeedsCleaning(text: string): boolean {
  return text.indexOf('\\u') !== -1 && SUSPECT_ESCAPE.test(text);
}

/** `s` with NUL and unpaired surrogates replaced by U+FFFD (`s` itself when there are none). */
export function cleanString(s: string): string {
  return REFUSED.test(s) ? s.replace(REFUSED_ALL, REPLACEMENT_CHARACTER) : s;
}

/** What a cleaning walk changed. */
export interface CleanReport {
  /** Strings (values and keys) in which characters were replaced. */
  replaced: number;
  /** True when `value` (an object or array of the cleaned document) contained a replaced string. */
  touched(value: unknown): boolean;
}

/** The report of a document that needed nothing. */
export const CLEAN: CleanReport = { replaced: 0, touched: () => false };

interface Frame {
  node: Record<string, unknown> | unknown[];
  parent: Frame | undefined;
}

/**
 * Cleans a parsed JSON document in place (iteratively: JSON.parse builds documents deeper than
 * the stack) and returns it; only a root string is replaced rather than changed in place.
 * An object whose key changes is rebuilt in the same key order; two keys that become equal
 * keep the later value, as duplicate keys in JSON do.
 */
export function cleanJsonValue<T>(value: T): { value: T; report: CleanReport } {
  if (typeof value === 'string') {
    const cleaned = cleanString(value);
    return cleaned === value
      ? { value, report: CLEAN }
      : { value: cleaned as T, report: { replaced: 1, touched: () => false } };
  }
  if (typeof value !== 'object' || value === null) return { value, report: CLEAN };
  const dirty = new WeakSet<object>();
  let replaced = 0;
  const mark = (frame: Frame | undefined) => {
    // Up to the first container already marked: each is marked once, so the walk stays linear.
    for (let f = frame; f && !dirty.has(f.node); f = f.parent) dirty.add(f.node);
  };
  const stack: Frame[] = [{ node: value as Record<string, unknown> | unknown[], parent: undefined }];
  // One slot of a container: a string is cleaned in place, a container is walked later.
  const visit = (frame: Frame, holder: Record<string | number, unknown>, k: string | number) => {
    const v = holder[k];
    if (typeof v === 'string') {
      const c = cleanString(v);
      if (c !== v) {
        holder[k] = c;
        replaced++;
        mark(frame);
      }
    } else if (typeof v === 'object' && v !== null) stack.push({ node: v as Frame['node'], parent: frame });
  };
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { node } = frame;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(frame, node as unknown as Record<number, unknown>, i);
      continue;
    }
    let renamed = false;
    for (const key of Object.keys(node)) {
      visit(frame, node, key);
      if (cleanString(key) !== key) renamed = true;
    }
    if (renamed) replaced += renameKeys(node, () => mark(frame));
  }
  return { value, report: { replaced, touched: (v) => typeof v === 'object' && v !== null && dirty.has(v) } };
}

/** Rewrites an object's keys cleaned, in order (defineProperty: a `__proto__` key stays a key). */
function renameKeys(node: Record<string, unknown>, onRename: () => void): number {
  const entries = Object.entries(node);
  for (const key of Object.keys(node)) delete node[key];
  let n = 0;
  for (const [key, v] of entries) {
    const c = cleanString(key);
    if (c !== key) {
      n++;
      onRename();
    }
    Object.defineProperty(node, c, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return n;
}

/**
 * `JSON.parse` of text decoded from UTF-8 bytes, cleaned when the text says it may need it.
 * With `exactIntegers`, integers beyond 2^53 are read as bigint instead of a rounded number
 * (Falco's nanosecond `evt.time`). Throws JSON.parse's SyntaxError.
 */
export function parseCleanJson(
  text: string,
  options: { exactIntegers?: boolean } = {},
): { value: unknown; report: CleanReport } {
  const value: unknown = options.exactIntegers ? parseJsonBigInt(text) : JSON.parse(text);
  return jsonTextNeedsCleaning(text) ? cleanJsonValue(value) : { value, report: CLEAN };
}
