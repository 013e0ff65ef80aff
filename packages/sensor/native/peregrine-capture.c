// SPDX-License-Identifier: Apache-2.0
/*
 * peregrine-capture: loads capture.bpf.c, attaches the probes of the event types asked for, and
 * copies the ring buffer's records (capture.h) to stdout in large writes.
 *
 *   peregrine-capture --types openat,execve,... [--exclude-pid PID] [--ring-bytes N]
 *                     [--flush-ms N]
 *   peregrine-capture --layout      # the record table the sensor decodes with
 *
 * In-band records: READY once every probe is attached; LOST with the number of events the ring
 * buffer could not take since the previous report. Exits 0 on SIGINT/SIGTERM or when stdout
 * closes, 1 when loading or attaching fails (the message on stderr), and with its parent
 * (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <pthread.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "capture.skel.h"

static const char *const TYPE_NAMES[] = {
	"",
#define PG_X(code, name, ints, strs) #name,
	PG_TYPE_LIST(PG_X)
#undef PG_X
};
static const char *const TYPE_INTS[] = {
	"",
#define PG_X(code, name, ints, strs) ints,
	PG_TYPE_LIST(PG_X)
#undef PG_X
};
static const char *const TYPE_STRS[] = {
	"",
#define PG_X(code, name, ints, strs) strs,
	PG_TYPE_LIST(PG_X)
#undef PG_X
};

static volatile sig_atomic_t stopping;
static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Output buffer: records are appended and written out in large writes. */
#define OUT_CAP (1 << 20)
static unsigned char out[OUT_CAP];
static size_t out_len;
static bool out_broken;

static void flush_out(void)
{
	size_t done = 0;
	while (done < out_len && !out_broken) {
		ssize_t n = write(STDOUT_FILENO, out + done, out_len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			out_broken = true; /* EPIPE: the sensor is gone */
			break;
		}
		done += (size_t)n;
	}
	out_len = 0;
}

static void append(const void *data, size_t size)
{
	if (out_len + size > OUT_CAP)
		flush_out();
	memcpy(out + out_len, data, size);
	out_len += size;
}

static void control(__u16 type, __s64 value)
{
	struct pg_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.size = sizeof(ev);
	ev.magic = PG_MAGIC;
	ev.type = type;
	ev.pid = (__u32)getpid();
	ev.tid = ev.pid;
	ev.ints[0] = value;
	append(&ev, sizeof(ev));
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	append(data, size);
	return 0;
}

/* Detaching a tracepoint waits for an RCU grace period: detach from several threads at once. */
#define MAX_LINKS 128
#define DETACH_THREADS 16
static struct bpf_link *links[MAX_LINKS];
static int nlinks;

static void *detach_some(void *arg)
{
	for (int i = (int)(long)arg; i < nlinks; i += DETACH_THREADS)
		bpf_link__destroy(links[i]);
	return NULL;
}

static void detach_all(void)
{
	pthread_t threads[DETACH_THREADS];
	int started = 0;
	for (long t = 0; t < DETACH_THREADS; t++)
		if (pthread_create(&threads[started], NULL, detach_some, (void *)t) == 0)
			started++;
		else
			detach_some((void *)t);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	nlinks = 0;
}

static int type_code(const char *name, size_t len)
{
	for (int code = 1; code < PG_T_COUNT; code++)
		if (strlen(TYPE_NAMES[code]) == len && strncmp(TYPE_NAMES[code], name, len) == 0)
			return code;
	return 0;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: peregrine-capture --types T1,T2,... [--exclude-pid PID] [--ring-bytes N] "
		"[--flush-ms N]\n       peregrine-capture --layout\n");
}

int main(int argc, char **argv)
{
	bool wanted[PG_T_COUNT] = {false};
	bool any = false;
	__u32 exclude = 0;
	unsigned long long ring_bytes = 16ULL << 20;
	int flush_ms = 20;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(arg, "--layout") == 0) {
			for (int code = 1; code < PG_T_COUNT; code++)
				printf("%d %s|%s|%s\n", code, TYPE_NAMES[code], TYPE_INTS[code],
				       TYPE_STRS[code]);
			return 0;
		} else if (strcmp(arg, "--types") == 0 && value) {
			for (const char *p = value; *p;) {
				const char *end = strchr(p, ',');
				size_t len = end ? (size_t)(end - p) : strlen(p);
				int code = type_code(p, len);
				if (!code) {
					fprintf(stderr, "peregrine-capture: unknown type %.*s\n", (int)len, p);
					return 2;
				}
				wanted[code] = true;
				any = true;
				p += len + (end ? 1 : 0);
			}
			i++;
		} else if (strcmp(arg, "--exclude-pid") == 0 && value) {
			exclude = (__u32)strtoul(value, NULL, 10);
			i++;
		} else if (strcmp(arg, "--ring-bytes") == 0 && value) {
			ring_bytes = strtoull(value, NULL, 10);
			i++;
		} else if (strcmp(arg, "--flush-ms") == 0 && value) {
			flush_ms = atoi(value);
			i++;
		} else {
			usage();
			return 2;
		}
	}
	if (!any) {
		usage();
		return 2;
	}
	/* The ring's size must be a power of two and a multiple of the page size. */
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
	unsigned long long size = page;
	while (size < ring_bytes && size < (1ULL << 31))
		size <<= 1;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* A bigger pipe lets each write carry more records (best effort). */
	fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
	libbpf_set_print(quiet_print);

	struct capture_bpf *skel = capture_bpf__open();
	if (!skel) {
		fprintf(stderr, "peregrine-capture: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->excl_pid0 = (__u32)getpid();
	skel->rodata->excl_pid1 = exclude;
	skel->rodata->wakeup_bytes = size / 4 < (1 << 18) ? size / 4 : (1 << 18);
	bpf_map__set_max_entries(skel->maps.rb, (__u32)size);

	/* In-kernel filter: programs of event types not asked for are not loaded at all. */
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *name = bpf_program__name(prog);
		const char *type = strncmp(name, "enter_", 6) == 0  ? name + 6
				   : strncmp(name, "exit_", 5) == 0 ? name + 5
								    : NULL;
		if (type && !wanted[type_code(type, strlen(type))])
			bpf_program__set_autoload(prog, false);
	}
	int err = capture_bpf__load(skel);
	if (err) {
		fprintf(stderr, "peregrine-capture: cannot load the BPF programs: %s\n",
			strerror(-err));
		capture_bpf__destroy(skel);
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		struct bpf_link *link = bpf_program__attach(prog);
		if (!link) {
			fprintf(stderr, "peregrine-capture: cannot attach %s: %s\n",
				bpf_program__name(prog), strerror(errno));
			detach_all();
			capture_bpf__destroy(skel);
			return 1;
		}
		if (nlinks < MAX_LINKS)
			links[nlinks++] = link;
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "peregrine-capture: cannot open the ring buffer: %s\n",
			strerror(errno));
		capture_bpf__destroy(skel);
		return 1;
	}

	int ncpu = libbpf_num_possible_cpus();
	__u64 *per_cpu = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(__u64));
	__u64 lost_reported = 0;
	int lost_fd = bpf_map__fd(skel->maps.lost);

	control(PG_T_READY, 0);
	flush_out();
	while (!stopping && !out_broken) {
		/* Wakes early only when the ring holds wakeup_bytes; otherwise drains every flush_ms. */
		err = ring_buffer__poll(rb, flush_ms);
		if (err < 0 && err != -EINTR)
			break;
		ring_buffer__consume(rb);
		__u32 zero = 0;
		if (per_cpu && bpf_map_lookup_elem(lost_fd, &zero, per_cpu) == 0) {
			__u64 total = 0;
			for (int c = 0; c < ncpu; c++)
				total += per_cpu[c];
			if (total > lost_reported) {
				control(PG_T_LOST, (__s64)(total - lost_reported));
				lost_reported = total;
			}
		}
		flush_out();
	}
	if (!out_broken) {
		ring_buffer__consume(rb);
		flush_out();
	}
	/* The sensor sees the end of the stream now; detaching takes a moment more. */
	close(STDOUT_FILENO);
	detach_all();
	ring_buffer__free(rb);
	capture_bpf__destroy(skel);
	free(per_cpu);
	return 0;
}
