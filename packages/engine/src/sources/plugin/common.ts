import type { FieldSpec } from '../../fields/define.js';
import type { Extracted, FieldArgSpec, FieldType } from '../../fields/types.js';
import { isObject, jsonText, normalizeBig, nsToBigInt } from '../../fields/values.js';
import { formatIsoTime, formatLocalDateTime, formatLocalTime } from '../syscall/time.js';

/**
 * Shared pieces of the JSON-payload ("plugin") sources: the optional envelope, event time,
 * the generic `evt.*` fields every plugin event has, JSON pointers and the `json.*`/`jevt.*`
 * fields of Falco's json plugin.
 *
 * A cloud event is the parsed JSON record itself (a k8s audit Event, a CloudTrail record, ...).
 * Collectors may wrap it in an envelope (PluginEnvelope): an object with an object `payload` and
 * a string `ts` or a number `num` is read as an envelope.
 */
export interface PluginEnvelope {
  /** Event time, epoch nanoseconds as a decimal string (absent: the record's own time). */
  ts?: string;
  /** The JSON record (audit Event, CloudTrail record, LogEvent, ...). */
  payload: Record<string, unknown>;
  /** evt.num */
  num?: number;
  /** evt.hostname: the collector's host. */
  hostname?: string;
  /** okta.org: the Okta organization the collector polls. */
  org?: string;
}

/** Every key an envelope may have (none of them reads as a flat-map field name). */
export const ENVELOPE_KEYS: readonly string[] = Object.freeze(['ts', 'payload', 'num', 'hostname', 'org']);

export type Rec = Record<string, unknown>;
export type RecGet = (record: Rec, event: Rec) => Extracted;

/**
 * An envelope wraps the JSON record with what the event's reader knows about it: its time (`ts`)
 * and/or its number (`num`). A reader that numbers records but has no time of its own (the CLI
 * replaying bare records) sends `{ num, payload }`; the record's own time is used then.
 */
function isEnvelope(e: Rec): boolean {
  return (typeof e.ts === 'string' || typeof e.num === 'number') && isObject(e.payload);
}

/**
 * The event `event` numbered `num` (Falco's `evt.num`, from 1 per stream): an envelope keeps its
 * time and host and gets the number; a bare record is wrapped as `{ num, payload }`.
 */
export function numberedPluginEvent(event: Rec, num: number): PluginEnvelope {
  if (isEnvelope(event)) return { ...(event as unknown as PluginEnvelope), num };
  return { num, payload: event };
}

/** The JSON record of an event (unwrapping an envelope). */
export function recordOf(e: Rec): Rec {
  return isEnvelope(e) ? (e.payload as Rec) : e;
}

/** RFC 3339 text -> epoch nanoseconds as a decimal string (fraction kept to the nanosecond). */
export function rfc3339ToNs(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/.exec(text);
  if (!m) return undefined;
  const zone = m[4] as string;
  const iso = `${m[1]}T${m[2]}${zone === 'z' ? 'Z' : zone}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[3] ?? '').slice(0, 9).padEnd(9, '0');
  return (BigInt(ms / 1000) * 1_000_000_000n + BigInt(frac)).toString();
}

/** Field shortcut for plugin sources: no argument, reads from the record. */
export function rf(
  name: string,
  type: FieldType,
  desc: string,
  get: RecGet,
  extra: Partial<FieldSpec> = {},
): FieldSpec {
  return {
    name,
    type,
    desc,
    ...extra,
    bind: () => ((e: Rec) => get(recordOf(e), e)) as (e: never) => Extracted,
  };
}

/** Field shortcut with an argument; `bind` turns the argument into a record reader once. */
export function rfArg(
  name: string,
  type: FieldType,
  desc: string,
  arg: FieldArgSpec,
  argDesc: string,
  bind: (arg: string | undefined) => RecGet,
  extra: Partial<FieldSpec> = {},
): FieldSpec {
  return {
    name,
    type,
    desc,
    arg,
    argDesc,
    ...extra,
    bind: (a) => {
      const get = bind(a);
      return ((e: Rec) => get(recordOf(e), e)) as (e: never) => Extracted;
    },
  };
}

/** Walks a dotted key path through objects; undefined when a step is missing. */
export function path(record: unknown, keys: readonly string[]): unknown {
  let cur = record;
  for (const k of keys) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** The member names of a JSON pointer as compilePointer reads them (none: the whole document). */
export function pointerTokens(arg: string): string[] {
  const body = arg.startsWith('/') ? arg.slice(1) : arg;
  if (body === '') return [];
  return body.split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * A compiled JSON pointer as Falco's json plugin reads it: one leading `/` optional, tokens split
 * on `/` with `~1` -> `/` then `~0` -> `~`, member names for objects, decimal indexes for arrays.
 */
export function compilePointer(arg: string): (doc: unknown) => unknown {
  const tokens = pointerTokens(arg);
  if (tokens.length === 0) return (doc) => doc;
  return (doc) => {
    let cur: unknown = doc;
    for (const t of tokens) {
      if (Array.isArray(cur)) {
        if (!/^\d+$/.test(t)) return undefined;
        cur = cur[Number(t)];
      } else if (isObject(cur)) {
        cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
      } else return undefined;
      if (cur === undefined) return undefined;
    }
    return cur;
  };
}

/** The json plugin's value rendering: strings unescaped, anything else compact JSON. */
export function pointerText(v: unknown): string | undefined {
  return v === undefined ? undefined : jsonText(v);
}

/**
 * `json.*` and `jevt.*` (Falco's json plugin, which serves every JSON-payload source).
 * `timeOf` gives the event time in epoch ns for `json.rawtime`.
 */
export function jsonFields(timeOf: (record: Rec, event: Rec) => string | undefined): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const prefix of ['json', 'jevt']) {
    out.push(
      rfArg(
        `${prefix}.value`,
        'CHARBUF',
        'Value at a JSON pointer into the event payload: strings as text, other values as compact JSON.',
        { kind: 'key', required: true },
        'JSON pointer (RFC 6901), e.g. /requestParameters/bucketName; the leading / is optional',
        (arg) => {
          const get = compilePointer(arg as string);
          return (r) => pointerText(get(r));
        },
        { example: `${prefix}.value[/user/username]`, recordPointer: true },
      ),
      rf(`${prefix}.obj`, 'CHARBUF', 'The whole event payload as indented JSON.', (r) =>
        JSON.stringify(r, null, 2),
      ),
      rf(
        `${prefix}.rawtime`,
        'CHARBUF',
        'Event time in nanoseconds since the epoch, as a decimal string (always present).',
        (r, e) => timeOf(r, e) ?? '0',
        // Every source's time is the envelope's `ts` first (envelopeTime), checked per source.
        { envelopePath: ['ts'] },
      ),
    );
  }
  return out;
}

/** The generic `evt.*` fields libsinsp offers on plugin events. */
export function pluginEvtFields(
  source: string,
  pluginName: string,
  timeOf: (record: Rec, event: Rec) => string | undefined,
  infoOf?: (record: Rec) => string | undefined,
): FieldSpec[] {
  const t = (r: Rec, e: Rec) => timeOf(r, e);
  return [
    rf('evt.num', 'UINT64', 'Event number assigned by the collector.', (_r, e) =>
      typeof e.num === 'number' && isEnvelope(e) ? e.num : undefined,
    ),
    rf('evt.time', 'CHARBUF', 'Event time as local time with nanoseconds.', (r, e) =>
      formatLocalTime(t(r, e), true),
    ),
    rf('evt.time.s', 'CHARBUF', 'Event time as local time without nanoseconds.', (r, e) =>
      formatLocalTime(t(r, e), false),
    ),
    rf('evt.time.iso8601', 'CHARBUF', 'Event time in ISO 8601 UTC with nanoseconds.', (r, e) =>
      formatIsoTime(t(r, e)),
    ),
    rf('evt.datetime', 'CHARBUF', 'Event time as local date and time.', (r, e) =>
      formatLocalDateTime(t(r, e), true),
    ),
    rf('evt.datetime.s', 'CHARBUF', 'Event time as local date and time without nanoseconds.', (r, e) =>
      formatLocalDateTime(t(r, e), false),
    ),
    rf('evt.rawtime', 'ABSTIME', 'Event time in nanoseconds since the epoch.', (r, e) => nsToBigInt(t(r, e))),
    rf('evt.rawtime.s', 'ABSTIME', 'Integer part of the event time (seconds).', (r, e) => {
      const v = nsToBigInt(t(r, e));
      return v === undefined ? undefined : normalizeBig(v / 1_000_000_000n);
    }),
    rf('evt.rawtime.ns', 'ABSTIME', 'Fractional part of the event time (nanoseconds).', (r, e) => {
      const v = nsToBigInt(t(r, e));
      return v === undefined ? undefined : Number(v % 1_000_000_000n);
    }),
    rf('evt.type', 'CHARBUF', 'Always `pluginevent` for plugin sources.', () => 'pluginevent'),
    rf('evt.source', 'CHARBUF', 'Name of the event source.', () => source),
    rf('evt.pluginname', 'CHARBUF', 'Name of the plugin that produced the event.', () => pluginName),
    rf('evt.plugininfo', 'CHARBUF', 'One-line summary of the event by its plugin.', (r) => infoOf?.(r)),
    rf('evt.hostname', 'CHARBUF', 'Host name of the collector (from the envelope).', (_r, e) =>
      isEnvelope(e) && typeof e.hostname === 'string' ? e.hostname : undefined,
    ),
  ];
}

/** The envelope time when there is one, else `fallback` (the record's own time). */
export function envelopeTime(e: Rec, fallback: () => string | undefined): string | undefined {
  return isEnvelope(e) && typeof e.ts === 'string' ? e.ts : fallback();
}
