/**
 * The structured syscall event: what `peregrine-sensor` ships and what the `syscall` source's
 * extractors read. It follows Falco's syscall event model (`evt.*`, `proc.*`, `fd.*`, `user.*`,
 * `container.*`, `k8s.*`). `packages/protocol` mirrors it with a zod schema; change both together.
 *
 * Times are nanoseconds since the epoch as decimal strings (they exceed 2^53).
 * Optional members that are absent make the fields that read them "missing" (Falco's `<NA>`).
 */
export interface SyscallEvent {
  /** Always `syscall` (lets a mixed stream carry several sources). */
  source?: 'syscall';
  /** evt.num: monotonic sequence number on the sensor, from 1. */
  num?: number;
  /** evt.rawtime: epoch nanoseconds, decimal string. */
  ts: string;
  /** evt.type: event/syscall name as Falco names it (`execve`, `openat`, `connect`, `procexit`...). */
  type: string;
  /** evt.dir: `>` enter, `<` exit. Exit events carry the result. */
  dir: '>' | '<';
  /** evt.rawres: syscall return value (negative errno on failure); absent on enter events. */
  res?: number;
  /**
   * Event parameters, in Falco's order for this event type, rendered as Falco renders them in
   * `evt.arg.NAME` (flags as `O_RDONLY|O_CLOEXEC`, errno names, paths as given). Order matters:
   * `evt.arg[N]` selects by position.
   */
  args: Array<[name: string, value: string]>;
  /** evt.cpu */
  cpu?: number;
  /** evt.hostname / the host the sensor runs on. */
  hostname?: string;
  /** The thread that made the call. */
  proc: ProcessInfo;
  /** The file descriptor the event refers to (open result, connect/accept socket, ...). */
  fd?: FdInfo;
  /** Container the process runs in; absent for host processes (`container.id` = `host`). */
  container?: ContainerInfo;
  /** Kubernetes pod metadata for containers of a pod. */
  k8s?: PodInfo;
}

/** One process in the tree. `ancestors` exists only on the event's own process. */
export interface ProcessInfo {
  pid: number;
  /** Thread id; defaults to pid. */
  tid?: number;
  /** PID in its own PID namespace (1 = container init). */
  vpid?: number;
  ppid?: number;
  /** comm, at most 15 characters. */
  name: string;
  /** argv[0] as passed to exec. */
  exe?: string;
  /** Absolute path of the executable (symlinks resolved). */
  exepath?: string;
  /** argv[1..]. */
  args?: string[];
  /** Ends with `/`. */
  cwd?: string;
  /** Controlling terminal number, 0 when none. */
  tty?: number;
  sid?: number;
  /** Session leader's comm (proc.sname). */
  sname?: string;
  pgid?: number;
  vpgid?: number;
  uid?: number;
  gid?: number;
  /** user.name of the effective uid. */
  user?: string;
  /** group.name of the effective gid. */
  group?: string;
  /** Audit login uid; -1 when unset. */
  loginuid?: number;
  loginname?: string;
  /** `K=V` entries. */
  env?: string[];
  /** Process start, epoch ns as a decimal string. */
  startTs?: string;
  /** Space-separated capability names (`CAP_CHOWN CAP_SYS_ADMIN`). */
  capEffective?: string;
  capPermitted?: string;
  capInheritable?: string;
  isExeFromMemfd?: boolean;
  isExeUpperLayer?: boolean;
  isExeWritable?: boolean;
  /** Executable inode ctime / mtime, epoch ns decimal strings. */
  exeInoCtime?: string;
  exeInoMtime?: string;
  /** Parent first: ancestors[0] is the parent, ancestors[1] the grandparent, ... */
  ancestors?: ProcessInfo[];
}

/** Falco's fd kinds (`fd.type`) with their `fd.typechar`. */
export type FdType =
  | 'file'
  | 'directory'
  | 'ipv4'
  | 'ipv6'
  | 'unix'
  | 'pipe'
  | 'event'
  | 'signalfd'
  | 'eventpoll'
  | 'inotify'
  | 'timerfd'
  | 'netlink'
  | 'bpf'
  | 'userfaultfd'
  | 'io_uring'
  | 'memfd'
  | 'pidfd';

export interface FdInfo {
  /** fd.num; negative when the open failed. */
  num: number;
  type: FdType;
  /** Full name: absolute path for files, `cip:cport->sip:sport` for sockets. */
  name?: string;
  /** Path as the process passed it (fd.nameraw). */
  nameraw?: string;
  /** For sockets: `tcp`, `udp`, `icmp`, `raw`. */
  l4proto?: 'tcp' | 'udp' | 'icmp' | 'raw';
  /** Client (connecting side) and server (listening side) endpoints for IP sockets. */
  cip?: string;
  cport?: number;
  sip?: string;
  sport?: number;
  /** True when the process is the client side (connect), false for the server side (accept). */
  isClient?: boolean;
  connected?: boolean;
  nameChanged?: boolean;
  /** DNS name the sensor knows for `cip` / `sip` (fd.cip.name, fd.sip.name, ...); additive. */
  cipName?: string;
  sipName?: string;
  /** open flags as given (O_* names joined by `|`), for evt.is_open_read / write / exec. */
  openFlags?: string;
  /** For open: the creation mode in octal, e.g. `0755`. */
  openMode?: string;
  /** Inode number of a file fd. */
  ino?: string;
  /** Device of a file fd. */
  dev?: number;
}

export interface ContainerInfo {
  /** Full 64-hex id (container.full_id); `container.id` is its first 12 characters. */
  id: string;
  name?: string;
  /** `docker`, `containerd`, `cri-o`, `podman`, ... */
  type?: string;
  image?: string;
  imageRepository?: string;
  imageTag?: string;
  imageDigest?: string;
  privileged?: boolean;
  /** Epoch ns decimal string. */
  startTs?: string;
  mounts?: Array<{ source: string; dest: string; mode: string; rdwr: boolean; propagation: string }>;
}

export interface PodInfo {
  podName?: string;
  podUid?: string;
  namespace?: string;
  labels?: Record<string, string>;
}
