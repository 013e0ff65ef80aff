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

// Linux clone(2)/unshare(2)/setns(2) flag values, in Falco's table order (libs `clone_flags`),
// CLONE_NEWTIME (which that table lacks) last.
const CLONE_FLAGS: FlagTable = [
  ['CLONE_FILES', 0x400],
  ['CLONE_FS', 0x200],
  ['CLONE_IO', 0x80000000],
  ['CLONE_NEWIPC', 0x8000000],
  ['CLONE_NEWNET', 0x40000000],
  ['CLONE_NEWNS', 0x20000],
  ['CLONE_NEWPID', 0x20000000],
  ['CLONE_NEWUTS', 0x4000000],
  ['CLONE_PARENT', 0x8000],
  ['CLONE_PARENT_SETTID', 0x100000],
  ['CLONE_PTRACE', 0x2000],
  ['CLONE_SIGHAND', 0x800],
  ['CLONE_SYSVSEM', 0x40000],
  ['CLONE_THREAD', 0x10000],
  ['CLONE_UNTRACED', 0x800000],
  ['CLONE_VM', 0x100],
  ['CLONE_NEWUSER', 0x10000000],
  ['CLONE_CHILD_CLEARTID', 0x200000],
  ['CLONE_CHILD_SETTID', 0x1000000],
  ['CLONE_SETTLS', 0x80000],
  ['CLONE_VFORK', 0x4000],
  ['CLONE_NEWCGROUP', 0x2000000],
  ['CLONE_NEWTIME', 0x80],
];

/** unshare `flags` and setns `nstype` (`CLONE_NEWNS|CLONE_NEWUSER`); 0 (setns: any namespace) is `0`. */
export function renderCloneFlags(flags: number): string {
  // 0x80000000 does not survive JavaScript's signed 32-bit `&`: compare as unsigned.
  const names: string[] = [];
  for (const [name, bits] of CLONE_FLAGS) if ((flags & bits) >>> 0 === bits >>> 0) names.push(name);
  return names.length > 0 ? names.join('|') : '0';
}

const USERFAULTFD_FLAGS: FlagTable = [
  ['O_NONBLOCK', 0o4000],
  ['O_CLOEXEC', 0o2000000],
  ['UFFD_USER_MODE_ONLY', 1],
];

/** userfaultfd `flags` (`O_NONBLOCK|O_CLOEXEC`). */
export function renderUserfaultfdFlags(flags: number): string {
  return renderFlags(flags, USERFAULTFD_FLAGS, '0');
}

// Linux x86-64 signal numbers 1..31 (sinsp_utils::signal_to_str); real-time signals are numbers.
const SIGNAL_NAMES = [
  '',
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

/** A signal as Falco renders PT_SIGTYPE (`SIGKILL`); 0 and real-time signals as their number. */
export function renderSignal(sig: number): string {
  return SIGNAL_NAMES[sig] || String(sig);
}

const PRCTL_OPTIONS = new Map<number, string>([
  [1, 'PR_SET_PDEATHSIG'],
  [2, 'PR_GET_PDEATHSIG'],
  [3, 'PR_GET_DUMPABLE'],
  [4, 'PR_SET_DUMPABLE'],
  [5, 'PR_GET_UNALIGN'],
  [6, 'PR_SET_UNALIGN'],
  [7, 'PR_GET_KEEPCAPS'],
  [8, 'PR_SET_KEEPCAPS'],
  [9, 'PR_GET_FPEMU'],
  [10, 'PR_SET_FPEMU'],
  [11, 'PR_GET_FPEXC'],
  [12, 'PR_SET_FPEXC'],
  [13, 'PR_GET_TIMING'],
  [14, 'PR_SET_TIMING'],
  [15, 'PR_SET_NAME'],
  [16, 'PR_GET_NAME'],
  [19, 'PR_GET_ENDIAN'],
  [20, 'PR_SET_ENDIAN'],
  [21, 'PR_GET_SECCOMP'],
  [22, 'PR_SET_SECCOMP'],
  [23, 'PR_CAPBSET_READ'],
  [24, 'PR_CAPBSET_DROP'],
  [25, 'PR_GET_TSC'],
  [26, 'PR_SET_TSC'],
  [27, 'PR_GET_SECUREBITS'],
  [28, 'PR_SET_SECUREBITS'],
  [29, 'PR_SET_TIMERSLACK'],
  [30, 'PR_GET_TIMERSLACK'],
  [31, 'PR_TASK_PERF_EVENTS_DISABLE'],
  [32, 'PR_TASK_PERF_EVENTS_ENABLE'],
  [33, 'PR_MCE_KILL'],
  [34, 'PR_MCE_KILL_GET'],
  [35, 'PR_SET_MM'],
  [36, 'PR_SET_CHILD_SUBREAPER'],
  [37, 'PR_GET_CHILD_SUBREAPER'],
  [38, 'PR_SET_NO_NEW_PRIVS'],
  [39, 'PR_GET_NO_NEW_PRIVS'],
  [40, 'PR_GET_TID_ADDRESS'],
  [41, 'PR_SET_THP_DISABLE'],
  [42, 'PR_GET_THP_DISABLE'],
  [45, 'PR_SET_FP_MODE'],
  [46, 'PR_GET_FP_MODE'],
  [47, 'PR_CAP_AMBIENT'],
  [0x59616d61, 'PR_SET_PTRACER'],
]);

/** prctl `option` (`PR_SET_NAME`); unknown options render as their number. */
export function renderPrctlOption(option: number): string {
  return PRCTL_OPTIONS.get(option) ?? String(option);
}
