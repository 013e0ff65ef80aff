/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The record format shared by the BPF program (capture.bpf.c), the loader (peregrine-capture.c)
 * and the sensor's decoder (src/capture/libbpf-records.ts).
 *
 * Every event is ONE record: a fixed 184-byte header followed by its strings (no NULs, lengths in
 * `slen`). The loader copies records unchanged from the BPF ring buffer to its stdout; the `size`
 * field that starts each record is its length prefix. All integers are little-endian (the host's:
 * the loader and the sensor run on the same machine).
 *
 * Per-type fields: `PG_TYPE_LIST` names them in the order the sensor's RawEvent uses (the same
 * names as the bpftrace backend, see syscall-specs.ts; a test compares the two). Plain names are
 * numbers, stored in order in `ints`; names starting with `@` are IP addresses, stored in order in
 * `addr` (4 bytes for AF_INET, 16 for AF_INET6, as the event's `family` field says).
 */
#ifndef PEREGRINE_CAPTURE_H
#define PEREGRINE_CAPTURE_H

#define PG_MAGIC 0x4750 /* "PG" */
#define PG_NINTS 9
#define PG_NADDR 2
#define PG_NSTRS 4
/* String bounds (bytes, including the NUL the kernel copies): paths and argv vs other strings. */
#define PG_PATH_MAX 4096
#define PG_SMALL_MAX 256
/* The environment kept of an exec'd image (libscap's SCAP_MAX_ENV_SIZE: Falco's own bound). */
#define PG_ENV_MAX 4096
/*
 * Room for the strings of one event (exec's filename, argv, env and cgroup take at most ~14 KiB, so
 * a record's strings stay below PG_DATA_MASK + 1): offsets are masked with PG_DATA_MASK before each
 * read of at most 8 KiB, which the verifier then knows ends inside PG_DATA_SIZE. The scratch
 * record (header + data) must stay within a per-CPU map value's 32 KiB.
 */
#define PG_DATA_MASK 0x3fff
#define PG_DATA_SIZE 24576

/* In-band records from the loader (never from the kernel). */
#define PG_T_READY 0xff00 /* probes attached */
#define PG_T_LOST 0xff01  /* ints[0]: events the ring buffer could not take since the last report */

struct pg_event {
	__u32 size; /* bytes of this record, header and strings */
	__u16 magic;
	__u16 type;
	__u64 ts; /* CLOCK_MONOTONIC ns */
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 euid;
	__u32 egid;
	__s64 ret;
	__s64 ints[PG_NINTS];
	__u8 addr[PG_NADDR][16];
	char comm[16];
	__u16 slen[PG_NSTRS];
	__u8 nstr;
	__u8 trunc; /* bit i: string i was cut at its bound */
	__u8 pad[6];
};

/*
 * X(CODE, name, "int fields", "string fields"). The code of an entry is its position + 1.
 * Appending is safe; the sensor reads the table from `peregrine-capture --layout` at start.
 */
#define PG_TYPE_LIST(X)                                                                            \
	X(OPEN, open, "flags mode", "name")                                                        \
	X(OPENAT, openat, "dirfd flags mode", "name")                                              \
	X(OPENAT2, openat2, "dirfd flags mode resolve", "name")                                    \
	X(CREAT, creat, "mode", "name")                                                            \
	X(EXECVE, execve, "ttyIndex ttyMajor ttyMinor loginuid argLen envLen exeMemfd",            \
	  "filename argv env cgroup")                                                              \
	X(EXECVEAT, execveat, "ttyIndex ttyMajor ttyMinor loginuid argLen envLen exeMemfd dirfd flags", \
	  "filename argv env cgroup")                                                              \
	X(CONNECT, connect, "fd family proto sport cport @sip @cip", "path")                       \
	X(ACCEPT, accept, "fd family proto sport cport @sip @cip", "")                             \
	X(ACCEPT4, accept4, "fd family proto sport cport @sip @cip", "")                           \
	X(UNLINK, unlink, "", "path")                                                              \
	X(UNLINKAT, unlinkat, "dirfd flags", "name")                                               \
	X(RENAME, rename, "", "oldpath newpath")                                                   \
	X(RENAMEAT, renameat, "olddirfd newdirfd", "oldpath newpath")                              \
	X(RENAMEAT2, renameat2, "olddirfd newdirfd flags", "oldpath newpath")                      \
	X(CHMOD, chmod, "mode", "filename")                                                        \
	X(FCHMOD, fchmod, "fd mode", "")                                                           \
	X(FCHMODAT, fchmodat, "dirfd mode", "filename")                                            \
	X(CHOWN, chown, "uid gid", "path")                                                         \
	X(LCHOWN, lchown, "uid gid", "path")                                                       \
	X(FCHOWN, fchown, "fd uid gid", "")                                                        \
	X(FCHOWNAT, fchownat, "dirfd uid gid flags", "pathname")                                   \
	X(SETUID, setuid, "uid", "")                                                               \
	X(SETGID, setgid, "gid", "")                                                               \
	X(SETREUID, setreuid, "ruid euid", "")                                                     \
	X(SETREGID, setregid, "rgid egid", "")                                                     \
	X(SETRESUID, setresuid, "ruid euid suid", "")                                              \
	X(SETRESGID, setresgid, "rgid egid sgid", "")                                              \
	X(PTRACE, ptrace, "request targetPid addr data", "")                                       \
	X(SYMLINK, symlink, "", "target linkpath")                                                 \
	X(SYMLINKAT, symlinkat, "linkdirfd", "target linkpath")                                    \
	X(LINK, link, "", "oldpath newpath")                                                       \
	X(LINKAT, linkat, "olddir newdir flags", "oldpath newpath")                                \
	X(MKDIR, mkdir, "mode", "path")                                                            \
	X(MKDIRAT, mkdirat, "dirfd mode", "path")                                                  \
	X(RMDIR, rmdir, "", "path")                                                                \
	X(SOCKET, socket, "domain type proto", "")                                                 \
	X(MEMFD_CREATE, memfd_create, "flags", "name")                                             \
	X(INIT_MODULE, init_module, "length", "uargs")                                             \
	X(FINIT_MODULE, finit_module, "fd flags", "uargs")                                         \
	X(DUP, dup, "oldfd newfd flags family proto lport rport @lip @rip", "")                    \
	X(DUP2, dup2, "oldfd newfd flags family proto lport rport @lip @rip", "")                  \
	X(DUP3, dup3, "oldfd newfd flags family proto lport rport @lip @rip", "")                  \
	X(MOUNT, mount, "flags", "dev dir type")                                                   \
	X(PROCEXIT, procexit, "status", "")                                                        \
	X(SETNS, setns, "fd nstype", "")                                                           \
	X(UNSHARE, unshare, "flags", "")                                                           \
	X(USERFAULTFD, userfaultfd, "flags", "")                                                   \
	X(BPF, bpf, "cmd", "")                                                                     \
	X(KILL, kill, "targetPid sig", "")                                                         \
	X(PRCTL, prctl, "option arg2", "arg2str")                                                  \
	X(LISTEN, listen, "fd backlog family proto sport @sip", "")                                \
	X(SENDTO, sendto, "fd size family proto sport cport connected @sip @cip", "")              \
	X(SENDMSG, sendmsg, "fd size family proto sport cport connected @sip @cip", "")            \
	X(RECVFROM, recvfrom, "fd size family proto sport cport connected @sip @cip", "")          \
	X(RECVMSG, recvmsg, "fd size family proto sport cport connected @sip @cip", "")            \
	X(CHDIR, chdir, "", "path")                                                                \
	X(FCHDIR, fchdir, "fd", "")

enum pg_type_code {
	PG_T_NONE = 0,
#define PG_X(code, name, ints, strs) PG_T_##code,
	PG_TYPE_LIST(PG_X)
#undef PG_X
	PG_T_COUNT
};

#endif
