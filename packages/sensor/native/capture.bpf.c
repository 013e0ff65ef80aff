// SPDX-License-Identifier: GPL-2.0
/*
 * peregrine-sensor's kernel side: syscall tracepoints -> one binary record per event (capture.h)
 * in a BPF ring buffer.
 *
 * - Entry probes save the syscall's arguments per thread (per process for exec: a non-leader
 *   thread that execs comes back as the leader); exit probes read them back, build the record in
 *   a per-CPU scratch buffer and copy it to the ring with bpf_ringbuf_output (one copy of the
 *   used length only, so a 40-byte path does not cost a 4 KiB reservation).
 * - Which syscalls are traced is decided by the loader: programs of types not asked for are not
 *   even loaded (the in-kernel filter). The loader's and the sensor's own processes are skipped
 *   (their /proc reads and spool writes would feed back).
 * - Wake-ups: records are submitted without waking the reader until the ring holds
 *   `wakeup_bytes`; the loader drains on a short timer otherwise. That keeps the reader from
 *   waking once per event.
 * - A full ring is counted per CPU in `lost`; the loader reports the counts in-band.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "capture.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 excl_pid0 = 0;
const volatile __u32 excl_pid1 = 0;
const volatile __u64 wakeup_bytes = 1 << 18;

struct args {
	__u64 a[6];
	__u32 nr;
};

struct scratch {
	struct pg_event h;
	char data[PG_DATA_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* resized by the loader */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct args);
} pending SEC(".maps");

/* exec state, by pid */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct args);
} pending_exec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

#define S_IFMT 00170000
#define S_IFSOCK 0140000

static __always_inline bool excluded(__u32 tgid)
{
	return tgid == excl_pid0 || tgid == excl_pid1;
}

static __always_inline int save_args(struct trace_event_raw_sys_enter *ctx, __u32 nr, int nargs,
				     bool by_pid)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (excluded(tgid))
		return 0;
	struct args a = {};
	a.nr = nr;
	/* Only the syscall's own arguments: the tracepoint's record is no longer than that. */
	if (nargs > 0)
		a.a[0] = ctx->args[0];
	if (nargs > 1)
		a.a[1] = ctx->args[1];
	if (nargs > 2)
		a.a[2] = ctx->args[2];
	if (nargs > 3)
		a.a[3] = ctx->args[3];
	if (nargs > 4)
		a.a[4] = ctx->args[4];
	if (by_pid)
		bpf_map_update_elem(&pending_exec, &tgid, &a, BPF_ANY);
	else
		bpf_map_update_elem(&pending, &tid, &a, BPF_ANY);
	return 0;
}

/* The per-CPU scratch record with the common fields filled and the rest zeroed. */
static __always_inline struct scratch *begin(__u16 type, long ret)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	s->h.magic = PG_MAGIC;
	s->h.type = type;
	s->h.ts = bpf_ktime_get_ns();
	s->h.cpu = bpf_get_smp_processor_id();
	s->h.pid = id >> 32;
	s->h.tid = (__u32)id;
	s->h.ppid = BPF_CORE_READ(task, real_parent, tgid);
	s->h.euid = BPF_CORE_READ(task, cred, euid.val);
	s->h.egid = BPF_CORE_READ(task, cred, egid.val);
	s->h.ret = ret;
	__builtin_memset(s->h.ints, 0, sizeof(s->h.ints));
	__builtin_memset(s->h.addr, 0, sizeof(s->h.addr));
	bpf_get_current_comm(s->h.comm, sizeof(s->h.comm));
	s->h.slen[0] = 0;
	s->h.slen[1] = 0;
	s->h.slen[2] = 0;
	s->h.slen[3] = 0;
	s->h.nstr = 0;
	s->h.trunc = 0;
	return s;
}

/* Appends a user-space C string as string `idx`, at most `max` bytes including the NUL. */
static __always_inline void put_str(struct scratch *s, __u32 *off, int idx, const void *uptr,
				    __u32 max)
{
	__u32 o = *off & PG_DATA_MASK;
	long n = uptr ? bpf_probe_read_user_str(&s->data[o], max, uptr) : 0;
	if (n <= 0) {
		n = 0;
	} else {
		if (n == max)
			s->h.trunc |= 1 << idx;
		n -= 1; /* not the NUL */
	}
	s->h.slen[idx] = n;
	s->h.nstr = idx + 1;
	*off = o + n;
}

static __always_inline void emit(struct scratch *s, __u32 off)
{
	__u32 size = sizeof(struct pg_event) + (off & PG_DATA_MASK);
	s->h.size = size;
	__u64 flags = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										 : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&rb, s, size, flags) != 0) {
		__u32 zero = 0;
		__u64 *count = bpf_map_lookup_elem(&lost, &zero);
		if (count)
			*count += 1;
	}
}

/* Takes the saved arguments of this thread's syscall `nr`; false when there are none. */
static __always_inline bool take_args(__u32 nr, struct args *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct args *a = bpf_map_lookup_elem(&pending, &tid);
	if (!a)
		return false;
	if (a->nr != nr)
		return false;
	*out = *a;
	bpf_map_delete_elem(&pending, &tid);
	return true;
}

static __always_inline struct socket *socket_of(struct task_struct *task, int fd,
						struct sock **skp)
{
	*skp = NULL;
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	/* Only sockets' private_data is a struct socket. */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (sock)
		*skp = BPF_CORE_READ(sock, sk);
	return sock;
}

static __always_inline __u16 sk_proto(struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* Local and remote endpoint of a socket: ports in host order, addresses as bytes. */
static __always_inline void sk_endpoints(struct scratch *s, struct sock *sk, __u16 family,
					 int lport_slot, int rport_slot)
{
	s->h.ints[lport_slot] = BPF_CORE_READ(sk, __sk_common.skc_num);
	s->h.ints[rport_slot] = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == 2) {
		bpf_core_read(&s->h.addr[0][0], 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(&s->h.addr[1][0], 4, &sk->__sk_common.skc_daddr);
	} else if (family == 10) {
		bpf_core_read(&s->h.addr[0][0], 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(&s->h.addr[1][0], 16, &sk->__sk_common.skc_v6_daddr);
	}
}

#define ENTER(name, code, nargs)                                                                   \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)                                    \
	{                                                                                          \
		return save_args(ctx, PG_T_##code, nargs, false);                                  \
	}

/* An exit probe whose body sees `s` (the record), `a` (the saved arguments) and `off`. */
#define EXIT(name, code)                                                                           \
	static __always_inline void fill_##name(struct scratch *s, const struct args *a,           \
						__u32 *off, long ret);                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                                      \
	{                                                                                          \
		struct args a;                                                                     \
		if (!take_args(PG_T_##code, &a))                                                   \
			return 0;                                                                  \
		struct scratch *s = begin(PG_T_##code, ctx->ret);                                  \
		if (!s)                                                                            \
			return 0;                                                                  \
		__u32 off = 0;                                                                     \
		fill_##name(s, &a, &off, ctx->ret);                                                \
		emit(s, off);                                                                      \
		return 0;                                                                          \
	}                                                                                          \
	static __always_inline void fill_##name(struct scratch *s, const struct args *a,           \
						__u32 *off, long ret)

#define NUM(i, v) (s->h.ints[i] = (__s64)(v))
#define PATH(i, p) put_str(s, off, i, (const void *)(p), PG_PATH_MAX)
#define SMALL(i, p) put_str(s, off, i, (const void *)(p), PG_SMALL_MAX)

/* ---- open family ---- */
ENTER(open, OPEN, 3)
EXIT(open, OPEN)
{
	NUM(0, a->a[1]);
	NUM(1, a->a[2]);
	PATH(0, a->a[0]);
}

ENTER(openat, OPENAT, 4)
EXIT(openat, OPENAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, a->a[2]);
	NUM(2, a->a[3]);
	PATH(0, a->a[1]);
}

ENTER(openat2, OPENAT2, 3)
EXIT(openat2, OPENAT2)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (const void *)a->a[2]);
	NUM(0, (int)a->a[0]);
	NUM(1, how.flags);
	NUM(2, how.mode);
	NUM(3, how.resolve);
	PATH(0, a->a[1]);
}

ENTER(creat, CREAT, 2)
EXIT(creat, CREAT)
{
	NUM(0, a->a[1]);
	PATH(0, a->a[0]);
}

/* ---- exec ---- */

/* kernfs_node's `parent` is `__parent` since Linux 6.15; CO-RE picks whichever the kernel has. */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

/*
 * The task's cgroup in the default (v2) hierarchy, as its path's components leaf first, each
 * followed by '/' (at most PG_CGROUP_DEPTH of them; the sensor reverses them). Read at exec, in
 * the kernel, it places a process in its container even when it is gone before the sensor could
 * read /proc/PID/cgroup. String `idx`; empty when the task is in the root cgroup.
 */
#define PG_CGROUP_DEPTH 8
static __always_inline void put_cgroup(struct scratch *s, __u32 *off, int idx, struct task_struct *task)
{
	__u32 start = *off & PG_DATA_MASK;
	__u32 o = start;
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	for (int i = 0; i < PG_CGROUP_DEPTH; i++) {
		if (!kn)
			break;
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent)
			break; /* the root's own name is not part of the path */
		o &= PG_DATA_MASK;
		long n = bpf_probe_read_kernel_str(&s->data[o], PG_SMALL_MAX, BPF_CORE_READ(kn, name));
		if (n <= 0)
			break;
		s->data[(o + n - 1) & PG_DATA_MASK] = '/';
		o += n;
		kn = parent;
	}
	s->h.slen[idx] = (o - start) & PG_DATA_MASK;
	s->h.nstr = idx + 1;
	*off = o;
}

/*
 * A NUL-separated area of the new image's memory (argv or the environment) as string `idx`, at
 * most `max` bytes (a longer one is cut and marked truncated). Returns the area's full length.
 */
static __always_inline __u64 put_area(struct scratch *s, __u32 *off, int idx, unsigned long start,
				      unsigned long end, __u64 max)
{
	__u64 len = end > start ? end - start : 0;
	__u64 full = len;
	if (len > max) {
		len = max;
		s->h.trunc |= 1 << idx;
	}
	__u32 o = *off & PG_DATA_MASK;
	if (len > 0 &&
	    bpf_probe_read_user(&s->data[o], len & (PG_PATH_MAX * 2 - 1), (const void *)start) == 0) {
		s->h.slen[idx] = len;
		*off = o + len;
	}
	s->h.nstr = idx + 1;
	return full;
}

/* "memfd:" as the first six bytes of a little-endian u64. */
#define MEMFD_PREFIX 0x3a64666d656dULL

/*
 * True when the image runs from a memfd: its file's dentry is named `memfd:<name>` (what Falco's
 * drivers test for PPM_EXE_FROM_MEMFD). Decided here because /proc/PID/exe is gone with a process
 * that exits at once.
 */
static __always_inline bool exe_from_memfd(struct mm_struct *mm)
{
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	if (!exe)
		return false;
	const unsigned char *name = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
	__u64 head = 0;
	if (!name || bpf_probe_read_kernel(&head, sizeof(head), name) != 0)
		return false;
	return (head & 0xffffffffffffULL) == MEMFD_PREFIX;
}

/*
 * The exit of either exec syscall. A successful execveat leaves the kernel through
 * sys_exit_execve on x86-64 (the syscall number the exit tracepoint reads is execve's by then), so
 * both exit probes take whichever exec this process entered and report it under that type.
 */
static __always_inline int exec_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct args *saved = bpf_map_lookup_elem(&pending_exec, &pid);
	if (!saved || (saved->nr != PG_T_EXECVE && saved->nr != PG_T_EXECVEAT))
		return 0;
	__u32 code = saved->nr;
	bool at = code == PG_T_EXECVEAT;
	struct args a = *saved;
	bpf_map_delete_elem(&pending_exec, &pid);
	struct scratch *s = begin(code, ctx->ret);
	if (!s)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (tty) {
		s->h.ints[0] = BPF_CORE_READ(tty, index);
		s->h.ints[1] = BPF_CORE_READ(tty, driver, major);
		s->h.ints[2] = BPF_CORE_READ(tty, driver, minor_start);
	}
	if (bpf_core_field_exists(task->loginuid))
		s->h.ints[3] = (int)BPF_CORE_READ(task, loginuid.val);
	else
		s->h.ints[3] = -1;
	if (at) {
		s->h.ints[7] = (int)a.a[1];
		s->h.ints[8] = a.a[2];
	}
	__u32 off = 0;
	long ret = ctx->ret;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	/* After a successful exec the caller's memory is gone; the kernel's copy of the filename
	 * sits right after the environment strings of the new stack. */
	if (ret == 0 && mm)
		put_str(s, &off, 0, (const void *)BPF_CORE_READ(mm, env_end), PG_PATH_MAX);
	else
		put_str(s, &off, 0, (const void *)a.a[0], PG_PATH_MAX);
	s->h.nstr = 3;
	if (ret == 0 && mm) {
		s->h.ints[4] = put_area(s, &off, 1, BPF_CORE_READ(mm, arg_start),
					BPF_CORE_READ(mm, arg_end), PG_PATH_MAX);
		s->h.ints[5] = put_area(s, &off, 2, BPF_CORE_READ(mm, env_start),
					BPF_CORE_READ(mm, env_end), PG_ENV_MAX);
		s->h.ints[6] = exe_from_memfd(mm);
	}
	put_cgroup(s, &off, 3, task);
	emit(s, off);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return save_args(ctx, PG_T_EXECVE, 1, true);
}
SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx);
}
/* execveat(fd, filename, argv, envp, flags): saved as filename, fd, flags */
SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (excluded(tgid))
		return 0;
	struct args a = {};
	a.nr = PG_T_EXECVEAT;
	a.a[0] = ctx->args[1];
	a.a[1] = ctx->args[0];
	a.a[2] = ctx->args[4];
	bpf_map_update_elem(&pending_exec, &tgid, &a, BPF_ANY);
	return 0;
}
SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx);
}

/* ---- sockets ---- */
ENTER(connect, CONNECT, 2)
EXIT(connect, CONNECT)
{
	int fd = (int)a->a[0];
	const void *uaddr = (const void *)a->a[1];
	__u16 family = 0;
	bpf_probe_read_user(&family, sizeof(family), uaddr);
	struct sock *sk;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	socket_of(task, fd, &sk);
	NUM(0, fd);
	NUM(1, family);
	NUM(2, sk ? sk_proto(sk) : 0);
	if (family == 2) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), uaddr);
		NUM(3, bpf_ntohs(sin.sin_port));
		__builtin_memcpy(&s->h.addr[0][0], &sin.sin_addr.s_addr, 4);
		if (sk) {
			NUM(4, BPF_CORE_READ(sk, __sk_common.skc_num));
			bpf_core_read(&s->h.addr[1][0], 4, &sk->__sk_common.skc_rcv_saddr);
		}
	} else if (family == 10) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
		NUM(3, bpf_ntohs(sin6.sin6_port));
		__builtin_memcpy(&s->h.addr[0][0], &sin6.sin6_addr, 16);
		if (sk) {
			NUM(4, BPF_CORE_READ(sk, __sk_common.skc_num));
			bpf_core_read(&s->h.addr[1][0], 16, &sk->__sk_common.skc_v6_rcv_saddr);
		}
	} else if (family == 1) {
		SMALL(0, uaddr + 2); /* sun_path: at most 108 bytes */
	}
}

static __always_inline void accept_fill(struct scratch *s, long ret)
{
	struct sock *sk = NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (ret >= 0)
		socket_of(task, (int)ret, &sk);
	__u16 family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
	s->h.ints[0] = ret;
	s->h.ints[1] = family;
	if (sk && (family == 2 || family == 10)) {
		s->h.ints[2] = sk_proto(sk);
		/* server side: sport/sip are local, cport/cip the peer */
		sk_endpoints(s, sk, family, 3, 4);
	}
}

ENTER(accept, ACCEPT, 1)
EXIT(accept, ACCEPT)
{
	accept_fill(s, ret);
}
ENTER(accept4, ACCEPT4, 2)
EXIT(accept4, ACCEPT4)
{
	accept_fill(s, ret);
}

static __always_inline void dup_fill(struct scratch *s, const struct args *a, int newfd, __u64 flags)
{
	int fd = (int)a->a[0];
	struct sock *sk;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	socket_of(task, fd, &sk);
	__u16 family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
	s->h.ints[0] = fd;
	s->h.ints[1] = newfd;
	s->h.ints[2] = flags;
	s->h.ints[3] = family;
	if (sk && (family == 2 || family == 10)) {
		s->h.ints[4] = sk_proto(sk);
		sk_endpoints(s, sk, family, 5, 6);
	}
}

ENTER(dup, DUP, 1)
EXIT(dup, DUP)
{
	dup_fill(s, a, -1, 0);
}
ENTER(dup2, DUP2, 2)
EXIT(dup2, DUP2)
{
	dup_fill(s, a, (int)a->a[1], 0);
}
ENTER(dup3, DUP3, 3)
EXIT(dup3, DUP3)
{
	dup_fill(s, a, (int)a->a[1], a->a[2]);
}

ENTER(socket, SOCKET, 3)
EXIT(socket, SOCKET)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
	NUM(2, (int)a->a[2]);
}

/* ---- files ---- */
ENTER(unlink, UNLINK, 1)
EXIT(unlink, UNLINK)
{
	PATH(0, a->a[0]);
}
ENTER(unlinkat, UNLINKAT, 3)
EXIT(unlinkat, UNLINKAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, a->a[2]);
	PATH(0, a->a[1]);
}
ENTER(rename, RENAME, 2)
EXIT(rename, RENAME)
{
	PATH(0, a->a[0]);
	PATH(1, a->a[1]);
}
ENTER(renameat, RENAMEAT, 4)
EXIT(renameat, RENAMEAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[2]);
	PATH(0, a->a[1]);
	PATH(1, a->a[3]);
}
ENTER(renameat2, RENAMEAT2, 5)
EXIT(renameat2, RENAMEAT2)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[2]);
	NUM(2, a->a[4]);
	PATH(0, a->a[1]);
	PATH(1, a->a[3]);
}
ENTER(chmod, CHMOD, 2)
EXIT(chmod, CHMOD)
{
	NUM(0, a->a[1]);
	PATH(0, a->a[0]);
}
ENTER(fchmod, FCHMOD, 2)
EXIT(fchmod, FCHMOD)
{
	NUM(0, (int)a->a[0]);
	NUM(1, a->a[1]);
}
ENTER(fchmodat, FCHMODAT, 3)
EXIT(fchmodat, FCHMODAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, a->a[2]);
	PATH(0, a->a[1]);
}
ENTER(chown, CHOWN, 3)
EXIT(chown, CHOWN)
{
	NUM(0, (int)a->a[1]);
	NUM(1, (int)a->a[2]);
	PATH(0, a->a[0]);
}
ENTER(lchown, LCHOWN, 3)
EXIT(lchown, LCHOWN)
{
	NUM(0, (int)a->a[1]);
	NUM(1, (int)a->a[2]);
	PATH(0, a->a[0]);
}
ENTER(fchown, FCHOWN, 3)
EXIT(fchown, FCHOWN)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
	NUM(2, (int)a->a[2]);
}
ENTER(fchownat, FCHOWNAT, 5)
EXIT(fchownat, FCHOWNAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[2]);
	NUM(2, (int)a->a[3]);
	NUM(3, a->a[4]);
	PATH(0, a->a[1]);
}
ENTER(symlink, SYMLINK, 2)
EXIT(symlink, SYMLINK)
{
	PATH(0, a->a[0]);
	PATH(1, a->a[1]);
}
ENTER(symlinkat, SYMLINKAT, 3)
EXIT(symlinkat, SYMLINKAT)
{
	NUM(0, (int)a->a[1]);
	PATH(0, a->a[0]);
	PATH(1, a->a[2]);
}
ENTER(link, LINK, 2)
EXIT(link, LINK)
{
	PATH(0, a->a[0]);
	PATH(1, a->a[1]);
}
ENTER(linkat, LINKAT, 5)
EXIT(linkat, LINKAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[2]);
	NUM(2, a->a[4]);
	PATH(0, a->a[1]);
	PATH(1, a->a[3]);
}
ENTER(mkdir, MKDIR, 2)
EXIT(mkdir, MKDIR)
{
	NUM(0, a->a[1]);
	PATH(0, a->a[0]);
}
ENTER(mkdirat, MKDIRAT, 3)
EXIT(mkdirat, MKDIRAT)
{
	NUM(0, (int)a->a[0]);
	NUM(1, a->a[2]);
	PATH(0, a->a[1]);
}
ENTER(rmdir, RMDIR, 1)
EXIT(rmdir, RMDIR)
{
	PATH(0, a->a[0]);
}
/* The working directory: the process table follows it, so relative paths of a process gone
 * before enrichment resolve against the directory it changed to, not its parent's. */
ENTER(chdir, CHDIR, 1)
EXIT(chdir, CHDIR)
{
	PATH(0, a->a[0]);
}
ENTER(fchdir, FCHDIR, 1)
EXIT(fchdir, FCHDIR)
{
	NUM(0, a->a[0]);
}
ENTER(memfd_create, MEMFD_CREATE, 2)
EXIT(memfd_create, MEMFD_CREATE)
{
	NUM(0, a->a[1]);
	SMALL(0, a->a[0]);
}
ENTER(mount, MOUNT, 4)
EXIT(mount, MOUNT)
{
	NUM(0, a->a[3]);
	PATH(0, a->a[0]);
	PATH(1, a->a[1]);
	SMALL(2, a->a[2]);
}

/* ---- credentials, ptrace, modules ---- */
ENTER(setuid, SETUID, 1)
EXIT(setuid, SETUID)
{
	NUM(0, (int)a->a[0]);
}
ENTER(setgid, SETGID, 1)
EXIT(setgid, SETGID)
{
	NUM(0, (int)a->a[0]);
}
ENTER(setreuid, SETREUID, 2)
EXIT(setreuid, SETREUID)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
}
ENTER(setregid, SETREGID, 2)
EXIT(setregid, SETREGID)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
}
ENTER(setresuid, SETRESUID, 3)
EXIT(setresuid, SETRESUID)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
	NUM(2, (int)a->a[2]);
}
ENTER(setresgid, SETRESGID, 3)
EXIT(setresgid, SETRESGID)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
	NUM(2, (int)a->a[2]);
}
ENTER(ptrace, PTRACE, 4)
EXIT(ptrace, PTRACE)
{
	NUM(0, a->a[0]);
	NUM(1, (int)a->a[1]);
	NUM(2, a->a[2]);
	NUM(3, a->a[3]);
}
/* init_module(umod, len, uargs) */
ENTER(init_module, INIT_MODULE, 3)
EXIT(init_module, INIT_MODULE)
{
	NUM(0, a->a[1]);
	SMALL(0, a->a[2]);
}
ENTER(finit_module, FINIT_MODULE, 3)
EXIT(finit_module, FINIT_MODULE)
{
	NUM(0, (int)a->a[0]);
	NUM(1, a->a[2]);
	SMALL(0, a->a[1]);
}

/* ---- namespaces, page faults, BPF, signals, process control ---- */
ENTER(setns, SETNS, 2)
EXIT(setns, SETNS)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
}
ENTER(unshare, UNSHARE, 1)
EXIT(unshare, UNSHARE)
{
	NUM(0, a->a[0]);
}
ENTER(userfaultfd, USERFAULTFD, 1)
EXIT(userfaultfd, USERFAULTFD)
{
	NUM(0, (int)a->a[0]);
}
ENTER(bpf, BPF, 1)
EXIT(bpf, BPF)
{
	NUM(0, (int)a->a[0]);
}
ENTER(kill, KILL, 2)
EXIT(kill, KILL)
{
	NUM(0, (int)a->a[0]);
	NUM(1, (int)a->a[1]);
}
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_CHILD_SUBREAPER 37
/* prctl(option, arg2, ...): arg2 as Falco reads it, the name for PR_[GS]ET_NAME, the value an
 * int pointer points to for PR_GET_CHILD_SUBREAPER, else the number. */
ENTER(prctl, PRCTL, 2)
EXIT(prctl, PRCTL)
{
	int option = (int)a->a[0];
	NUM(0, option);
	if (option == PR_SET_NAME || option == PR_GET_NAME) {
		SMALL(0, a->a[1]);
	} else if (option == PR_GET_CHILD_SUBREAPER) {
		int value = 0;
		bpf_probe_read_user(&value, sizeof(value), (const void *)a->a[1]);
		NUM(1, value);
	} else {
		NUM(1, a->a[1]);
	}
}

/* ---- listen and datagrams ---- */
ENTER(listen, LISTEN, 2)
EXIT(listen, LISTEN)
{
	int fd = (int)a->a[0];
	struct sock *sk;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	socket_of(task, fd, &sk);
	__u16 family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
	NUM(0, fd);
	NUM(1, (int)a->a[1]);
	NUM(2, family);
	if (sk && (family == 2 || family == 10)) {
		NUM(3, sk_proto(sk));
		NUM(4, BPF_CORE_READ(sk, __sk_common.skc_num));
		if (family == 2)
			bpf_core_read(&s->h.addr[0][0], 4, &sk->__sk_common.skc_rcv_saddr);
		else
			bpf_core_read(&s->h.addr[0][0], 16, &sk->__sk_common.skc_v6_rcv_saddr);
	}
}

/*
 * sendto/sendmsg/recvfrom/recvmsg are reported for IP sockets other than TCP only: upstream rules
 * use them for datagrams to or from a new address (`fd.l4proto != tcp and fd.connected=false`),
 * and a TCP connection is already seen at connect/accept. Skipping the rest at entry keeps a
 * node's TCP and unix-socket traffic out of the ring buffer (and out of the `pending` map).
 */
static __always_inline bool dgram_ip_socket(int fd)
{
	struct sock *sk;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	socket_of(task, fd, &sk);
	if (!sk)
		return false;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return (family == 2 || family == 10) && sk_proto(sk) != 6 /* IPPROTO_TCP */;
}

#define ENTER_DGRAM(name, code, nargs)                                                             \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)                                    \
	{                                                                                          \
		if (excluded(bpf_get_current_pid_tgid() >> 32) ||                                  \
		    !dgram_ip_socket((int)ctx->args[0]))                                           \
			return 0;                                                                  \
		return save_args(ctx, PG_T_##code, nargs, false);                                  \
	}

/*
 * The socket's endpoints with the peer from the call's own address when it has one (an
 * unconnected socket's destination or source), else from the socket. Sent: the local side is the
 * client (cip/cport); received: the local side is the server (sip/sport), as libsinsp's tuples.
 */
static __always_inline void dgram_fill(struct scratch *s, int fd, __u64 size, const void *uaddr,
				       bool inbound)
{
	struct sock *sk;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	socket_of(task, fd, &sk);
	s->h.ints[0] = fd;
	s->h.ints[1] = size;
	if (!sk)
		return;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	s->h.ints[2] = family;
	s->h.ints[3] = sk_proto(sk);
	s->h.ints[6] = BPF_CORE_READ(sk, __sk_common.skc_state) == 1 /* TCP_ESTABLISHED */;
	int local = inbound ? 0 : 1, remote = inbound ? 1 : 0;
	s->h.ints[inbound ? 4 : 5] = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__u16 uaddr_family = 0;
	if (uaddr)
		bpf_probe_read_user(&uaddr_family, sizeof(uaddr_family), uaddr);
	if (family == 2) {
		bpf_core_read(&s->h.addr[local][0], 4, &sk->__sk_common.skc_rcv_saddr);
		if (uaddr_family == 2) {
			struct sockaddr_in sin = {};
			bpf_probe_read_user(&sin, sizeof(sin), uaddr);
			rport = bpf_ntohs(sin.sin_port);
			__builtin_memcpy(&s->h.addr[remote][0], &sin.sin_addr.s_addr, 4);
		} else {
			bpf_core_read(&s->h.addr[remote][0], 4, &sk->__sk_common.skc_daddr);
		}
	} else if (family == 10) {
		bpf_core_read(&s->h.addr[local][0], 16, &sk->__sk_common.skc_v6_rcv_saddr);
		if (uaddr_family == 10) {
			struct sockaddr_in6 sin6 = {};
			bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
			rport = bpf_ntohs(sin6.sin6_port);
			__builtin_memcpy(&s->h.addr[remote][0], &sin6.sin6_addr, 16);
		} else {
			bpf_core_read(&s->h.addr[remote][0], 16, &sk->__sk_common.skc_v6_daddr);
		}
	}
	s->h.ints[inbound ? 5 : 4] = rport;
}

/* The msg_name of a user msghdr (NULL when it has none). */
static __always_inline const void *msg_name(__u64 msg)
{
	void *name = NULL;
	if (msg)
		bpf_probe_read_user(&name, sizeof(name), &((struct user_msghdr *)msg)->msg_name);
	return name;
}

/* sendto(fd, buff, len, flags, addr, addr_len) */
ENTER_DGRAM(sendto, SENDTO, 5)
EXIT(sendto, SENDTO)
{
	dgram_fill(s, (int)a->a[0], a->a[2], (const void *)a->a[4], false);
}
/* sendmsg(fd, msg, flags): the size is what was sent */
ENTER_DGRAM(sendmsg, SENDMSG, 2)
EXIT(sendmsg, SENDMSG)
{
	dgram_fill(s, (int)a->a[0], ret > 0 ? ret : 0, msg_name(a->a[1]), false);
}
/* recvfrom(fd, ubuf, size, flags, addr, addr_len): the source address is filled in by now */
ENTER_DGRAM(recvfrom, RECVFROM, 5)
EXIT(recvfrom, RECVFROM)
{
	dgram_fill(s, (int)a->a[0], a->a[2], ret >= 0 ? (const void *)a->a[4] : NULL, true);
}
ENTER_DGRAM(recvmsg, RECVMSG, 2)
EXIT(recvmsg, RECVMSG)
{
	dgram_fill(s, (int)a->a[0], ret > 0 ? ret : 0, ret >= 0 ? msg_name(a->a[1]) : NULL, true);
}

/* ---- process exit: the leader's exit is the event; every thread's exit clears its state ---- */
SEC("tracepoint/sched/sched_process_exit")
int sched_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	bpf_map_delete_elem(&pending, &tid);
	if (pid != tid)
		return 0;
	/* Exec state is per process: only the leader's exit clears it (the other threads of a
	 * process that execs are killed while the exec is still under way). */
	bpf_map_delete_elem(&pending_exec, &pid);
	if (excluded(pid))
		return 0;
	struct scratch *s = begin(PG_T_PROCEXIT, 0);
	if (!s)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	s->h.ints[0] = BPF_CORE_READ(task, exit_code);
	emit(s, 0);
	return 0;
}
