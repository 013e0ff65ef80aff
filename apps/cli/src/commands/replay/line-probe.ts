/**
 * A look at one event line's bytes that validates it as `JSON.parse` would and builds nothing but
 * the few top-level members that decide the event's source and type, so the replay can pass over
 * events no rule can match without parsing them. Anything it is not sure of (escapes in a
 * top-level key or in a value it reads, a `payload` object, a line that is not valid JSON or not
 * an object) gives `undefined`, and the line is parsed in full as before: the full parse stays
 * the one judge of a line, the probe only ever answers for lines it has checked completely.
 */

/**
 * The top-level keys whose values decide where an event goes: those `detectSource` reads and
 * those the syscall source's `eventType` reads (keep in step with both).
 */
const PROBED_KEYS = [
  'source',
  'payload',
  'apiVersion',
  'eventSource',
  'eventVersion',
  'webhook_type',
  'eventType',
  'published',
  'protoPayload',
  'proc',
  'type',
  'evt.type',
] as const;
type ProbedKey = (typeof PROBED_KEYS)[number];

/**
 * The probed members of a line, as `JSON.parse` would give them: strings as they are, objects
 * and arrays as empty ones, numbers as 0 (only their kind is read), `true`, `false`, `null`;
 * a key the line lacks is `undefined`, which its readers (`typeof` checks all) take as absent.
 * One object, used again for every line: read it before probing the next.
 */
export type LineProbe = Readonly<Record<ProbedKey, unknown>>;

/** Written out, so that V8 gives it fixed slots (a built one was a slower dictionary). */
const probe: Record<ProbedKey, unknown> = {
  source: undefined,
  payload: undefined,
  apiVersion: undefined,
  eventSource: undefined,
  eventVersion: undefined,
  webhook_type: undefined,
  eventType: undefined,
  published: undefined,
  protoPayload: undefined,
  proc: undefined,
  type: undefined,
  'evt.type': undefined,
};
/** Whether `probe` holds a line's members, to be cleared before the next. */
let used = false;

function clearProbe(): void {
  probe.source = undefined;
  probe.payload = undefined;
  probe.apiVersion = undefined;
  probe.eventSource = undefined;
  probe.eventVersion = undefined;
  probe.webhook_type = undefined;
  probe.eventType = undefined;
  probe.published = undefined;
  probe.protoPayload = undefined;
  probe.proc = undefined;
  probe.type = undefined;
  probe['evt.type'] = undefined;
  used = false;
}
const OBJECT = Object.freeze({});
const ARRAY = Object.freeze([]);

/** What stands in the probe for a value other than a string, from its first byte. */
function standIn(c: number): unknown {
  if (c === LBRACE) return OBJECT;
  if (c === LBRACKET) return ARRAY;
  if (c === 116) return true;
  if (c === 102) return false;
  if (c === 110) return null;
  return 0;
}

/**
 * Strings met before, by their bytes: type names and sources repeat, and decoding each anew was
 * a third of the probe's garbage.
 */
const seen: { bytes: Uint8Array; text: string }[] = [];

function decoded(b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  next: for (const x of seen) {
    if (x.bytes.length !== n) continue;
    for (let j = 0; j < n; j++) if (x.bytes[j] !== b[s + j]) continue next;
    return x.text;
  }
  let text = '';
  for (let j = s; j < e; j++) text += String.fromCharCode(b[j]!);
  if (seen.length < 64) seen.push({ bytes: new Uint8Array(b.subarray(s, e)), text });
  return text;
}

/** The probed keys by length, as bytes, to compare a key's bytes without decoding them. */
const KEYS_BY_LENGTH: { name: ProbedKey; bytes: Uint8Array }[][] = [];
for (const name of PROBED_KEYS) {
  const bytes = new TextEncoder().encode(name);
  const list = KEYS_BY_LENGTH[bytes.length] ?? [];
  list.push({ name, bytes });
  KEYS_BY_LENGTH[bytes.length] = list;
}

const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const BIG_E = 69;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const SMALL_E = 101;
const LBRACE = 123;
const RBRACE = 125;

/**
 * `b[start, end)` is one line and `b[end]` is its newline, so every scan below stops at `end`
 * without a bounds check: a newline is neither JSON whitespace here nor allowed in a string,
 * a number or a literal.
 *
 * `looksWanted` is asked about each top-level `type` / `evt.type` string as it is met: when it
 * answers true, the line is left to the full parse at once (its event will be built anyway, so
 * checking the rest of it would be wasted).
 */
export function probeLine(
  b: Uint8Array,
  start: number,
  end: number,
  looksWanted: (type: string) => boolean,
): LineProbe | undefined {
  let i = skipSpace(b, start);
  if (b[i] !== LBRACE) return undefined;
  if (used) clearProbe();
  i = skipSpace(b, i + 1);
  if (b[i] === RBRACE) i++;
  else
    for (;;) {
      if (b[i] !== QUOTE) return undefined;
      const keyStart = i + 1;
      let k = keyStart;
      for (let c = b[k]!; c !== QUOTE; c = b[++k]!) {
        // An escaped key may spell a probed one: not worth decoding here.
        if (c === BACKSLASH || c < SPACE) return undefined;
      }
      const key = probedKey(b, keyStart, k);
      i = skipSpace(b, k + 1);
      if (b[i] !== COLON) return undefined;
      i = skipSpace(b, i + 1);
      if (key === undefined) {
        i = skipValue(b, i);
        if (i < 0) return undefined;
      } else {
        const c = b[i];
        let value: unknown;
        if (c === QUOTE) {
          let j = i + 1;
          for (let d = b[j]!; d !== QUOTE; d = b[++j]!) {
            // Escapes and non-ASCII bytes would need decoding: leave the line to JSON.parse.
            if (d === BACKSLASH || d < SPACE || d > 126) return undefined;
          }
          value = decoded(b, i + 1, j);
          if ((key === 'type' || key === 'evt.type') && looksWanted(value as string)) return undefined;
          i = j + 1;
        } else {
          // payload's own members would decide the source: not probed.
          if (c === LBRACE && key === 'payload') return undefined;
          value = standIn(c!);
          i = skipValue(b, i);
          if (i < 0) return undefined;
        }
        probe[key] = value;
        used = true;
      }
      i = skipSpace(b, i);
      const c = b[i];
      if (c === RBRACE) {
        i++;
        break;
      }
      if (c !== COMMA) return undefined;
      i = skipSpace(b, i + 1);
    }
  return skipSpace(b, i) === end ? probe : undefined;
}

function probedKey(b: Uint8Array, s: number, e: number): ProbedKey | undefined {
  const list = KEYS_BY_LENGTH[e - s];
  if (list === undefined) return undefined;
  next: for (const k of list) {
    for (let j = 0; j < k.bytes.length; j++) if (b[s + j] !== k.bytes[j]) continue next;
    return k.name;
  }
  return undefined;
}

function skipSpace(b: Uint8Array, i: number): number {
  for (let c = b[i]; c === SPACE || c === TAB; c = b[++i]);
  return i;
}

/** Open arrays and objects while skipping a value: true for an object. Reused, never shrunk. */
const open: boolean[] = [];

/** The index after the JSON value at `i` (validated, nothing built), or -1 if there is none. */
function skipValue(b: Uint8Array, i: number): number {
  let depth = 0;
  for (;;) {
    // A value.
    let c = b[i]!;
    if (c === QUOTE) {
      i = skipString(b, i + 1);
      if (i < 0) return -1;
    } else if (c === LBRACE || c === LBRACKET) {
      const object = c === LBRACE;
      i = skipSpace(b, i + 1);
      if (b[i] === (object ? RBRACE : RBRACKET)) i++;
      else {
        open[depth++] = object;
        if (object) {
          i = skipMemberName(b, i);
          if (i < 0) return -1;
        }
        continue;
      }
    } else if (c === 116) {
      if (b[i + 1] !== 114 || b[i + 2] !== 117 || b[i + 3] !== 101) return -1;
      i += 4;
    } else if (c === 102) {
      if (b[i + 1] !== 97 || b[i + 2] !== 108 || b[i + 3] !== 115 || b[i + 4] !== 101) return -1;
      i += 5;
    } else if (c === 110) {
      if (b[i + 1] !== 117 || b[i + 2] !== 108 || b[i + 3] !== 108) return -1;
      i += 4;
    } else {
      i = skipNumber(b, i);
      if (i < 0) return -1;
    }
    // What follows a value: the end of the outermost one, a comma, or closing brackets.
    for (;;) {
      if (depth === 0) return i;
      i = skipSpace(b, i);
      c = b[i]!;
      const object = open[depth - 1]!;
      if (c === COMMA) {
        i = skipSpace(b, i + 1);
        if (object) {
          i = skipMemberName(b, i);
          if (i < 0) return -1;
        }
        break;
      }
      if (c !== (object ? RBRACE : RBRACKET)) return -1;
      depth--;
      i++;
    }
  }
}

/** `"name" :` and the space after it, from the opening quote; the index of the value. */
function skipMemberName(b: Uint8Array, i: number): number {
  if (b[i] !== QUOTE) return -1;
  i = skipString(b, i + 1);
  if (i < 0) return -1;
  i = skipSpace(b, i);
  if (b[i] !== COLON) return -1;
  return skipSpace(b, i + 1);
}

/** The index after a string's closing quote, from the byte after its opening one; -1 if invalid. */
function skipString(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const d = b[i + 1];
      if (d === 117) {
        if (!isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
        i += 6;
        continue;
      }
      // \" \\ \/ \b \f \n \r \t
      if (
        d !== QUOTE &&
        d !== BACKSLASH &&
        d !== SLASH &&
        d !== 98 &&
        d !== 102 &&
        d !== 110 &&
        d !== 114 &&
        d !== 116
      )
        return -1;
      i += 2;
      continue;
    }
    // Control characters (the newline that ends the line among them) are not allowed in strings;
    // bytes from 0x80 are UTF-8 (or invalid UTF-8, which decodes to U+FFFD): both fine.
    if (c < SPACE) return -1;
    i++;
  }
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** JSON's number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === MINUS) i++;
  let c = b[i]!;
  if (c === ZERO) c = b[++i]!;
  else if (c > ZERO && c <= NINE) {
    do c = b[++i]!;
    while (c >= ZERO && c <= NINE);
  } else return -1;
  if (c === DOT) {
    c = b[++i]!;
    if (!(c >= ZERO && c <= NINE)) return -1;
    do c = b[++i]!;
    while (c >= ZERO && c <= NINE);
  }
  if (c === SMALL_E || c === BIG_E) {
    c = b[++i]!;
    if (c === PLUS || c === MINUS) c = b[++i]!;
    if (!(c >= ZERO && c <= NINE)) return -1;
    do c = b[++i]!;
    while (c >= ZERO && c <= NINE);
  }
  return i;
}
