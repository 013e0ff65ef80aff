/**
 * Renders decoded capture parameters as libsinsp renders `evt.arg.NAME` (the resolved form):
 * PPM flag bitmasks as `O_RDONLY|O_CLOEXEC`, errors as `ENOENT`, `AT_FDCWD`, fds as
 * `<f>/etc/passwd`, relative paths joined to the cwd. Flag tables are the PPM column
 * of the project's one set of Linux flag tables (`../sources/syscall/linux-flags.ts`).
 */
import { errnoName } from '../sources/syscall/errno.js';
import {
  AT_FLAGS,
  CAPABILITY_NAMES,
  CLONE_FLAGS as CLONE,
  type FlagTable,
  MEMFD_FLAGS,
  MODE_FLAGS as MODE,
  MOUNT_FLAGS as MOUNT,
  OPEN_FLAGS,
  PTRACE_REQUESTS,
  ppmFlagTable,
  RENAME_FLAGS,
  SOCKET_FAMILIES,
} from '../sources/syscall/linux-flags.js';
import { normalizePath } from '../sources/syscall/paths.js';
import { PPM_AT_FDCWD } from './format.js';

const FILE_FLAGS = ppmFlagTable(OPEN_FLAGS);
const CLONE_FLAGS = ppmFlagTable(CLONE);
const MODE_FLAGS = ppmFlagTable(MODE);
const MOUNT_FLAGS = ppmFlagTable(MOUNT);
const UNLINKAT_FLAGS = ppmFlagTable(AT_FLAGS.filter(([name]) => name === 'AT_REMOVEDIR'));
const LINKAT_FLAGS = ppmFlagTable(
  AT_FLAGS.filter(([name]) => name === 'AT_SYMLINK_FOLLOW' || name === 'AT_EMPTY_PATH'),
);
const RENAMEAT2_FLAGS = ppmFlagTable(RENAME_FLAGS);
const MEMFD = ppmFlagTable(MEMFD_FLAGS);

/** PPM_PTRACE_* request codes (not the kernel's numbers) by code. */
const PTRACE_NAMES = new Map(ppmFlagTable(PTRACE_REQUESTS).map(([name, code]) => [code, name]));

/** Flag tables by `event:param` (or `*:param` for every event). */
const FLAG_TABLES: ReadonlyMap<string, FlagTable> = new Map([
  ['open:flags', FILE_FLAGS],
  ['openat:flags', FILE_FLAGS],
  ['openat2:flags', FILE_FLAGS],
  ['open_by_handle_at:flags', FILE_FLAGS],
  ['clone:flags', CLONE_FLAGS],
  ['fork:flags', CLONE_FLAGS],
  ['vfork:flags', CLONE_FLAGS],
  ['clone3:flags', CLONE_FLAGS],
  ['unshare:flags', CLONE_FLAGS],
  ['setns:nstype', CLONE_FLAGS],
  ['mount:flags', MOUNT_FLAGS],
  ['umount:flags', MOUNT_FLAGS],
  ['unlinkat:flags', UNLINKAT_FLAGS],
  ['linkat:flags', LINKAT_FLAGS],
  ['renameat2:flags', RENAMEAT2_FLAGS],
  ['memfd_create:flags', MEMFD],
]);

function renderFlagsOnce(value: number, table: FlagTable): string {
  const names: string[] = [];
  let covered = 0;
  for (const [name, bits] of table) {
    if (bits === 0) {
      if (value === 0) names.push(name);
      continue;
    }
    // Multi-bit values (O_RDWR) match only when every bit is set and not already named.
    // Compared unsigned: bit 31 (NOUSER) does not survive JavaScript's signed 32-bit `&`.
    if ((value & bits) >>> 0 === bits >>> 0 && (covered & bits) >>> 0 !== bits >>> 0) {
      names.push(name);
      covered |= bits;
    }
  }
  return names.length > 0 ? names.join('|') : String(value);
}

/** Rendered flag values per table: a capture repeats a few values (`O_RDONLY|O_CLOEXEC`) all along. */
const RENDERED = new WeakMap<FlagTable, Map<number, string>>();
/** Values kept per table; past it a table's map starts over (captures with many distinct masks). */
const RENDERED_PER_TABLE = 1024;

function renderFlags(value: number, table: FlagTable): string {
  let seen = RENDERED.get(table);
  if (seen === undefined) {
    seen = new Map();
    RENDERED.set(table, seen);
  }
  let text = seen.get(value);
  if (text === undefined) {
    text = renderFlagsOnce(value, table);
    if (seen.size >= RENDERED_PER_TABLE) seen.clear();
    seen.set(value, text);
  }
  return text;
}

/**
 * A parameter's flag/enum rendering as libsinsp's table names the value (`O_RDONLY|O_CLOEXEC`);
 * undefined when libsinsp has no table for the parameter.
 */
export type FlagRenderer = ((value: number) => string | undefined) | undefined;

/** The flag renderer of `event`'s parameter `param` of type `type` (find it once, call it per value). */
export function flagRenderer(event: string, param: string, type: string): FlagRenderer {
  if (type === 'MODE') return (value) => renderFlags(value, MODE_FLAGS);
  const table = FLAG_TABLES.get(`${event}:${param}`);
  if (table) return (value) => renderFlags(value >>> 0, table);
  if (event === 'ptrace' && param === 'request') return (value) => PTRACE_NAMES.get(value) ?? String(value);
  if ((event === 'socket' || event === 'socketpair') && param === 'domain') {
    return (value) => SOCKET_FAMILIES.get(value) ?? String(value);
  }
  return undefined;
}

/** `evt.arg.res` of an ERRNO/FD result: the number, or the errno name when negative. */
export function renderErrno(value: number): string {
  if (value >= 0) return String(value);
  return errnoName(-value) ?? String(value);
}

/** A dirfd: `AT_FDCWD` for -100, else the number. */
export function renderDirfd(value: number): string {
  return value === PPM_AT_FDCWD ? 'AT_FDCWD' : String(value);
}

/** BYTEBUF as libsinsp prints it by default: printable ASCII kept, everything else `.`. */
export function renderBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return s;
}

/** A capability mask as names (`CAP_CHOWN CAP_SYS_ADMIN`); undefined for an empty mask. */
export function renderCaps(mask: bigint): string | undefined {
  const names: string[] = [];
  for (let i = 0; i < CAPABILITY_NAMES.length; i++)
    if ((mask >> BigInt(i)) & 1n) names.push(CAPABILITY_NAMES[i]!);
  return names.length > 0 ? names.join(' ') : undefined;
}

/** Joins a path to a directory and normalises `.`, `..` and `//` (libsinsp's path concatenation). */
export function joinPath(dir: string, path: string): string {
  const full = path.startsWith('/') ? path : `${dir.endsWith('/') ? dir : `${dir}/`}${path}`;
  return full.startsWith('/') ? normalizePath(full) : full;
}
