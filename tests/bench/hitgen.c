// SPDX-License-Identifier: Apache-2.0
/*
 * hitgen - the hit-path load: K processes open watched files as fast as
 * they can for T seconds.
 *   hitgen [-r OPENS_PER_S] K SECONDS PATH...
 * Each child opens the PATHs round robin (openat + close); every open that
 * succeeds is counted. With -r the K children together offer at most
 * OPENS_PER_S (each paces itself to OPENS_PER_S / K against the clock, in
 * batches of 64 opens, sleeping when ahead); without it they go flat out.
 * Prints one JSON line:
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

#define PACE_BATCH 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void child(int idx, double secs, double rate, char **paths, int npaths,
		  unsigned long *count)
{
	unsigned long n = 0;
	double start, end;
	int p = 0;

	if (getenv("BENCH_PIN")) {
		cpu_set_t set;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		CPU_ZERO(&set);
		CPU_SET(idx % (ncpu > 0 ? ncpu : 1), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	start = now_s();
	end = start + secs;
	for (;;) {
		/*
		 * Flat out: check the clock every 1024 opens (keeps the loop
		 * tight). Paced: every PACE_BATCH opens, wait for the time the
		 * next batch is due, so the rate holds on average and a late
		 * batch catches up without ever exceeding it over the run.
		 */
		int batch = rate > 0 ? PACE_BATCH : 1024;

		if (rate > 0) {
			double due = start + (double)n / rate;

			if (due >= end)
				break;
			if (due > now_s())
				sleep_until(due);
		}
		for (int i = 0; i < batch; i++) {
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
	double secs, t0, t1, rate = 0;
	int k, failed = 0;

	if (argc > 2 && !strcmp(argv[1], "-r")) {
		rate = atof(argv[2]);
		if (rate <= 0) {
			fprintf(stderr, "hitgen: -r needs a positive opens/s\n");
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: hitgen [-r OPENS_PER_S] K SECONDS PATH...\n");
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
			child(i, secs, rate / k, argv + 3, argc - 3, &counts[i]);
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
