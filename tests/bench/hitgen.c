// SPDX-License-Identifier: Apache-2.0
/*
 * hitgen - the hit-path load: K processes open watched files as fast as
 * they can for T seconds.
 *   hitgen K SECONDS PATH...
 * Each child opens the PATHs round robin (openat + close); every open that
 * succeeds is counted. Prints one JSON line:
 *   {"opens":N,"seconds":S,"procs":K}
 * where seconds is the wall time from the first child's start to the last
 * child's end. Children are pinned to CPU (i % ncpus) when BENCH_PIN is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void child(int idx, double secs, char **paths, int npaths, unsigned long *count)
{
	unsigned long n = 0;
	double end;
	int p = 0;

	if (getenv("BENCH_PIN")) {
		cpu_set_t set;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		CPU_ZERO(&set);
		CPU_SET(idx % (ncpu > 0 ? ncpu : 1), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	end = now_s() + secs;
	for (;;) {
		/* check the clock every 1024 opens: keeps the loop tight */
		for (int i = 0; i < 1024; i++) {
			int fd = openat(AT_FDCWD, paths[p], O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				n++;
				close(fd);
			} else if (errno != EINTR) {
				fprintf(stderr, "hitgen: %s: %s\n", paths[p], strerror(errno));
				*count = n;
				_exit(1);
			}
			if (++p == npaths)
				p = 0;
		}
		if (now_s() >= end)
			break;
	}
	*count = n;
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long *counts, total = 0;
	double secs, t0, t1;
	int k, failed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: hitgen K SECONDS PATH...\n");
		return 2;
	}
	k = atoi(argv[1]);
	secs = atof(argv[2]);
	if (k <= 0 || secs <= 0) {
		fprintf(stderr, "hitgen: K and SECONDS must be positive\n");
		return 2;
	}
	counts = mmap(NULL, (size_t)k * sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		perror("hitgen: mmap");
		return 1;
	}
	t0 = now_s();
	for (int i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("hitgen: fork");
			return 1;
		}
		if (pid == 0)
			child(i, secs, argv + 3, argc - 3, &counts[i]);
	}
	for (int i = 0; i < k; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	t1 = now_s();
	for (int i = 0; i < k; i++)
		total += counts[i];
	printf("{\"opens\":%lu,\"seconds\":%.3f,\"procs\":%d}\n", total, t1 - t0, k);
	return failed;
}
