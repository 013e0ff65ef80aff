import type { FieldType } from '../../fields/types.js';
import { EVENT_ROWS, SYSCALL_NAMES } from './event-table.js';

/** One entry of the libs event table. */
export interface EventInfo {
  code: number;
  name: string;
  /** Syscall category (`FILE`, `NET`, `IO_READ`, ...). */
  category: string;
  /** Parameter names and libs parameter types (`PT_` prefix dropped: `FD`, `FSPATH`, ...). */
  params: ReadonlyArray<{ name: string; type: string }>;
  /** A version the drivers no longer emit. */
  old: boolean;
}

function parseRows(): EventInfo[] {
  const out: EventInfo[] = [];
  EVENT_ROWS.forEach((row, code) => {
    if (row === '') return;
    const [name = '', category = '', params = '', old = ''] = row.split('|');
    out.push({
      code,
      name,
      category,
      params:
        params === ''
          ? []
          : params.split(' ').map((p) => {
              const i = p.lastIndexOf(':');
              return { name: p.slice(0, i), type: p.slice(i + 1) };
            }),
      old: old === '1',
    });
  });
  return out;
}

/** Every defined event, in code order. */
export const EVENTS: readonly EventInfo[] = Object.freeze(parseRows());

const BY_CODE = new Map<number, EventInfo>(EVENTS.map((e) => [e.code, e]));
const CODES_BY_NAME = new Map<string, number[]>();
for (const e of EVENTS) {
  const codes = CODES_BY_NAME.get(e.name);
  if (codes) codes.push(e.code);
  else CODES_BY_NAME.set(e.name, [e.code]);
}
/** Syscalls without a dedicated event arrive as the generic pair (PPME_GENERIC_E/X). */
const GENERIC_CODES: readonly number[] = Object.freeze([0, 1]);
const KNOWN = new Set<string>([...SYSCALL_NAMES, ...CODES_BY_NAME.keys()]);

/** Every event code (the "all event types" set of event-type indexing). */
export const ALL_EVENT_CODES: readonly number[] = Object.freeze(EVENTS.map((e) => e.code));

/** True for names `evt.type` accepts: event names and every syscall libs know. */
export function isKnownEventType(name: string): boolean {
  return KNOWN.has(name);
}

/** Event codes an `evt.type` name selects (all versions, enter and exit); [] when unknown. */
export function eventTypeCodes(name: string): readonly number[] {
  const codes = CODES_BY_NAME.get(name);
  if (codes) return codes;
  return KNOWN.has(name) ? GENERIC_CODES : [];
}

/** The event name of a code (`undefined` for unused codes). */
export function eventTypeName(code: number): string | undefined {
  return BY_CODE.get(code)?.name;
}

/** The event-table entries of an event name (all versions). */
export function eventsNamed(name: string): EventInfo[] {
  return (CODES_BY_NAME.get(name) ?? []).map((c) => BY_CODE.get(c) as EventInfo);
}

/** Events that are not system calls (tracepoints, meta and plugin events): `syscall.type` is missing on them. */
export const NON_SYSCALL_EVENTS: ReadonlySet<string> = new Set([
  'procexit',
  'switch',
  'signaldeliver',
  'page_fault',
  'drop',
  'scapevent',
  'sysdigevent',
  'container',
  'procinfo',
  'cpu_hotplug',
  'k8s',
  'mesos',
  'tracer',
  'notification',
  'infra',
  'pluginevent',
  'useradded',
  'userdeleted',
  'groupadded',
  'groupdeleted',
  'asyncevent',
]);

/** Category of an event name (`FILE`, `NET`, ...), from its newest table entry. */
const CATEGORY = new Map<string, string>();
for (const e of EVENTS) CATEGORY.set(e.name, e.category);
export function eventCategory(name: string): string | undefined {
  return CATEGORY.get(name);
}

/** libs parameter types -> field types for `evt.rawarg.*`; absent = not comparable. */
const PT_TO_FIELD: Record<string, FieldType> = {
  INT8: 'INT8',
  INT16: 'INT16',
  INT32: 'INT32',
  INT64: 'INT64',
  UINT8: 'UINT8',
  UINT16: 'UINT16',
  UINT32: 'UINT32',
  UINT64: 'UINT64',
  CHARBUF: 'CHARBUF',
  BYTEBUF: 'BYTEBUF',
  ERRNO: 'ERRNO',
  FD: 'FD',
  PID: 'PID',
  FSPATH: 'FSPATH',
  FSRELPATH: 'FSRELPATH',
  SYSCALLID: 'SYSCALLID',
  SIGTYPE: 'SIGTYPE',
  RELTIME: 'RELTIME',
  ABSTIME: 'ABSTIME',
  PORT: 'PORT',
  L4PROTO: 'L4PROTO',
  BOOL: 'BOOL',
  IPV4ADDR: 'IPADDR',
  IPV6ADDR: 'IPADDR',
  IPADDR: 'IPADDR',
  IPNET: 'IPNET',
  IPV4NET: 'IPNET',
  IPV6NET: 'IPNET',
  DOUBLE: 'DOUBLE',
  FLAGS8: 'FLAGS8',
  FLAGS16: 'FLAGS16',
  FLAGS32: 'FLAGS32',
  ENUMFLAGS8: 'ENUMFLAGS8',
  ENUMFLAGS16: 'ENUMFLAGS16',
  ENUMFLAGS32: 'ENUMFLAGS32',
  UID: 'UID',
  GID: 'GID',
  MODE: 'MODE',
  SIGSET: 'UINT32',
};

/** First declared libs type of a parameter name across the table (how libs resolves evt.rawarg). */
const FIRST_PARAM_TYPE = new Map<string, string>();
for (const e of EVENTS) {
  for (const p of e.params) if (!FIRST_PARAM_TYPE.has(p.name)) FIRST_PARAM_TYPE.set(p.name, p.type);
}

/** True when some event has a parameter of that name (`unknown event argument` otherwise). */
export function isKnownParam(name: string): boolean {
  return FIRST_PARAM_TYPE.has(name);
}

/** The libs type (`FD`, `SOCKTUPLE`...) of the first parameter with that name. */
export function paramLibsType(name: string): string | undefined {
  return FIRST_PARAM_TYPE.get(name);
}

/** The field type `evt.rawarg.<name>` resolves to; undefined for non-comparable parameter types. */
export function paramFieldType(name: string): FieldType | undefined {
  const t = FIRST_PARAM_TYPE.get(name);
  return t === undefined ? undefined : PT_TO_FIELD[t];
}

/** Parameter names of an event name (union over its versions), for completion and checks. */
export function paramNamesOf(name: string): string[] {
  const set = new Set<string>();
  for (const e of eventsNamed(name)) for (const p of e.params) set.add(p.name);
  return [...set];
}
