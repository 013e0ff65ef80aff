/**
 * Constants of the `.scap` capture format (Falco / sysdig / libscap), as written down in
 * `../shared/spec/scap-format.md` (from falcosecurity/libs `scap_savefile.h`,
 * `ppm_events_public.h` and `scap.h`). Every integer on disk is little-endian.
 */

/** Section header block id; its body starts with BYTE_ORDER_MAGIC. */
export const SHB_BLOCK = 0x0a0d0d0a;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Block type ids (§4). Legacy `0x80..ABCD` ids are aliases of the same blocks. */
export const BLOCK = {
  MACHINE_INFO: 0x201,
  MACHINE_INFO_LEGACY: 0x8002abcd,
  PROCESS_LIST_V1: 0x202,
  PROCESS_LIST_V1_LEGACY: 0x8000abcd,
  PROCESS_LIST_V2: 0x207,
  PROCESS_LIST_V2_LEGACY: 0x8013abcd,
  PROCESS_LIST_V3: 0x209,
  PROCESS_LIST_V3_LEGACY: 0x8014abcd,
  PROCESS_LIST_V4: 0x210,
  PROCESS_LIST_V5: 0x211,
  PROCESS_LIST_V6: 0x212,
  PROCESS_LIST_V7: 0x213,
  PROCESS_LIST_V8: 0x214,
  PROCESS_LIST_V9: 0x215,
  FD_LIST_V1: 0x203,
  FD_LIST_V1_LEGACY: 0x8001abcd,
  FD_LIST_V2: 0x218,
  INTERFACE_LIST_V1: 0x205,
  INTERFACE_LIST_V1_LEGACY: 0x8011abcd,
  INTERFACE_LIST_V2: 0x219,
  USER_LIST_V1: 0x206,
  USER_LIST_V1_LEGACY: 0x8012abcd,
  USER_LIST_V2: 0x220,
  EVENT_V1: 0x204,
  EVENT_V1_LEGACY: 0x8010abcd,
  EVENT_V1_FLAGS: 0x208,
  EVENT_V2: 0x216,
  EVENT_V2_FLAGS: 0x217,
  EVENT_V2_LARGE: 0x221,
  EVENT_V2_LARGE_FLAGS: 0x222,
} as const;

/** Process list block id -> list version (1-9). */
export const PROCESS_LIST_VERSION: ReadonlyMap<number, number> = new Map([
  [BLOCK.PROCESS_LIST_V1, 1],
  [BLOCK.PROCESS_LIST_V1_LEGACY, 1],
  [BLOCK.PROCESS_LIST_V2, 2],
  [BLOCK.PROCESS_LIST_V2_LEGACY, 2],
  [BLOCK.PROCESS_LIST_V3, 3],
  [BLOCK.PROCESS_LIST_V3_LEGACY, 3],
  [BLOCK.PROCESS_LIST_V4, 4],
  [BLOCK.PROCESS_LIST_V5, 5],
  [BLOCK.PROCESS_LIST_V6, 6],
  [BLOCK.PROCESS_LIST_V7, 7],
  [BLOCK.PROCESS_LIST_V8, 8],
  [BLOCK.PROCESS_LIST_V9, 9],
]);

/** scap fd types as stored in fd lists (§7). */
export const SCAP_FD = {
  UNKNOWN: 0,
  FILE: 1,
  DIRECTORY: 2,
  IPV4_SOCK: 3,
  IPV6_SOCK: 4,
  IPV4_SERVSOCK: 5,
  IPV6_SERVSOCK: 6,
  FIFO: 7,
  UNIX_SOCK: 8,
  EVENT: 9,
  UNSUPPORTED: 10,
  SIGNALFD: 11,
  EVENTPOLL: 12,
  INOTIFY: 13,
  TIMERFD: 14,
  NETLINK: 15,
  FILE_V2: 16,
  BPF: 17,
  USERFAULTFD: 18,
  IOURING: 19,
  MEMFD: 20,
  PIDFD: 21,
} as const;

/** Layer-4 protocol codes of fd lists (`l4proto`). */
export const SCAP_L4 = { UNKNOWN: 0, NA: 1, TCP: 2, UDP: 3, ICMP: 4, RAW: 5 } as const;

/** PPM_AF_* socket families (same numbers as Linux). */
export const PPM_AF = { UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, NETLINK: 16 } as const;

/** PPM_O_* open flags (not the kernel's values). */
export const PPM_O = {
  RDONLY: 1,
  WRONLY: 2,
  RDWR: 3,
  CREAT: 1 << 2,
  APPEND: 1 << 3,
  DSYNC: 1 << 4,
  EXCL: 1 << 5,
  NONBLOCK: 1 << 6,
  SYNC: 1 << 7,
  TRUNC: 1 << 8,
  DIRECT: 1 << 9,
  DIRECTORY: 1 << 10,
  LARGEFILE: 1 << 11,
  CLOEXEC: 1 << 12,
  TMPFILE: 1 << 13,
  F_CREATED: 1 << 14,
} as const;

/** PPM_CL_* clone flags (thread-table flags of process lists and clone events). */
export const PPM_CL = {
  CLONE_FILES: 1 << 0,
  CLONE_FS: 1 << 1,
  CLONE_IO: 1 << 2,
  CLONE_NEWIPC: 1 << 3,
  CLONE_NEWNET: 1 << 4,
  CLONE_NEWNS: 1 << 5,
  CLONE_NEWPID: 1 << 6,
  CLONE_NEWUTS: 1 << 7,
  CLONE_PARENT: 1 << 8,
  CLONE_PARENT_SETTID: 1 << 9,
  CLONE_PTRACE: 1 << 10,
  CLONE_SIGHAND: 1 << 11,
  CLONE_SYSVSEM: 1 << 12,
  CLONE_THREAD: 1 << 13,
  CLONE_UNTRACED: 1 << 14,
  CLONE_VM: 1 << 15,
  CLONE_INVERTED: 1 << 16,
  NAME_CHANGED: 1 << 17,
  CLOSED: 1 << 18,
  ACTIVE: 1 << 19,
  CLONE_NEWUSER: 1 << 20,
  PIPE_SRC: 1 << 21,
  PIPE_DST: 1 << 22,
  CLONE_CHILD_CLEARTID: 1 << 23,
  CLONE_CHILD_SETTID: 1 << 24,
  CLONE_SETTLS: 1 << 25,
  CLONE_STOPPED: 1 << 26,
  CLONE_VFORK: 1 << 27,
  CLONE_NEWCGROUP: 1 << 28,
  CHILD_IN_PIDNS: 1 << 29,
  IS_MAIN_THREAD: 1 << 30,
} as const;

/** `PPM_AT_FDCWD`: a dirfd naming the current directory. */
export const PPM_AT_FDCWD = -100;

/** Event types whose parameter lengths are u32 (EF_LARGE_PAYLOAD, §10). */
export const LARGE_PAYLOAD_EVENTS: ReadonlySet<number> = new Set([322, 324, 402]);

/** A file that is not a readable capture: a stable code, the byte offset and the block type. */
export class ScapFormatError extends Error {
  override readonly name = 'ScapFormatError';
  readonly code: ScapErrorCode;
  /** Offset in the (uncompressed) capture of the block where reading stopped. */
  readonly offset: number;
  constructor(code: ScapErrorCode, message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.code = code;
    this.offset = offset;
  }
}

export type ScapErrorCode =
  /** Not a capture: the first block is no section header, or its byte-order magic is wrong. */
  | 'SCAP_NOT_A_CAPTURE'
  /** A section header of a major version this reader does not know. */
  | 'SCAP_UNSUPPORTED_VERSION'
  /** The file ends inside a block. */
  | 'SCAP_TRUNCATED'
  /** A block whose length, trailer or contents do not add up. */
  | 'SCAP_CORRUPT_BLOCK'
  /** An event whose header, parameter lengths or values do not add up. */
  | 'SCAP_CORRUPT_EVENT'
  /** A block above the reader's size bound. */
  | 'SCAP_BLOCK_TOO_LARGE'
  /** The capture ends without any event block (libscap: "no events in file"). */
  | 'SCAP_NO_EVENTS';
