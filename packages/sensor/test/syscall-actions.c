// SPDX-License-Identifier: Apache-2.0
/*
 * syscall-actions: makes the syscalls the sensor's kernel tests look for, one action per run, in
 * the spirit of Falco's event-generator (falcosecurity/event-generator, `syscall` actions). Each
 * action prints what the test needs to find its events (fds, ports) on stdout, one `key=value`
 * line each, and exits 0 when the syscalls did what was asked.
 *
 *   syscall-actions setns | unshare | userfaultfd-nobody | bpf-prog-load | kill-child |
 *                   prctl-set-name | udp PORT | listen | memfd-exec
 *
 * Built by the tests with the system C compiler (`cc`); it needs nothing beyond libc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static int fail(const char *what)
{
	fprintf(stderr, "syscall-actions: %s: %s\n", what, strerror(errno));
	return 1;
}

/* setns(2) into the network namespace the process is already in (allowed to root). */
static int do_setns(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open /proc/self/ns/net");
	printf("fd=%d\n", fd);
	if (setns(fd, CLONE_NEWNET) != 0)
		return fail("setns");
	return 0;
}

static int do_unshare(void)
{
	if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0)
		return fail("unshare");
	return 0;
}

/* userfaultfd(2) as an unprivileged user (nobody), as the upstream sandbox rule looks for. */
static int do_userfaultfd_nobody(void)
{
	if (setgid(65534) != 0 || setuid(65534) != 0)
		return fail("drop to nobody");
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return fail("userfaultfd");
	printf("fd=%ld\n", fd);
	return 0;
}

/* bpf(BPF_PROG_LOAD) of the smallest socket filter: r0 = 0; exit. */
static int do_bpf_prog_load(void)
{
	struct bpf_insn insns[2];
	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].dst_reg = BPF_REG_0;
	insns[1].code = BPF_JMP | BPF_EXIT;
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return fail("bpf(BPF_PROG_LOAD)");
	printf("fd=%ld\n", fd);
	return 0;
}

static int do_kill_child(void)
{
	pid_t child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0) {
		pause();
		_exit(0);
	}
	printf("child=%d\n", child);
	fflush(stdout);
	if (kill(child, SIGKILL) != 0)
		return fail("kill");
	waitpid(child, NULL, 0);
	return 0;
}

static int do_prctl_set_name(void)
{
	if (prctl(PR_SET_NAME, "pg-renamed", 0, 0, 0) != 0)
		return fail("prctl(PR_SET_NAME)");
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0)
		return fail("prctl(PR_SET_PDEATHSIG)");
	return 0;
}

/*
 * UDP on the loopback: an unconnected client sends to a server with sendto and sendmsg, the
 * server receives with recvfrom and recvmsg (the datagrams the upstream outbound/inbound macros
 * are about); then a TCP exchange on the same loopback (sendto/recvfrom on TCP are not reported).
 */
static int do_udp(int port)
{
	int server = socket(AF_INET, SOCK_DGRAM, 0);
	int client = socket(AF_INET, SOCK_DGRAM, 0);
	if (server < 0 || client < 0)
		return fail("socket");
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(server, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return fail("bind");
	printf("server=%d\nclient=%d\n", server, client);
	fflush(stdout);
	if (sendto(client, "ping", 4, 0, (struct sockaddr *)&addr, sizeof(addr)) != 4)
		return fail("sendto");
	char buf[16];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	if (recvfrom(server, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen) != 4)
		return fail("recvfrom");
	struct iovec iov = {.iov_base = "hello", .iov_len = 5};
	struct msghdr msg = {.msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1};
	if (sendmsg(client, &msg, 0) != 5)
		return fail("sendmsg");
	struct iovec riov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr rmsg = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &riov, .msg_iovlen = 1};
	if (recvmsg(server, &rmsg, 0) != 5)
		return fail("recvmsg");

	int lsock = socket(AF_INET, SOCK_STREAM, 0);
	int csock = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in taddr = addr;
	if (lsock < 0 || csock < 0 || bind(lsock, (struct sockaddr *)&taddr, sizeof(taddr)) != 0 ||
	    listen(lsock, 1) != 0 || connect(csock, (struct sockaddr *)&taddr, sizeof(taddr)) != 0)
		return fail("tcp");
	int conn = accept(lsock, NULL, NULL);
	if (conn < 0 || sendto(csock, "tcp!", 4, 0, NULL, 0) != 4 || recvfrom(conn, buf, sizeof(buf), 0, NULL, NULL) != 4)
		return fail("tcp exchange");
	printf("tcp=%d\n", csock);
	return 0;
}

/* listen(2) on an IPv4 TCP socket bound to the loopback. */
static int do_listen(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return fail("bind");
	socklen_t len = sizeof(addr);
	getsockname(fd, (struct sockaddr *)&addr, &len);
	printf("fd=%d\nport=%d\n", fd, ntohs(addr.sin_port));
	fflush(stdout);
	if (listen(fd, 7) != 0)
		return fail("listen");
	return 0;
}

/*
 * Fileless execution: /bin/true copied into a memfd and run from it with fexecve (execveat with
 * AT_EMPTY_PATH). The new image exits at once, before anyone could read its /proc/PID/exe.
 */
static int do_memfd_exec(void)
{
	int src = open("/bin/true", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return fail("open /bin/true");
	int mfd = (int)syscall(SYS_memfd_create, "pg-fileless", 0);
	if (mfd < 0)
		return fail("memfd_create");
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return fail("write memfd");
	printf("pid=%d\n", getpid());
	fflush(stdout);
	char *argv[] = {"pg-fileless", NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	fexecve(mfd, argv, envp);
	return fail("fexecve");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *action = argc > 1 ? argv[1] : "";
	if (strcmp(action, "setns") == 0)
		return do_setns();
	if (strcmp(action, "unshare") == 0)
		return do_unshare();
	if (strcmp(action, "userfaultfd-nobody") == 0)
		return do_userfaultfd_nobody();
	if (strcmp(action, "bpf-prog-load") == 0)
		return do_bpf_prog_load();
	if (strcmp(action, "kill-child") == 0)
		return do_kill_child();
	if (strcmp(action, "prctl-set-name") == 0)
		return do_prctl_set_name();
	if (strcmp(action, "udp") == 0 && argc > 2)
		return do_udp(atoi(argv[2]));
	if (strcmp(action, "listen") == 0)
		return do_listen();
	if (strcmp(action, "memfd-exec") == 0)
		return do_memfd_exec();
	fprintf(stderr, "usage: syscall-actions ACTION (see the comment at the top of the source)\n");
	return 2;
}
