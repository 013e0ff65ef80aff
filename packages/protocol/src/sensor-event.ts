import { z } from 'zod';

/**
 * Wire mirror of the engine's `SyscallEvent` (packages/engine/src/events/syscall-event.ts).
 * The engine is not imported (protocol is a leaf); `sensor-event.test.ts` checks that the two stay
 * assignable both ways, so a field added to one side without the other fails the build.
 */

/** Epoch nanoseconds as a decimal string (they exceed 2^53). */
export const EpochNsSchema = z.string().regex(/^\d{1,20}$/, 'expected epoch nanoseconds as a decimal string');

/** One process in the tree; `ancestors` exists only on the event's own process. */
export const ProcessInfoSchema = z.object({
  pid: z.number().int(),
  tid: z.number().int().optional(),
  vpid: z.number().int().optional(),
  ppid: z.number().int().optional(),
  name: z.string(),
  exe: z.string().optional(),
  exepath: z.string().optional(),
  args: z.array(z.string()).optional(),
  cwd: z.string().optional(),
  tty: z.number().int().optional(),
  sid: z.number().int().optional(),
  sname: z.string().optional(),
  pgid: z.number().int().optional(),
  vpgid: z.number().int().optional(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
  user: z.string().optional(),
  group: z.string().optional(),
  loginuid: z.number().int().optional(),
  loginname: z.string().optional(),
  env: z.array(z.string()).optional(),
  startTs: EpochNsSchema.optional(),
  capEffective: z.string().optional(),
  capPermitted: z.string().optional(),
  capInheritable: z.string().optional(),
  isExeFromMemfd: z.boolean().optional(),
  isExeUpperLayer: z.boolean().optional(),
  isExeWritable: z.boolean().optional(),
  exeInoCtime: EpochNsSchema.optional(),
  exeInoMtime: EpochNsSchema.optional(),
  get ancestors() {
    return z.array(ProcessInfoSchema).optional();
  },
});

/** Falco's fd kinds (`fd.type`). */
export const FdTypeSchema = z.enum([
  'file',
  'directory',
  'ipv4',
  'ipv6',
  'unix',
  'pipe',
  'event',
  'signalfd',
  'eventpoll',
  'inotify',
  'timerfd',
  'netlink',
  'bpf',
  'userfaultfd',
  'io_uring',
  'memfd',
  'pidfd',
]);

/** The file descriptor an event refers to. */
export const FdInfoSchema = z.object({
  num: z.number().int(),
  type: FdTypeSchema,
  name: z.string().optional(),
  nameraw: z.string().optional(),
  l4proto: z.enum(['tcp', 'udp', 'icmp', 'raw']).optional(),
  cip: z.string().optional(),
  cport: z.number().int().min(0).max(65535).optional(),
  sip: z.string().optional(),
  sport: z.number().int().min(0).max(65535).optional(),
  isClient: z.boolean().optional(),
  connected: z.boolean().optional(),
  nameChanged: z.boolean().optional(),
  openFlags: z.string().optional(),
  openMode: z.string().optional(),
  ino: z.string().optional(),
  dev: z.number().int().optional(),
});

/** One container mount (`container.mounts`). */
export const ContainerMountSchema = z.object({
  source: z.string(),
  dest: z.string(),
  mode: z.string(),
  rdwr: z.boolean(),
  propagation: z.string(),
});

/** Container metadata; absent for host processes. */
export const ContainerInfoSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  type: z.string().optional(),
  image: z.string().optional(),
  imageRepository: z.string().optional(),
  imageTag: z.string().optional(),
  imageDigest: z.string().optional(),
  privileged: z.boolean().optional(),
  startTs: EpochNsSchema.optional(),
  mounts: z.array(ContainerMountSchema).optional(),
});

/** Kubernetes pod metadata for containers of a pod. */
export const PodInfoSchema = z.object({
  podName: z.string().optional(),
  podUid: z.string().optional(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/** A syscall event as the sensor ships it and the engine's `syscall` source reads it. */
export const SyscallEventSchema = z.object({
  source: z.literal('syscall').optional(),
  num: z.number().int().nonnegative().optional(),
  ts: EpochNsSchema,
  type: z.string().min(1),
  dir: z.enum(['>', '<']),
  res: z.number().int().optional(),
  args: z.array(z.tuple([z.string(), z.string()])),
  cpu: z.number().int().nonnegative().optional(),
  hostname: z.string().optional(),
  proc: ProcessInfoSchema,
  fd: FdInfoSchema.optional(),
  container: ContainerInfoSchema.optional(),
  k8s: PodInfoSchema.optional(),
});

/** Inferred wire type of one process (structurally equal to the engine's `ProcessInfo`). */
export type WireProcessInfo = z.infer<typeof ProcessInfoSchema>;
/** Inferred wire type of one fd (structurally equal to the engine's `FdInfo`). */
export type WireFdInfo = z.infer<typeof FdInfoSchema>;
/** Inferred wire type of container metadata. */
export type WireContainerInfo = z.infer<typeof ContainerInfoSchema>;
/** Inferred wire type of pod metadata. */
export type WirePodInfo = z.infer<typeof PodInfoSchema>;
/** Inferred wire type of a syscall event (structurally equal to the engine's `SyscallEvent`). */
export type WireSyscallEvent = z.infer<typeof SyscallEventSchema>;
