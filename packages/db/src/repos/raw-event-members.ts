/**
 * A few members of each raw event, kept beside its payload in `raw_events.members` (a `text[]`):
 * the ones a backtest's skip test reads first for the common sources (Kubernetes audit stage,
 * verb, resource and user; CloudTrail event name and source; Okta event type; GitHub webhook
 * type; the envelope's time). A backtest decides from them whether an event can be left out
 * without looking into its JSON, which costs Postgres more than the rest of the test
 * (docs/BENCHMARKS.md, backtest). Only a shortcut: a member not listed, a row written without
 * the column or with another layout is read from the payload as before.
 *
 * Layout: element 1 is the layout's version; element i + 1 is `MEMBERS[i]` of the event: NULL
 * when the event has no such member, `"` followed by its text when it is a JSON string (only `"`
 * for a presence-only member), `o` when it is any other JSON value (null included). The whole
 * array is NULL unless the event is the collector's envelope (a JSON object with no key but
 * `ENVELOPE_KEYS`, `ts` a string, `payload` an object): every member is then known as the
 * backtest's skip reads it.
 */

/** The layout's version (element 1): a row of another version is read from its payload. */
export const RAW_EVENT_MEMBERS_VERSION = '1';

/** The envelope's keys (the engine's ENVELOPE_KEYS): an event with another key gets no members. */
export const RAW_EVENT_ENVELOPE_KEYS: readonly string[] = Object.freeze([
  'ts',
  'payload',
  'num',
  'hostname',
  'org',
]);

/** One member kept: its path from the top of the stored event; `presence`: only whether it is a string. */
export interface RawEventMember {
  path: readonly string[];
  presence?: boolean;
}

/**
 * The members kept, in layout order (never reordered: a new member gets a new version). Chosen
 * by what the upstream rules' skip tests read on every event of their source; `auditID` is read
 * only for its presence (every `ka.*` field needs it).
 */
export const RAW_EVENT_MEMBERS: readonly RawEventMember[] = Object.freeze([
  { path: ['ts'] },
  { path: ['payload', 'stage'] },
  { path: ['payload', 'verb'] },
  { path: ['payload', 'auditID'], presence: true },
  { path: ['payload', 'objectRef', 'resource'] },
  { path: ['payload', 'objectRef', 'subresource'] },
  { path: ['payload', 'user', 'username'] },
  { path: ['payload', 'eventName'] },
  { path: ['payload', 'eventSource'] },
  { path: ['payload', 'eventType'] },
  { path: ['payload', 'webhook_type'] },
]);

const OWN = Object.prototype.hasOwnProperty;

/** A plain object as JSON.stringify writes it member by member (no toJSON, no class). */
function plainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return (
    (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/** A value JSON.stringify writes as itself (so its JSON type is what `typeof` says). */
function plainValue(v: unknown): boolean {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    // JSON.stringify writes a non-finite number as null: another value than a string all the same.
    typeof v === 'number' ||
    Array.isArray(v) ||
    plainObject(v)
  );
}

/**
 * The members of an event about to be stored (as JSON.stringify will write it), in the layout
 * above; null when it is no envelope or holds a value whose JSON this cannot tell without
 * writing it (a Date, a class instance, a non-finite number on the way): such a row is read
 * from its payload. Must agree with rawEventMembersSql (tested over odd payloads).
 */
export function rawEventMembers(event: unknown): (string | null)[] | null {
  if (!plainObject(event)) return null;
  for (const k of Object.keys(event))
    if (event[k] !== undefined && !RAW_EVENT_ENVELOPE_KEYS.includes(k)) return null;
  if (typeof event.ts !== 'string' || !plainObject(event.payload)) return null;
  const out: (string | null)[] = [RAW_EVENT_MEMBERS_VERSION];
  for (const m of RAW_EVENT_MEMBERS) {
    let v: unknown = event;
    for (const key of m.path) {
      // A member JSON.stringify leaves out (undefined, a function) is not there.
      if (!plainObject(v)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) return null;
        v = undefined;
        break;
      }
      v = OWN.call(v, key) ? v[key] : undefined;
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') {
        v = undefined;
        break;
      }
    }
    if (v === undefined) out.push(null);
    else if (typeof v === 'string') out.push(m.presence ? '"' : `"${v}`);
    else if (plainValue(v)) out.push('o');
    else return null;
  }
  return out;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const pathLit = (path: readonly string[]) => `${lit(`{${path.map((p) => `"${p}"`).join(',')}}`)}::text[]`;

/**
 * The same as SQL over a `jsonb` expression (`event`, evaluated several times: pass a column):
 * what the migration backfilled existing rows with and what loaders writing rows in SQL use.
 */
export function rawEventMembersSql(event: string): string {
  const member = (m: RawEventMember) => {
    const j = `(${event} #> ${pathLit(m.path)})`;
    const text = m.presence ? `'"'` : `'"' || (${j} #>> '{}')`;
    return `CASE WHEN ${j} IS NULL THEN NULL WHEN jsonb_typeof(${j}) = 'string' THEN ${text} ELSE 'o' END`;
  };
  return `CASE WHEN jsonb_typeof(${event}) = 'object'
    AND (${event} - ${lit(`{${RAW_EVENT_ENVELOPE_KEYS.join(',')}}`)}::text[]) = '{}'::jsonb
    AND jsonb_typeof(${event} -> 'ts') = 'string' AND jsonb_typeof(${event} -> 'payload') = 'object'
  THEN ARRAY[${lit(RAW_EVENT_MEMBERS_VERSION)}, ${RAW_EVENT_MEMBERS.map(member).join(',\n    ')}]::text[] END`;
}
