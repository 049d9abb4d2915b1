// SPDX-License-Identifier: Apache-2.0
/*
 * floor - the least any tracepoint sensor can cost: an empty BPF program
 * ("return 0", two instructions, no clang needed) attached to tracepoints.
 *   floor TRACEPOINT...      e.g. floor syscalls/sys_exit_openat
 * Prints "ready" on stdout once every program is attached, then waits for
 * SIGINT or SIGTERM. Needs root and tracefs.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long tracepoint_id(const char *tp)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	char path[512];
	long id = -1;

	for (int i = 0; i < 2 && id < 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/id", roots[i], tp);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
	}
	return id;
}

int main(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog;

	if (argc < 2) {
		fprintf(stderr, "usage: floor TRACEPOINT...\n");
		return 2;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "cw_floor", "GPL", insns, 2, NULL);
	if (prog < 0) {
		fprintf(stderr, "floor: loading the empty program: %s\n", strerror(-prog));
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr),
						.sample_period = 1, .wakeup_events = 1 };
		long id = tracepoint_id(argv[i]);
		int pfd;

		if (id < 0) {
			fprintf(stderr, "floor: %s: no such tracepoint (is tracefs mounted?)\n",
				argv[i]);
			return 1;
		}
		attr.config = (unsigned long)id;
		pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) ||
		    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
			fprintf(stderr, "floor: %s: attach: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	return 0;
}
