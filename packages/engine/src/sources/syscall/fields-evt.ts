import type { FieldSpec } from '../../fields/define.js';
import { FieldError } from '../../fields/errors.js';
import type { Extracted, FieldType } from '../../fields/types.js';
import { normalizeBig, nsToBigInt, textToBytes, toInteger } from '../../fields/values.js';
import { type Ev, INDEX_REQ, joinPath, KEY_REQ, plain, withArg } from './common.js';
import { errnoName, errnoNumber } from './errno.js';
import {
  eventCategory,
  isKnownParam,
  NON_SYSCALL_EVENTS,
  paramFieldType,
  paramLibsType,
} from './event-types.js';
import { formatIsoTime, formatLocalDateTime, formatLocalTime } from './time.js';

/** Falco renders an empty parameter as `<NA>` (spec §2.8), so `evt.arg.flags = <NA>` can be true. */
function rendered(v: string): string {
  return v === '' ? '<NA>' : v;
}

/** Value of the named parameter, undefined when the event has none of that name. */
export function argValue(e: Ev, name: string): string | undefined {
  const args = e.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as [string, string];
    if (a[0] === name) return a[1];
  }
  return undefined;
}

const OPEN_EVENTS = new Set(['open', 'openat', 'openat2', 'open_by_handle_at', 'creat']);

/** Open flags of an open-family event, from its `flags` parameter or the fd's recorded flags. */
function openFlags(e: Ev): string | undefined {
  if (!OPEN_EVENTS.has(e.type)) return undefined;
  return (
    argValue(e, 'flags') ?? e.fd?.openFlags ?? (e.type === 'creat' ? 'O_CREAT|O_WRONLY|O_TRUNC' : undefined)
  );
}

/** Open flags the `evt.is_open_*` fields test, as bits of `openFlagBits`. */
const F_RDONLY = 1;
const F_WRONLY = 2;
const F_RDWR = 4;
const F_CREAT = 8;
const F_CREATED = 16;
const FLAG_BITS = new Map([
  ['O_RDONLY', F_RDONLY],
  ['O_WRONLY', F_WRONLY],
  ['O_RDWR', F_RDWR],
  ['O_CREAT', F_CREAT],
  ['O_F_CREATED', F_CREATED],
]);
/** Flag texts seen recently and their bits: a stream repeats a few texts (`O_RDONLY|O_CLOEXEC`). */
const flagTexts = new Map<string, number>();
let lastFlagText = '';
let lastFlagBits = 0;

/**
 * The bits of the `evt.is_open_*` flags among the `|`-separated names of `flags` (an exact name
 * each). Four fields of an open event read them: the text is parsed once per
 * distinct text, not once per field and flag.
 */
function openFlagBits(flags: string): number {
  if (flags === lastFlagText) return lastFlagBits;
  let bits = flagTexts.get(flags);
  if (bits === undefined) {
    bits = 0;
    for (const name of flags.split('|')) bits |= FLAG_BITS.get(name) ?? 0;
    if (flagTexts.size >= 256) flagTexts.clear();
    flagTexts.set(flags, bits);
  }
  lastFlagText = flags;
  lastFlagBits = bits;
  return bits;
}

/** Octal creation mode of an open event (`0755`), from `mode` or the fd. */
function openMode(e: Ev): number | undefined {
  const text = argValue(e, 'mode') ?? e.fd?.openMode;
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^0?[0-7]+$/.test(t)) return Number.parseInt(t, 8);
  // Rendered as names: keep the execute bits only, which is all is_open_exec needs.
  let m = 0;
  if (t.includes('S_IXUSR')) m |= 0o100;
  if (t.includes('S_IXGRP')) m |= 0o10;
  if (t.includes('S_IXOTH')) m |= 0o1;
  return m;
}

const IO_READ = new Set(['IO_READ']);
const IO_WRITE = new Set(['IO_WRITE']);

function category(e: Ev): string | undefined {
  return eventCategory(e.type);
}

/** `evt.category` values as libs print them; I/O events are named after their fd's kind. */
const CATEGORY_TEXT: Record<string, string> = {
  UNKNOWN: 'unknown',
  OTHER: 'other',
  FILE: 'file',
  NET: 'net',
  IPC: 'IPC',
  MEMORY: 'memory',
  PROCESS: 'process',
  SLEEP: 'sleep',
  SYSTEM: 'system',
  SIGNAL: 'signal',
  USER: 'user',
  TIME: 'time',
  PROCESSING: 'processing',
  WAIT: 'wait',
  SCHEDULER: 'scheduler',
  INTERNAL: 'internal',
};

/** libs' I/O subcategory: the kind of fd the I/O happens on. */
function ioCategory(e: Ev): string {
  switch (e.fd?.type) {
    case 'file':
    case 'directory':
    case 'memfd':
      return 'file';
    case 'ipv4':
    case 'ipv6':
    case 'unix':
    case 'netlink':
      return 'net';
    case 'pipe':
    case 'event':
    case 'signalfd':
    case 'eventpoll':
    case 'inotify':
    case 'timerfd':
      return 'ipc';
    default:
      return 'unknown';
  }
}

function rawtime(e: Ev): bigint | undefined {
  return nsToBigInt(e.ts);
}

/** Path parameters in event order that name files (used by evt.abspath and fs.path.*). */
const SOURCE_TARGET: Record<string, [string, string]> = {
  rename: ['oldpath', 'newpath'],
  renameat: ['oldpath', 'newpath'],
  renameat2: ['oldpath', 'newpath'],
  link: ['oldpath', 'newpath'],
  linkat: ['oldpath', 'newpath'],
  symlink: ['target', 'linkpath'],
  symlinkat: ['target', 'linkpath'],
};
const NAME_PARAMS = ['name', 'path', 'pathname', 'filename'];

function absolute(e: Ev, p: string | undefined): string | undefined {
  if (p === undefined || p === '') return undefined;
  if (p.startsWith('/')) return p;
  const cwd = e.proc.cwd;
  return cwd === undefined ? undefined : joinPath(cwd, p);
}

function fsName(e: Ev, raw: boolean): string | undefined {
  if (SOURCE_TARGET[e.type]) return undefined;
  for (const n of NAME_PARAMS) {
    const v = argValue(e, n);
    if (v !== undefined && v !== '') return raw ? v : absolute(e, v);
  }
  return undefined;
}

function fsPair(e: Ev, which: 0 | 1, raw: boolean): string | undefined {
  const pair = SOURCE_TARGET[e.type];
  if (!pair) return undefined;
  const v = argValue(e, pair[which]);
  if (v === undefined || v === '') return undefined;
  // A symlink target is stored verbatim by the kernel: never resolve it.
  return raw || (which === 0 && e.type.startsWith('symlink')) ? v : absolute(e, v);
}

/** Converts a rendered parameter back to its native value for `evt.rawarg.*`. */
function rawConvert(type: FieldType, libsType: string, text: string): Extracted {
  switch (type) {
    case 'CHARBUF':
    case 'FSPATH':
    case 'FSRELPATH':
      return text;
    case 'BYTEBUF':
      return textToBytes(text);
    case 'BOOL':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    default: {
      if (libsType === 'ERRNO' && /^E[A-Z0-9_]+$/.test(text)) {
        const n = errnoNumber(text);
        return n === undefined ? undefined : -n;
      }
      // fds render as `3(<f>/etc/passwd)`: the number comes first.
      const m = /^\s*(-?\d+|0x[0-9a-fA-F]+)/.exec(text);
      return m ? toInteger(m[1]) : undefined;
    }
  }
}

export const EVT_FIELDS: FieldSpec[] = [
  plain('evt.num', 'UINT64', 'Event number (monotonic sequence on the sensor, from 1).', (e) => e.num),
  plain('evt.time', 'CHARBUF', 'Event timestamp as local time with nanoseconds (HH:MM:SS.nnnnnnnnn).', (e) =>
    formatLocalTime(e.ts, true),
  ),
  plain('evt.time.s', 'CHARBUF', 'Event timestamp as local time without nanoseconds (HH:MM:SS).', (e) =>
    formatLocalTime(e.ts, false),
  ),
  plain(
    'evt.time.iso8601',
    'CHARBUF',
    'Event timestamp in ISO 8601 UTC with nanoseconds (2016-08-04T16:17:57.881781397+0000).',
    (e) => formatIsoTime(e.ts),
  ),
  plain('evt.datetime', 'CHARBUF', 'Event timestamp as local date and time with nanoseconds.', (e) =>
    formatLocalDateTime(e.ts, true),
  ),
  plain('evt.datetime.s', 'CHARBUF', 'Event timestamp as local date and time without nanoseconds.', (e) =>
    formatLocalDateTime(e.ts, false),
  ),
  plain('evt.rawtime', 'ABSTIME', 'Absolute event timestamp in nanoseconds since the epoch.', rawtime),
  plain('evt.rawtime.s', 'ABSTIME', 'Integer part of the event timestamp (seconds since the epoch).', (e) => {
    const t = rawtime(e);
    return t === undefined ? undefined : normalizeBig(t / 1_000_000_000n);
  }),
  plain('evt.rawtime.ns', 'ABSTIME', 'Fractional part of the event timestamp (nanoseconds).', (e) => {
    const t = rawtime(e);
    return t === undefined ? undefined : Number(t % 1_000_000_000n);
  }),
  plain(
    'evt.dir',
    'CHARBUF',
    "Event direction: '>' enter, '<' exit. Deprecated since Falco 0.42 (only exit events are captured).",
    (e) => e.dir,
  ),
  plain(
    'evt.type',
    'CHARBUF',
    'Name of the event or syscall (open, execve, connect, procexit...).',
    (e) => e.type,
  ),
  withArg(
    'evt.type.is',
    'UINT32',
    '1 if the event type equals the argument, else 0.',
    KEY_REQ,
    'an event type name',
    (arg) => {
      const want = arg as string;
      return (e) => (e.type === want ? 1 : 0);
    },
  ),
  plain(
    'syscall.type',
    'CHARBUF',
    'Syscall name for syscall events; missing for non-syscall events (procexit, container...).',
    (e) => (NON_SYSCALL_EVENTS.has(e.type) ? undefined : e.type),
  ),
  plain(
    'evt.category',
    'CHARBUF',
    'Event category (file, net, IPC, memory, process, wait, signal, ...); I/O events take the kind of their fd (file, net, ipc).',
    (e) => {
      const c = category(e);
      if (c === undefined) return undefined;
      if (c === 'IO_READ' || c === 'IO_WRITE' || c === 'IO_OTHER') return ioCategory(e);
      return CATEGORY_TEXT[c] ?? 'unknown';
    },
  ),
  plain('evt.cpu', 'INT16', 'CPU on which the event happened.', (e) => e.cpu),
  plain('evt.hostname', 'CHARBUF', 'Host name of the machine that produced the event.', (e) => e.hostname),
  plain('evt.source', 'CHARBUF', 'Event source: always `syscall` here.', () => 'syscall'),
  plain(
    'evt.is_async',
    'BOOL',
    'True for asynchronous meta events (container, useradded...).',
    (e) => e.type === 'asyncevent' || e.type === 'container',
  ),
  plain(
    'evt.pluginname',
    'CHARBUF',
    'Plugin that generated the event; missing for syscall events.',
    () => undefined,
  ),
  plain(
    'evt.plugininfo',
    'CHARBUF',
    'Plugin summary of the event; missing for syscall events.',
    () => undefined,
  ),
  plain('evt.args', 'CHARBUF', 'All event parameters rendered as `name=value name=value`.', (e) => {
    let out = '';
    for (const [n, v] of e.args) out += `${out === '' ? '' : ' '}${n}=${rendered(v)}`;
    return out;
  }),
  plain('evt.info', 'CHARBUF', 'Event summary; for syscalls the rendered parameters (as evt.args).', (e) => {
    let out = '';
    for (const [n, v] of e.args) out += `${out === '' ? '' : ' '}${n}=${rendered(v)}`;
    return out;
  }),
  withArg(
    'evt.arg',
    'CHARBUF',
    'One event parameter rendered as text, by name (evt.arg.flags) or position (evt.arg[0]). Empty parameters render as <NA>.',
    { kind: 'index-or-key', required: true, dotted: true },
    'parameter name (`.flags`, `[flags]`) or position (`[0]`)',
    (arg) => {
      const a = arg as string;
      if (/^\d+$/.test(a)) {
        const i = Number(a);
        return (e) => {
          const p = e.args[i];
          return p === undefined ? undefined : rendered(p[1]);
        };
      }
      if (!isKnownParam(a)) throw new FieldError('UNKNOWN_EVENT_ARG', `unknown event argument ${a}`);
      return (e) => {
        const v = argValue(e, a);
        return v === undefined ? undefined : rendered(v);
      };
    },
    { example: 'evt.arg.flags' },
  ),
  {
    name: 'evt.rawarg',
    type: 'DYN',
    desc: "One event parameter in its native type (numbers compare numerically); the type is the parameter's type in the first event defining it.",
    arg: { kind: 'key', required: true, dotted: true },
    argDesc: 'parameter name (`.res`, `.size`)',
    example: 'evt.rawarg.res',
    noTransformer: true,
    noRhs: true,
    bind(arg) {
      const a = arg as string;
      if (!isKnownParam(a)) throw new FieldError('UNKNOWN_EVENT_ARG', `unknown event argument ${a}`);
      const type = paramFieldType(a);
      const libsType = paramLibsType(a) as string;
      if (type === undefined) {
        throw new FieldError(
          'UNSUPPORTED_ARG_TYPE',
          `evt.rawarg.${a}: parameters of type PT_${libsType} cannot be compared`,
        );
      }
      const extract = (e: Ev): Extracted => {
        if (a === 'res' && e.res !== undefined && argValue(e, 'res') !== undefined) return e.res;
        const v = argValue(e, a);
        return v === undefined ? undefined : rawConvert(type, libsType, v);
      };
      return { extract, type };
    },
  },
  plain(
    'evt.buffer',
    'BYTEBUF',
    'Binary data buffer of I/O events (the `data` parameter of read/write/send/recv...).',
    (e) => {
      const v = argValue(e, 'data');
      return v === undefined ? undefined : textToBytes(v);
    },
  ),
  plain(
    'evt.buflen',
    'UINT64',
    'Length of the I/O buffer (the syscall result of read/write events).',
    (e) => {
      const c = category(e);
      if ((c === 'IO_READ' || c === 'IO_WRITE') && e.res !== undefined && e.res >= 0) return e.res;
      return undefined;
    },
  ),
  plain(
    'evt.res',
    'CHARBUF',
    'Syscall result as text: SUCCESS, or the errno name (ENOENT...) on failure.',
    (e) => {
      if (e.res === undefined) return undefined;
      return e.res >= 0 ? 'SUCCESS' : (errnoName(-e.res) ?? String(e.res));
    },
  ),
  plain('evt.rawres', 'INT64', 'Syscall return value as a signed number.', (e) => e.res),
  plain('evt.failed', 'BOOL', 'True for exit events that returned an error.', (e) =>
    e.res === undefined ? undefined : e.res < 0,
  ),
  plain('evt.is_io', 'BOOL', 'True for events that read or write data (read, write, send, recv...).', (e) => {
    const c = category(e);
    return c === 'IO_READ' || c === 'IO_WRITE';
  }),
  plain('evt.is_io_read', 'BOOL', 'True for events that read data.', (e) => IO_READ.has(category(e) ?? '')),
  plain('evt.is_io_write', 'BOOL', 'True for events that write data.', (e) =>
    IO_WRITE.has(category(e) ?? ''),
  ),
  plain('evt.io_dir', 'CHARBUF', "'r' for reads, 'w' for writes; missing for other events.", (e) => {
    const c = category(e);
    return c === 'IO_READ' ? 'r' : c === 'IO_WRITE' ? 'w' : undefined;
  }),
  plain(
    'evt.is_wait',
    'BOOL',
    'True for events that make the thread wait (poll, select, nanosleep...).',
    (e) => {
      const c = category(e);
      return c === 'WAIT' || c === 'SLEEP';
    },
  ),
  plain(
    'evt.is_syslog',
    'BOOL',
    'True for writes to /dev/log (syslog).',
    (e) => IO_WRITE.has(category(e) ?? '') && e.fd?.name === '/dev/log',
  ),
  plain('evt.count', 'UINT32', 'Always 1; useful for counting events.', () => 1),
  plain('evt.count.error', 'UINT32', '1 for events that returned an error, else 0.', (e) =>
    e.res !== undefined && e.res < 0 ? 1 : 0,
  ),
  plain('evt.count.error.file', 'UINT32', '1 for failed file events, else 0.', (e) =>
    e.res !== undefined && e.res < 0 && category(e) === 'FILE' ? 1 : 0,
  ),
  plain('evt.count.error.net', 'UINT32', '1 for failed network events, else 0.', (e) =>
    e.res !== undefined && e.res < 0 && category(e) === 'NET' ? 1 : 0,
  ),
  plain('evt.count.error.memory', 'UINT32', '1 for failed memory events, else 0.', (e) =>
    e.res !== undefined && e.res < 0 && category(e) === 'MEMORY' ? 1 : 0,
  ),
  plain('evt.count.error.other', 'UINT32', '1 for failed events of other categories, else 0.', (e) => {
    const c = category(e);
    return e.res !== undefined && e.res < 0 && c !== 'FILE' && c !== 'NET' && c !== 'MEMORY' ? 1 : 0;
  }),
  plain('evt.count.exit', 'UINT32', '1 for exit events, else 0.', (e) => (e.dir === '<' ? 1 : 0)),
  withArg(
    'evt.around',
    'UINT32',
    'Filter-only capture helper (events around a timestamp); not available on a live stream, always missing.',
    INDEX_REQ,
    'timestamp in nanoseconds',
    () => () => undefined,
    { filterOnly: true, noRhs: true },
  ),
  plain(
    'evt.latency',
    'RELTIME',
    'Deprecated: enter-to-exit delta; 0 since only exit events are captured.',
    () => 0,
    {
      hidden: true,
    },
  ),
  plain(
    'evt.is_open_read',
    'BOOL',
    'For open-family events: true if the file is opened for reading.',
    (e) => {
      const f = openFlags(e);
      return f === undefined ? undefined : (openFlagBits(f) & (F_RDONLY | F_RDWR)) !== 0;
    },
  ),
  plain(
    'evt.is_open_write',
    'BOOL',
    'For open-family events: true if the file is opened for writing.',
    (e) => {
      const f = openFlags(e);
      return f === undefined ? undefined : (openFlagBits(f) & (F_WRONLY | F_RDWR)) !== 0;
    },
  ),
  plain(
    'evt.is_open_exec',
    'BOOL',
    'For open-family events: true if a file is created with an execute permission bit.',
    (e) => {
      const f = openFlags(e);
      if (f === undefined) return undefined;
      const m = openMode(e);
      return (openFlagBits(f) & F_CREAT) !== 0 && m !== undefined && (m & 0o111) !== 0;
    },
  ),
  plain(
    'evt.is_open_create',
    'BOOL',
    'For open-family events: true if the file is created (O_CREAT).',
    (e) => {
      const f = openFlags(e);
      return f === undefined ? undefined : (openFlagBits(f) & (F_CREAT | F_CREATED)) !== 0;
    },
  ),
  plain(
    'evt.abspath',
    'CHARBUF',
    'Absolute path of the path parameter of file events (relative paths resolved against the cwd).',
    (e) => fsName(e, false) ?? fsPair(e, 1, false),
  ),
  plain('evt.abspath.src', 'CHARBUF', 'Absolute source path of rename/link events.', (e) =>
    fsPair(e, 0, false),
  ),
  plain('evt.abspath.dst', 'CHARBUF', 'Absolute destination path of rename/link/symlink events.', (e) =>
    fsPair(e, 1, false),
  ),
  plain(
    'fs.path.name',
    'CHARBUF',
    'Absolute path of the file a file-system event acts on (open, mkdir, unlink, chmod...).',
    (e) => fsName(e, false),
  ),
  plain('fs.path.nameraw', 'CHARBUF', 'Path of the file as the process passed it.', (e) => fsName(e, true)),
  plain(
    'fs.path.source',
    'CHARBUF',
    'Absolute source path of rename/link/symlink events (symlink: the link target).',
    (e) => fsPair(e, 0, false),
  ),
  plain('fs.path.sourceraw', 'CHARBUF', 'Source path as the process passed it.', (e) => fsPair(e, 0, true)),
  plain('fs.path.target', 'CHARBUF', 'Absolute target path of rename/link/symlink events.', (e) =>
    fsPair(e, 1, false),
  ),
  plain('fs.path.targetraw', 'CHARBUF', 'Target path as the process passed it.', (e) => fsPair(e, 1, true)),
];
