/**
 * Renders raw syscall values the way Falco renders `evt.arg.*` text, so upstream conditions such as
 * `evt.arg.flags contains O_TRUNC` or `evt.arg.request contains PTRACE_ATTACH` match.
 * Flag names are listed in Falco's table order (libs `flags_table.cpp`), which fixes the order in
 * which they are joined.
 */

// Linux x86-64 errno numbers 0..133.
const ERRNO_NAMES = [
  '',
  'EPERM',
  'ENOENT',
  'ESRCH',
  'EINTR',
  'EIO',
  'ENXIO',
  'E2BIG',
  'ENOEXEC',
  'EBADF',
  'ECHILD',
  'EAGAIN',
  'ENOMEM',
  'EACCES',
  'EFAULT',
  'ENOTBLK',
  'EBUSY',
  'EEXIST',
  'EXDEV',
  'ENODEV',
  'ENOTDIR',
  'EISDIR',
  'EINVAL',
  'ENFILE',
  'EMFILE',
  'ENOTTY',
  'ETXTBSY',
  'EFBIG',
  'ENOSPC',
  'ESPIPE',
  'EROFS',
  'EMLINK',
  'EPIPE',
  'EDOM',
  'ERANGE',
  'EDEADLK',
  'ENAMETOOLONG',
  'ENOLCK',
  'ENOSYS',
  'ENOTEMPTY',
  'ELOOP',
  '',
  'ENOMSG',
  'EIDRM',
  'ECHRNG',
  'EL2NSYNC',
  'EL3HLT',
  'EL3RST',
  'ELNRNG',
  'EUNATCH',
  'ENOCSI',
  'EL2HLT',
  'EBADE',
  'EBADR',
  'EXFULL',
  'ENOANO',
  'EBADRQC',
  'EBADSLT',
  '',
  'EBFONT',
  'ENOSTR',
  'ENODATA',
  'ETIME',
  'ENOSR',
  'ENONET',
  'ENOPKG',
  'EREMOTE',
  'ENOLINK',
  'EADV',
  'ESRMNT',
  'ECOMM',
  'EPROTO',
  'EMULTIHOP',
  'EDOTDOT',
  'EBADMSG',
  'EOVERFLOW',
  'ENOTUNIQ',
  'EBADFD',
  'EREMCHG',
  'ELIBACC',
  'ELIBBAD',
  'ELIBSCN',
  'ELIBMAX',
  'ELIBEXEC',
  'EILSEQ',
  'ERESTART',
  'ESTRPIPE',
  'EUSERS',
  'ENOTSOCK',
  'EDESTADDRREQ',
  'EMSGSIZE',
  'EPROTOTYPE',
  'ENOPROTOOPT',
  'EPROTONOSUPPORT',
  'ESOCKTNOSUPPORT',
  'EOPNOTSUPP',
  'EPFNOSUPPORT',
  'EAFNOSUPPORT',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'ENETUNREACH',
  'ENETRESET',
  'ECONNABORTED',
  'ECONNRESET',
  'ENOBUFS',
  'EISCONN',
  'ENOTCONN',
  'ESHUTDOWN',
  'ETOOMANYREFS',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EALREADY',
  'EINPROGRESS',
  'ESTALE',
  'EUCLEAN',
  'ENOTNAM',
  'ENAVAIL',
  'EISNAM',
  'EREMOTEIO',
  'EDQUOT',
  'ENOMEDIUM',
  'EMEDIUMTYPE',
  'ECANCELED',
  'ENOKEY',
  'EKEYEXPIRED',
  'EKEYREVOKED',
  'EKEYREJECTED',
  'EOWNERDEAD',
  'ENOTRECOVERABLE',
  'ERFKILL',
  'EHWPOISON',
];

/** `ENOENT` for -2; `SUCCESS` for values >= 0 (Falco's `evt.res`). */
export function renderRes(ret: number): string {
  if (ret >= 0) return 'SUCCESS';
  return ERRNO_NAMES[-ret] || `E${-ret}`;
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

type FlagTable = ReadonlyArray<readonly [name: string, bits: number]>;

function renderFlags(value: number, table: FlagTable, zero = ''): string {
  const names: string[] = [];
  for (const [name, bits] of table) if (bits !== 0 && (value & bits) === bits) names.push(name);
  return names.length > 0 ? names.join('|') : zero;
}

// Linux x86-64 open(2) flag values.
const O_WRONLY = 0o1;
const O_RDWR = 0o2;
const OPEN_FLAGS: FlagTable = [
  ['O_LARGEFILE', 0o100000],
  ['O_DIRECTORY', 0o200000],
  ['O_DIRECT', 0o40000],
  ['O_TRUNC', 0o1000],
  ['O_SYNC', 0o4010000],
  ['O_NONBLOCK', 0o4000],
  ['O_EXCL', 0o200],
  ['O_DSYNC', 0o10000],
  ['O_APPEND', 0o2000],
  ['O_CREAT', 0o100],
];
const OPEN_FLAGS_TAIL: FlagTable = [
  ['O_CLOEXEC', 0o2000000],
  ['O_TMPFILE', 0o20200000],
];

/** open flags as Falco names them, e.g. `O_RDONLY|O_CLOEXEC`, `O_WRONLY|O_CREAT|O_TRUNC`. */
export const renderOpenFlags: (flags: number) => string = memo(renderOpenFlagsUncached);

function renderOpenFlagsUncached(flags: number): string {
  const names: string[] = [];
  // O_TMPFILE includes O_DIRECTORY's bit; name it once.
  const tmpfile = (flags & 0o20200000) === 0o20200000;
  for (const [name, bits] of OPEN_FLAGS) {
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

const MODE_FLAGS: FlagTable = [
  ['S_IXOTH', 0o1],
  ['S_IWOTH', 0o2],
  ['S_IROTH', 0o4],
  ['S_IXGRP', 0o10],
  ['S_IWGRP', 0o20],
  ['S_IRGRP', 0o40],
  ['S_IXUSR', 0o100],
  ['S_IWUSR', 0o200],
  ['S_IRUSR', 0o400],
  ['S_ISVTX', 0o1000],
  ['S_ISGID', 0o2000],
  ['S_ISUID', 0o4000],
];

/** chmod-family mode as flag names (`S_IXOTH|S_IROTH|...|S_ISUID`), tested with `contains`. */
export function renderModeFlags(mode: number): string {
  return renderFlags(mode, MODE_FLAGS, '0');
}

const AT_FLAGS: FlagTable = [
  ['AT_SYMLINK_NOFOLLOW', 0x100],
  ['AT_REMOVEDIR', 0x200],
  ['AT_SYMLINK_FOLLOW', 0x400],
  ['AT_EMPTY_PATH', 0x1000],
];

/** unlinkat/fchownat/execveat `flags`. */
export function renderAtFlags(flags: number): string {
  return renderFlags(flags, AT_FLAGS, '0');
}

const RENAME_FLAGS: FlagTable = [
  ['RENAME_NOREPLACE', 1],
  ['RENAME_EXCHANGE', 2],
  ['RENAME_WHITEOUT', 4],
];

/** renameat2 `flags`. */
export function renderRenameFlags(flags: number): string {
  return renderFlags(flags, RENAME_FLAGS, '0');
}

const RESOLVE_FLAGS: FlagTable = [
  ['RESOLVE_BENEATH', 0x08],
  ['RESOLVE_IN_ROOT', 0x10],
  ['RESOLVE_NO_MAGICLINKS', 0x02],
  ['RESOLVE_NO_SYMLINKS', 0x04],
  ['RESOLVE_NO_XDEV', 0x01],
  ['RESOLVE_CACHED', 0x20],
];

/** openat2 `resolve`. */
export function renderResolveFlags(flags: number): string {
  return renderFlags(flags, RESOLVE_FLAGS, '0');
}

const MOUNT_FLAGS: FlagTable = [
  ['RDONLY', 1],
  ['NOSUID', 2],
  ['NODEV', 4],
  ['NOEXEC', 8],
  ['SYNCHRONOUS', 16],
  ['REMOUNT', 32],
  ['MANDLOCK', 64],
  ['DIRSYNC', 128],
  ['NOATIME', 1024],
  ['NODIRATIME', 2048],
  ['BIND', 4096],
  ['MOVE', 8192],
  ['REC', 16384],
  ['SILENT', 32768],
  ['POSIXACL', 1 << 16],
  ['UNBINDABLE', 1 << 17],
  ['PRIVATE', 1 << 18],
  ['SLAVE', 1 << 19],
  ['SHARED', 1 << 20],
  ['RELATIME', 1 << 21],
  ['KERNMOUNT', 1 << 22],
  ['I_VERSION', 1 << 23],
  ['STRICTATIME', 1 << 24],
  ['LAZYTIME', 1 << 25],
];

/** mount flags as Falco names them (`BIND|REC`); the legacy magic in the high 16 bits is dropped. */
export function renderMountFlags(flags: bigint): string {
  let value = Number(flags & 0xffffffffn);
  if ((value & 0xffff0000) >>> 0 === 0xc0ed0000) value &= 0xffff;
  return renderFlags(value, MOUNT_FLAGS, '0');
}

const PTRACE_REQUESTS = new Map<number, string>([
  [0, 'PTRACE_TRACEME'],
  [1, 'PTRACE_PEEKTEXT'],
  [2, 'PTRACE_PEEKDATA'],
  [3, 'PTRACE_PEEKUSR'],
  [4, 'PTRACE_POKETEXT'],
  [5, 'PTRACE_POKEDATA'],
  [6, 'PTRACE_POKEUSR'],
  [7, 'PTRACE_CONT'],
  [8, 'PTRACE_KILL'],
  [9, 'PTRACE_SINGLESTEP'],
  [12, 'PTRACE_GETREGS'],
  [13, 'PTRACE_SETREGS'],
  [14, 'PTRACE_GETFPREGS'],
  [15, 'PTRACE_SETFPREGS'],
  [16, 'PTRACE_ATTACH'],
  [17, 'PTRACE_DETACH'],
  [18, 'PTRACE_GETFPXREGS'],
  [19, 'PTRACE_SETFPXREGS'],
  [24, 'PTRACE_SYSCALL'],
  [31, 'PTRACE_SYSEMU'],
  [32, 'PTRACE_SYSEMU_SINGLESTEP'],
  [0x4200, 'PTRACE_SETOPTIONS'],
  [0x4201, 'PTRACE_GETEVENTMSG'],
  [0x4202, 'PTRACE_GETSIGINFO'],
  [0x4203, 'PTRACE_SETSIGINFO'],
  [0x4204, 'PTRACE_GETREGSET'],
  [0x4205, 'PTRACE_SETREGSET'],
  [0x4206, 'PTRACE_SEIZE'],
  [0x4207, 'PTRACE_INTERRUPT'],
  [0x4208, 'PTRACE_LISTEN'],
  [0x4209, 'PTRACE_PEEKSIGINFO'],
  [0x420a, 'PTRACE_GETSIGMASK'],
  [0x420b, 'PTRACE_SETSIGMASK'],
  [0x420c, 'PTRACE_SECCOMP_GET_FILTER'],
  [0x420e, 'PTRACE_GET_SYSCALL_INFO'],
]);

/** ptrace request name (`PTRACE_ATTACH`); unknown requests render as their number. */
export function renderPtraceRequest(request: number): string {
  return PTRACE_REQUESTS.get(request) ?? String(request);
}

const AF_NAMES = new Map<number, string>([
  [0, 'AF_UNSPEC'],
  [1, 'AF_UNIX'],
  [2, 'AF_INET'],
  [10, 'AF_INET6'],
  [16, 'AF_NETLINK'],
  [17, 'AF_PACKET'],
]);

/** Address family name (`AF_INET`). */
export function renderFamily(family: number): string {
  return AF_NAMES.get(family) ?? String(family);
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
