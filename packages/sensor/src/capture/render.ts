/**
 * Renders raw syscall values the way Falco renders `evt.arg.*` text, so upstream conditions such as
 * `evt.arg.flags contains O_TRUNC` or `evt.arg.request contains PTRACE_ATTACH` match.
 * The flag tables are the Linux columns of the engine's (`@peregrine/engine` linux-flags), the one
 * copy shared with the capture reader and the sensor's `.scap` writer.
 */
import {
  AT_FLAGS,
  CLONE_FLAGS,
  errnoName,
  type FlagTable,
  linuxFlagTable,
  MODE_FLAGS,
  MOUNT_FLAGS,
  OPEN_FLAGS,
  PRCTL_OPTIONS,
  PTRACE_REQUESTS,
  RENAME_FLAGS,
  RESOLVE_FLAGS,
  SIGNAL_NAMES,
  SOCKET_FAMILIES,
  USERFAULTFD_FLAGS,
} from '@peregrine/engine';

/** `ENOENT` for -2; `SUCCESS` for values >= 0 (Falco's `evt.res`). */
export function renderRes(ret: number): string {
  if (ret >= 0) return 'SUCCESS';
  return errnoName(-ret) ?? `E${-ret}`;
}

/** Texts of the small non-negative numbers (fds, results), made once. */
const SMALL_NUMBERS = Array.from({ length: 1024 }, (_, n) => String(n));

/** A `res`/`fd` parameter: the number on success, the errno name on failure (Falco's PT_ERRNO/PT_FD text). */
export function renderErrnoOrNumber(ret: number): string {
  if (ret >= 0) return SMALL_NUMBERS[ret] ?? String(ret);
  return renderRes(ret);
}

/**
 * A bounded memo of a number -> text renderer: a process opens files with a handful of flag and
 * mode values, so rendering each once saves the per-event string building.
 */
function memo(render: (value: number) => string, max = 4096): (value: number) => string {
  const cache = new Map<number, string>();
  return (value) => {
    let text = cache.get(value);
    if (text === undefined) {
      text = render(value);
      if (cache.size >= max) cache.clear();
      cache.set(value, text);
    }
    return text;
  };
}

function renderFlags(value: number, table: FlagTable, zero = ''): string {
  const names: string[] = [];
  // Compared unsigned: bit 31 does not survive JavaScript's signed 32-bit `&`.
  for (const [name, bits] of table) if (bits !== 0 && (value & bits) >>> 0 === bits >>> 0) names.push(name);
  return names.length > 0 ? names.join('|') : zero;
}

// The Linux columns of the engine's flag tables; the access mode and O_TMPFILE are handled apart.
const OPEN_BITS = linuxFlagTable(OPEN_FLAGS).filter(([, bits]) => bits > 2);
const OPEN_FLAGS_HEAD = OPEN_BITS.filter(([name]) => name !== 'O_CLOEXEC' && name !== 'O_TMPFILE');
const OPEN_FLAGS_TAIL = OPEN_BITS.filter(([name]) => name === 'O_CLOEXEC' || name === 'O_TMPFILE');
const O_WRONLY = 0o1;
const O_RDWR = 0o2;

/** open flags as Falco names them, e.g. `O_RDONLY|O_CLOEXEC`, `O_WRONLY|O_CREAT|O_TRUNC`. */
export const renderOpenFlags: (flags: number) => string = memo(renderOpenFlagsUncached);

function renderOpenFlagsUncached(flags: number): string {
  const names: string[] = [];
  // O_TMPFILE includes O_DIRECTORY's bit; name it once.
  const tmpfile = (flags & 0o20200000) === 0o20200000;
  for (const [name, bits] of OPEN_FLAGS_HEAD) {
    if (tmpfile && name === 'O_DIRECTORY') continue;
    if ((flags & bits) === bits) names.push(name);
  }
  const access = flags & 3;
  names.push(access === O_RDWR ? 'O_RDWR' : access === O_WRONLY ? 'O_WRONLY' : 'O_RDONLY');
  for (const [name, bits] of OPEN_FLAGS_TAIL) if ((flags & bits) === bits) names.push(name);
  // O_SYNC contains O_DSYNC's bit; Falco lists both, as do we.
  return names.join('|');
}

/** An octal mode as Falco prints PF_OCT parameters (`0644`, `0`). */
export const renderOctal: (mode: number) => string = memo((mode) =>
  mode === 0 ? '0' : `0${mode.toString(8)}`,
);

const MODE_BITS = linuxFlagTable(MODE_FLAGS);

/** chmod-family mode as flag names (`S_IXOTH|S_IROTH|...|S_ISUID`), tested with `contains`. */
export function renderModeFlags(mode: number): string {
  return renderFlags(mode, MODE_BITS, '0');
}

const AT_BITS = linuxFlagTable(AT_FLAGS);

/** unlinkat/fchownat/execveat `flags`. */
export function renderAtFlags(flags: number): string {
  return renderFlags(flags, AT_BITS, '0');
}

const RENAME_BITS = linuxFlagTable(RENAME_FLAGS);

/** renameat2 `flags`. */
export function renderRenameFlags(flags: number): string {
  return renderFlags(flags, RENAME_BITS, '0');
}

const RESOLVE_BITS = linuxFlagTable(RESOLVE_FLAGS);

/** openat2 `resolve`. */
export function renderResolveFlags(flags: number): string {
  return renderFlags(flags, RESOLVE_BITS, '0');
}

const MOUNT_BITS = linuxFlagTable(MOUNT_FLAGS);

/** mount flags as Falco names them (`BIND|REC`); the legacy magic in the high 16 bits is dropped. */
export function renderMountFlags(flags: bigint): string {
  let value = Number(flags & 0xffffffffn);
  if ((value & 0xffff0000) >>> 0 === 0xc0ed0000) value &= 0xffff;
  return renderFlags(value, MOUNT_BITS, '0');
}

const PTRACE_NAMES = new Map(linuxFlagTable(PTRACE_REQUESTS).map(([name, request]) => [request, name]));

/** ptrace request name (`PTRACE_ATTACH`); unknown requests render as their number. */
export function renderPtraceRequest(request: number): string {
  return PTRACE_NAMES.get(request) ?? String(request);
}

/** Address family name (`AF_INET`). */
export function renderFamily(family: number): string {
  return SOCKET_FAMILIES.get(family) ?? String(family);
}

/** Falco's PT_FD rendering of a dirfd: AT_FDCWD is -100. */
export function renderDirfd(dirfd: number): string {
  return dirfd === -100 ? 'AT_FDCWD' : String(dirfd);
}

/** Linux `new_encode_dev` of a tty (what /proc/PID/stat's tty_nr and Falco's proc.tty show). */
export function encodeTty(major: number, minorStart: number, index: number): number {
  if (major === 0 && minorStart === 0 && index === 0) return 0;
  const minor = minorStart + index;
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

const CLONE_BITS = linuxFlagTable(CLONE_FLAGS);

/** unshare `flags` and setns `nstype` (`CLONE_NEWNS|CLONE_NEWUSER`); 0 (setns: any namespace) is `0`. */
export function renderCloneFlags(flags: number): string {
  // 0x80000000 does not survive JavaScript's signed 32-bit `&`: compare as unsigned.
  const names: string[] = [];
  for (const [name, bits] of CLONE_BITS) if ((flags & bits) >>> 0 === bits >>> 0) names.push(name);
  return names.length > 0 ? names.join('|') : '0';
}

const USERFAULTFD_BITS = linuxFlagTable(USERFAULTFD_FLAGS);

/** userfaultfd `flags` (`O_NONBLOCK|O_CLOEXEC`). */
export function renderUserfaultfdFlags(flags: number): string {
  return renderFlags(flags, USERFAULTFD_BITS, '0');
}

/** A signal as Falco renders PT_SIGTYPE (`SIGKILL`); 0 and real-time signals as their number. */
export function renderSignal(sig: number): string {
  return SIGNAL_NAMES[sig] || String(sig);
}

/** prctl `option` (`PR_SET_NAME`); unknown options render as their number. */
export function renderPrctlOption(option: number): string {
  return PRCTL_OPTIONS.get(option) ?? String(option);
}
