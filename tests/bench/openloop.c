// SPDX-License-Identifier: Apache-2.0
/*
 * openloop - the miss-path load: a tight openat+close loop, pinned to one CPU.
 *   openloop [-b BURSTS] CPU N PATH        open PATH N times
 *   openloop [-b BURSTS] CPU N -d DIR M    open DIR/f0 .. DIR/f<M-1> round robin
 *                                          (M distinct inodes: caches and the
 *                                          kernel's lookups see many keys)
 * The N pairs run as BURSTS back-to-back bursts (default 1) after a warm-up
 * of N/10 pairs; prints the fastest burst's ns per openat+close pair
 * (CLOCK_MONOTONIC). Noise on a shared machine only ever adds time, so the
 * fastest burst is the one least disturbed. Exits 1 with a reason on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: openloop [-b BURSTS] CPU N PATH | openloop [-b BURSTS] CPU N -d DIR M\n");
	return 2;
}

static int run(char **paths, long npaths, long n)
{
	for (long i = 0, p = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, paths[p], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "openloop: %s: %s\n", paths[p], strerror(errno));
			return -1;
		}
		close(fd);
		if (++p == npaths)
			p = 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char **paths, *one[1];
	long npaths = 1, n, bursts = 1, per;
	double best = 0;
	cpu_set_t set;
	int cpu;

	if (argc > 2 && !strcmp(argv[1], "-b")) {
		bursts = atol(argv[2]);
		argc -= 2;
		argv += 2;
		if (bursts <= 0)
			return usage();
	}
	if (argc != 4 && argc != 6)
		return usage();
	cpu = atoi(argv[1]);
	n = atol(argv[2]);
	if (n <= 0)
		return usage();
	if (argc == 6) {
		if (strcmp(argv[3], "-d"))
			return usage();
		npaths = atol(argv[5]);
		if (npaths <= 0)
			return usage();
		paths = calloc((size_t)npaths, sizeof(*paths));
		if (!paths)
			return 1;
		for (long i = 0; i < npaths; i++)
			if (asprintf(&paths[i], "%s/f%ld", argv[4], i) < 0)
				return 1;
	} else {
		one[0] = argv[3];
		paths = one;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "openloop: pin to CPU %d: %s\n", cpu, strerror(errno));
		return 1;
	}
	if (run(paths, npaths, n / 10 + 1))
		return 1;
	per = n / bursts > 0 ? n / bursts : 1;
	for (long b = 0; b < bursts; b++) {
		double t0 = now_ns(), ns;

		if (run(paths, npaths, per))
			return 1;
		ns = (now_ns() - t0) / per;
		if (b == 0 || ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}
