/**
 * Renders decoded capture parameters as libsinsp renders `evt.arg.NAME` (the resolved form):
 * PPM flag bitmasks as `O_RDONLY|O_CLOEXEC`, errors as `ENOENT`, `AT_FDCWD`, fds as
 * `<f>/etc/passwd`, relative paths joined to the cwd. Flag tables follow libs
 * `userspace/libsinsp/flags_table.cpp` order, for the PPM_* values of `driver/ppm_events_public.h`.
 */
import { errnoName } from '../sources/syscall/errno.js';
import { PPM_AT_FDCWD } from './format.js';

type FlagTable = ReadonlyArray<readonly [name: string, bits: number]>;

const FILE_FLAGS: FlagTable = [
  ['O_LARGEFILE', 1 << 11],
  ['O_DIRECTORY', 1 << 10],
  ['O_DIRECT', 1 << 9],
  ['O_TRUNC', 1 << 8],
  ['O_SYNC', 1 << 7],
  ['O_NONBLOCK', 1 << 6],
  ['O_EXCL', 1 << 5],
  ['O_DSYNC', 1 << 4],
  ['O_APPEND', 1 << 3],
  ['O_CREAT', 1 << 2],
  ['O_RDWR', 3],
  ['O_WRONLY', 2],
  ['O_RDONLY', 1],
  ['O_CLOEXEC', 1 << 12],
  ['O_NONE', 0],
  ['O_TMPFILE', 1 << 13],
  ['O_F_CREATED', 1 << 14],
];

const CLONE_FLAGS: FlagTable = [
  ['CLONE_FILES', 1 << 0],
  ['CLONE_FS', 1 << 1],
  ['CLONE_IO', 1 << 2],
  ['CLONE_NEWIPC', 1 << 3],
  ['CLONE_NEWNET', 1 << 4],
  ['CLONE_NEWNS', 1 << 5],
  ['CLONE_NEWPID', 1 << 6],
  ['CLONE_NEWUTS', 1 << 7],
  ['CLONE_PARENT', 1 << 8],
  ['CLONE_PARENT_SETTID', 1 << 9],
  ['CLONE_PTRACE', 1 << 10],
  ['CLONE_SIGHAND', 1 << 11],
  ['CLONE_SYSVSEM', 1 << 12],
  ['CLONE_THREAD', 1 << 13],
  ['CLONE_UNTRACED', 1 << 14],
  ['CLONE_VM', 1 << 15],
  ['CLONE_NEWUSER', 1 << 20],
  ['CLONE_CHILD_CLEARTID', 1 << 23],
  ['CLONE_CHILD_SETTID', 1 << 24],
  ['CLONE_SETTLS', 1 << 25],
  ['CLONE_STOPPED', 1 << 26],
  ['CLONE_VFORK', 1 << 27],
  ['CLONE_NEWCGROUP', 1 << 28],
];

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
  ['NOSEC', 1 << 28],
  ['BORN', 1 << 29],
  ['ACTIVE', 1 << 30],
  ['NOUSER', 1 << 31],
];

const UNLINKAT_FLAGS: FlagTable = [['AT_REMOVEDIR', 0x200]];
const LINKAT_FLAGS: FlagTable = [
  ['AT_SYMLINK_FOLLOW', 0x400],
  ['AT_EMPTY_PATH', 0x1000],
];
const RENAMEAT2_FLAGS: FlagTable = [
  ['RENAME_NOREPLACE', 1],
  ['RENAME_EXCHANGE', 2],
  ['RENAME_WHITEOUT', 4],
];
const MEMFD_FLAGS: FlagTable = [
  ['MFD_CLOEXEC', 1],
  ['MFD_ALLOW_SEALING', 2],
  ['MFD_HUGETLB', 4],
];

const SOCKET_FAMILIES = new Map<number, string>([
  [0, 'AF_UNSPEC'],
  [1, 'AF_UNIX'],
  [2, 'AF_INET'],
  [10, 'AF_INET6'],
  [16, 'AF_NETLINK'],
  [17, 'AF_PACKET'],
]);

/** PPM_PTRACE_* request codes (not the kernel's numbers). */
const PTRACE_REQUESTS = [
  'PTRACE_UNKNOWN',
  'PTRACE_TRACEME',
  'PTRACE_PEEKTEXT',
  'PTRACE_PEEKDATA',
  'PTRACE_PEEKUSR',
  'PTRACE_POKETEXT',
  'PTRACE_POKEDATA',
  'PTRACE_POKEUSR',
  'PTRACE_CONT',
  'PTRACE_KILL',
  'PTRACE_SINGLESTEP',
  'PTRACE_ATTACH',
  'PTRACE_DETACH',
  'PTRACE_SYSCALL',
  'PTRACE_SETOPTIONS',
  'PTRACE_GETEVENTMSG',
  'PTRACE_GETSIGINFO',
  'PTRACE_SETSIGINFO',
  'PTRACE_GETREGSET',
  'PTRACE_SETREGSET',
  'PTRACE_SEIZE',
  'PTRACE_INTERRUPT',
  'PTRACE_LISTEN',
  'PTRACE_PEEKSIGINFO',
  'PTRACE_GETSIGMASK',
  'PTRACE_SETSIGMASK',
  'PTRACE_GETREGS',
  'PTRACE_SETREGS',
  'PTRACE_GETFPREGS',
  'PTRACE_SETFPREGS',
  'PTRACE_GETFPXREGS',
  'PTRACE_SETFPXREGS',
  'PTRACE_OLDSETOPTIONS',
  'PTRACE_SET_SYSCALL',
  'PTRACE_ARCH_PRCTL',
  'PTRACE_SYSEMU',
  'PTRACE_SYSEMU_SINGLESTEP',
  'PTRACE_SINGLEBLOCK',
];

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
  ['memfd_create:flags', MEMFD_FLAGS],
]);

function renderFlags(value: number, table: FlagTable): string {
  const names: string[] = [];
  let covered = 0;
  for (const [name, bits] of table) {
    if (bits === 0) {
      if (value === 0) names.push(name);
      continue;
    }
    // Multi-bit values (O_RDWR) match only when every bit is set and not already named.
    if ((value & bits) === bits && (covered & bits) !== bits) {
      names.push(name);
      covered |= bits;
    }
  }
  return names.length > 0 ? names.join('|') : String(value);
}

/** The parameter's flag/enum table rendering, or undefined when libsinsp has none for it. */
export function renderFlagParam(
  event: string,
  param: string,
  type: string,
  value: number,
): string | undefined {
  if (type === 'MODE') return renderFlags(value, MODE_FLAGS);
  const table = FLAG_TABLES.get(`${event}:${param}`);
  if (table) return renderFlags(value >>> 0, table);
  if (event === 'ptrace' && param === 'request') return PTRACE_REQUESTS[value] ?? String(value);
  if ((event === 'socket' || event === 'socketpair') && param === 'domain') {
    return SOCKET_FAMILIES.get(value) ?? String(value);
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

/** Linux capability names by bit (libsinsp renders cap masks as space-separated names). */
const CAPS = (
  'CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID ' +
  'CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW ' +
  'CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT ' +
  'CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD ' +
  'CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG ' +
  'CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE'
).split(' ');

/** A capability mask as names (`CAP_CHOWN CAP_SYS_ADMIN`); undefined for an empty mask. */
export function renderCaps(mask: bigint): string | undefined {
  const names: string[] = [];
  for (let i = 0; i < CAPS.length; i++) if ((mask >> BigInt(i)) & 1n) names.push(CAPS[i]!);
  return names.length > 0 ? names.join(' ') : undefined;
}

/** Joins a path to a directory and normalises `.`, `..` and `//` (libsinsp's path concatenation). */
export function joinPath(dir: string, path: string): string {
  const full = path.startsWith('/') ? path : `${dir.endsWith('/') ? dir : `${dir}/`}${path}`;
  if (!full.startsWith('/')) return full;
  const out: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  const joined = `/${out.join('/')}`;
  return joined;
}
