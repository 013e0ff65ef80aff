/**
 * The Linux flag and enum tables of syscall parameters, once for the whole project: each entry
 * names a flag with its Linux x86-64 value (what a kernel probe reads) and its libs `PPM_*` value
 * (what a `.scap` capture stores, `driver/ppm_events_public.h`). Entries are in libs
 * `userspace/libsinsp/flags_table.cpp` order, which fixes the order names are joined in.
 * The capture reader renders the PPM column, the sensor renders the Linux column, and the
 * sensor's capture writer converts one to the other through the same rows.
 */

/** One flag: name, Linux value (undefined: not a Linux flag here), PPM value (undefined: libs has none). */
export type LinuxFlag = readonly [name: string, linux: number | undefined, ppm: number | undefined];

/** A rendering table: name and bits, in output order. */
export type FlagTable = ReadonlyArray<readonly [name: string, bits: number]>;

/** open(2) flags (`O_*`); the access mode (the low two Linux bits) is a value, not bits. */
export const OPEN_FLAGS: readonly LinuxFlag[] = [
  ['O_LARGEFILE', 0o100000, 1 << 11],
  ['O_DIRECTORY', 0o200000, 1 << 10],
  ['O_DIRECT', 0o40000, 1 << 9],
  ['O_TRUNC', 0o1000, 1 << 8],
  ['O_SYNC', 0o4010000, 1 << 7],
  ['O_NONBLOCK', 0o4000, 1 << 6],
  ['O_EXCL', 0o200, 1 << 5],
  ['O_DSYNC', 0o10000, 1 << 4],
  ['O_APPEND', 0o2000, 1 << 3],
  ['O_CREAT', 0o100, 1 << 2],
  ['O_RDWR', 2, 3],
  ['O_WRONLY', 1, 2],
  ['O_RDONLY', 0, 1],
  ['O_CLOEXEC', 0o2000000, 1 << 12],
  ['O_NONE', undefined, 0],
  ['O_TMPFILE', 0o20200000, 1 << 13],
  ['O_F_CREATED', undefined, 1 << 14],
];

/** clone(2)/unshare(2)/setns(2) flags (`CLONE_*`). CLONE_NEWTIME has no PPM bit; CLONE_STOPPED is gone from Linux. */
export const CLONE_FLAGS: readonly LinuxFlag[] = [
  ['CLONE_FILES', 0x400, 1 << 0],
  ['CLONE_FS', 0x200, 1 << 1],
  ['CLONE_IO', 0x80000000, 1 << 2],
  ['CLONE_NEWIPC', 0x8000000, 1 << 3],
  ['CLONE_NEWNET', 0x40000000, 1 << 4],
  ['CLONE_NEWNS', 0x20000, 1 << 5],
  ['CLONE_NEWPID', 0x20000000, 1 << 6],
  ['CLONE_NEWUTS', 0x4000000, 1 << 7],
  ['CLONE_PARENT', 0x8000, 1 << 8],
  ['CLONE_PARENT_SETTID', 0x100000, 1 << 9],
  ['CLONE_PTRACE', 0x2000, 1 << 10],
  ['CLONE_SIGHAND', 0x800, 1 << 11],
  ['CLONE_SYSVSEM', 0x40000, 1 << 12],
  ['CLONE_THREAD', 0x10000, 1 << 13],
  ['CLONE_UNTRACED', 0x800000, 1 << 14],
  ['CLONE_VM', 0x100, 1 << 15],
  ['CLONE_NEWUSER', 0x10000000, 1 << 20],
  ['CLONE_CHILD_CLEARTID', 0x200000, 1 << 23],
  ['CLONE_CHILD_SETTID', 0x1000000, 1 << 24],
  ['CLONE_SETTLS', 0x80000, 1 << 25],
  ['CLONE_STOPPED', undefined, 1 << 26],
  ['CLONE_VFORK', 0x4000, 1 << 27],
  ['CLONE_NEWCGROUP', 0x2000000, 1 << 28],
  ['CLONE_NEWTIME', 0x80, undefined],
];

/** File mode bits (`S_I*`): PPM_S_* have the Linux values. */
export const MODE_FLAGS: readonly LinuxFlag[] = (
  [
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
  ] as const
).map(([name, bits]) => [name, bits, bits] as const);

/** mount(2) flags (`MS_*` without the prefix, as libsinsp names them); PPM_MS_* have the Linux values. */
export const MOUNT_FLAGS: readonly LinuxFlag[] = (
  [
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
    ['NOSEC', 1 << 28],
    ['BORN', 1 << 29],
    ['ACTIVE', 1 << 30],
    ['NOUSER', 2 ** 31],
  ] as const
).map(([name, bits]) => [name, bits, bits] as const);

/** `AT_*` flags of unlinkat, linkat, fchownat, execveat (PPM values as libs' unlinkat/linkat tables). */
export const AT_FLAGS: readonly LinuxFlag[] = [
  ['AT_SYMLINK_NOFOLLOW', 0x100, undefined],
  ['AT_REMOVEDIR', 0x200, 0x200],
  ['AT_SYMLINK_FOLLOW', 0x400, 0x400],
  ['AT_EMPTY_PATH', 0x1000, 0x1000],
];

/** renameat2 flags. */
export const RENAME_FLAGS: readonly LinuxFlag[] = [
  ['RENAME_NOREPLACE', 1, 1],
  ['RENAME_EXCHANGE', 2, 2],
  ['RENAME_WHITEOUT', 4, 4],
];

/** openat2 `resolve` flags. */
export const RESOLVE_FLAGS: readonly LinuxFlag[] = [
  ['RESOLVE_BENEATH', 0x08, 0x08],
  ['RESOLVE_IN_ROOT', 0x10, 0x10],
  ['RESOLVE_NO_MAGICLINKS', 0x02, 0x02],
  ['RESOLVE_NO_SYMLINKS', 0x04, 0x04],
  ['RESOLVE_NO_XDEV', 0x01, 0x01],
  ['RESOLVE_CACHED', 0x20, 0x20],
];

/** memfd_create flags. */
export const MEMFD_FLAGS: readonly LinuxFlag[] = [
  ['MFD_CLOEXEC', 1, 1],
  ['MFD_ALLOW_SEALING', 2, 2],
  ['MFD_HUGETLB', 4, 4],
];

/** userfaultfd flags. */
export const USERFAULTFD_FLAGS: readonly LinuxFlag[] = [
  ['O_NONBLOCK', 0o4000, 0o4000],
  ['O_CLOEXEC', 0o2000000, 0o2000000],
  ['UFFD_USER_MODE_ONLY', 1, 1],
];

/** ptrace requests: Linux x86-64 request numbers and libs' PPM_PTRACE_* codes. */
export const PTRACE_REQUESTS: readonly LinuxFlag[] = [
  ['PTRACE_UNKNOWN', undefined, 0],
  ['PTRACE_TRACEME', 0, 1],
  ['PTRACE_PEEKTEXT', 1, 2],
  ['PTRACE_PEEKDATA', 2, 3],
  ['PTRACE_PEEKUSR', 3, 4],
  ['PTRACE_POKETEXT', 4, 5],
  ['PTRACE_POKEDATA', 5, 6],
  ['PTRACE_POKEUSR', 6, 7],
  ['PTRACE_CONT', 7, 8],
  ['PTRACE_KILL', 8, 9],
  ['PTRACE_SINGLESTEP', 9, 10],
  ['PTRACE_ATTACH', 16, 11],
  ['PTRACE_DETACH', 17, 12],
  ['PTRACE_SYSCALL', 24, 13],
  ['PTRACE_SETOPTIONS', 0x4200, 14],
  ['PTRACE_GETEVENTMSG', 0x4201, 15],
  ['PTRACE_GETSIGINFO', 0x4202, 16],
  ['PTRACE_SETSIGINFO', 0x4203, 17],
  ['PTRACE_GETREGSET', 0x4204, 18],
  ['PTRACE_SETREGSET', 0x4205, 19],
  ['PTRACE_SEIZE', 0x4206, 20],
  ['PTRACE_INTERRUPT', 0x4207, 21],
  ['PTRACE_LISTEN', 0x4208, 22],
  ['PTRACE_PEEKSIGINFO', 0x4209, 23],
  ['PTRACE_GETSIGMASK', 0x420a, 24],
  ['PTRACE_SETSIGMASK', 0x420b, 25],
  ['PTRACE_GETREGS', 12, 26],
  ['PTRACE_SETREGS', 13, 27],
  ['PTRACE_GETFPREGS', 14, 28],
  ['PTRACE_SETFPREGS', 15, 29],
  ['PTRACE_GETFPXREGS', 18, 30],
  ['PTRACE_SETFPXREGS', 19, 31],
  ['PTRACE_OLDSETOPTIONS', 21, 32],
  ['PTRACE_SET_SYSCALL', undefined, 33],
  ['PTRACE_ARCH_PRCTL', 30, 34],
  ['PTRACE_SYSEMU', 31, 35],
  ['PTRACE_SYSEMU_SINGLESTEP', 32, 36],
  ['PTRACE_SINGLEBLOCK', 33, 37],
  ['PTRACE_SECCOMP_GET_FILTER', 0x420c, undefined],
  ['PTRACE_GET_SYSCALL_INFO', 0x420e, undefined],
];

/** Socket address families (`PPM_AF_*` have the Linux numbers). */
export const SOCKET_FAMILIES: ReadonlyMap<number, string> = new Map([
  [0, 'AF_UNSPEC'],
  [1, 'AF_UNIX'],
  [2, 'AF_INET'],
  [10, 'AF_INET6'],
  [16, 'AF_NETLINK'],
  [17, 'AF_PACKET'],
]);

/** Linux x86-64 signal names 1..31 (sinsp_utils::signal_to_str); real-time signals have none. */
export const SIGNAL_NAMES: readonly string[] = (
  ' SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 SIGPIPE ' +
  'SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG SIGXCPU SIGXFSZ ' +
  'SIGVTALRM SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS'
).split(' ');

/** prctl options (`PR_*`) by Linux number. */
export const PRCTL_OPTIONS: ReadonlyMap<number, string> = new Map([
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

/** Linux capability names by bit (`CAP_CHOWN` is bit 0), as libsinsp renders capability masks. */
export const CAPABILITY_NAMES: readonly string[] = (
  'CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID ' +
  'CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW ' +
  'CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT ' +
  'CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD ' +
  'CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG ' +
  'CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE'
).split(' ');

/** The table's Linux column (rows with a Linux value), for rendering what a kernel probe read. */
export function linuxFlagTable(flags: readonly LinuxFlag[]): FlagTable {
  return flags.flatMap(([name, linux]) => (linux === undefined ? [] : [[name, linux] as const]));
}

/** The table's PPM column (rows with a PPM value), for rendering what a capture stores. */
export function ppmFlagTable(flags: readonly LinuxFlag[]): FlagTable {
  return flags.flatMap(([name, , ppm]) => (ppm === undefined ? [] : [[name, ppm] as const]));
}

/** Converts a Linux bitmask to PPM bits through a table (bits without a PPM value are dropped). */
export function linuxBitsToPpm(flags: readonly LinuxFlag[], value: number): number {
  let out = 0;
  for (const [, linux, ppm] of flags) {
    if (linux === undefined || ppm === undefined || linux === 0) continue;
    // Compared unsigned: 0x80000000 does not survive JavaScript's signed 32-bit `&`.
    if ((value & linux) >>> 0 === linux >>> 0) out |= ppm;
  }
  return out >>> 0;
}

/** Linux open flags to PPM_O_* (libs `open_flags_to_scap`; O_TMPFILE's O_DIRECTORY bit named once). */
export function openFlagsToPpm(value: number): number {
  const access = value & 3;
  let out = access === 2 ? 3 : access === 1 ? 2 : 1;
  const tmpfile = (value & 0o20200000) === 0o20200000;
  for (const [name, linux, ppm] of OPEN_FLAGS) {
    if (linux === undefined || ppm === undefined || linux <= 2 || name === 'O_RDWR') continue;
    if (tmpfile && name === 'O_DIRECTORY') continue;
    if ((value & linux) === linux) out |= ppm;
  }
  return out;
}

/** Linux clone/unshare/setns flags to PPM_CL_* (CLONE_NEWTIME has none and is dropped). */
export function cloneFlagsToPpm(value: number): number {
  return linuxBitsToPpm(CLONE_FLAGS, value);
}

/** A Linux ptrace request to its PPM_PTRACE_* code (0, PTRACE_UNKNOWN, when libs has none). */
export function ptraceRequestToPpm(request: number): number {
  for (const [, linux, ppm] of PTRACE_REQUESTS) if (linux === request) return ppm ?? 0;
  return 0;
}
