// SPDX-License-Identifier: Apache-2.0
/*
 * flooder - the floods of the red-team tests (tests/redteam/): what an
 * attacker in a pod does to bury a credential read in noise.
 *   flooder loop SECONDS PATH      open PATH (openat O_RDONLY) and close it, in
 *                                  a tight loop, for SECONDS
 *   flooder forks SECONDS PATH [K] a fork storm for SECONDS: K forkers (default
 *                                  2) keep up to 32 children each in flight;
 *                                  every child opens PATH once and exits, so
 *                                  every open comes from a fresh pid
 *   flooder repeat N PATH          open PATH exactly N times in this process
 * Prints {"pid":P,"opens":N,"forks":F} (opens that succeeded; forks: the
 * children made) and exits 0, or a reason on stderr and exits 1. Never
 * reads the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IN_FLIGHT 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_once(const char *path)
{
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int loop(double secs, const char *path, unsigned long *opens)
{
	double end = now_s() + secs;

	for (;;) {
		for (int i = 0; i < 256; i++) {
			int err = open_once(path);

			if (err) {
				fprintf(stderr, "flooder: %s: %s\n", path, strerror(-err));
				return 1;
			}
			(*opens)++;
		}
		if (now_s() >= end)
			return 0;
	}
}

/* One forker: children open once and exit 0 (opened) or 1. */
static void forker(double end, const char *path, unsigned long *opens, unsigned long *forks)
{
	int running = 0, st;

	while (now_s() < end || running) {
		if (running < IN_FLIGHT && now_s() < end) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(open_once(path) ? 1 : 0);
			if (pid > 0) {
				running++;
				(*forks)++;
				continue;
			}
			if (errno != EAGAIN)
				break;
		}
		if (wait(&st) > 0) {
			running--;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				(*opens)++;
		} else if (errno == ECHILD) {
			running = 0;
		}
	}
	while (wait(&st) > 0)
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			(*opens)++;
}

static int forks(double secs, const char *path, int k, unsigned long *opens,
		 unsigned long *forks_made)
{
	unsigned long *counts = mmap(NULL, 2 * (size_t)k * sizeof(*counts), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double end = now_s() + secs;
	int st, failed = 0;

	if (counts == MAP_FAILED) {
		perror("flooder: mmap");
		return 1;
	}
	for (int i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("flooder: fork");
			return 1;
		}
		if (pid == 0) {
			forker(end, path, &counts[2 * i], &counts[2 * i + 1]);
			_exit(0);
		}
	}
	while (wait(&st) > 0)
		failed |= !WIFEXITED(st) || WEXITSTATUS(st);
	for (int i = 0; i < k; i++) {
		*opens += counts[2 * i];
		*forks_made += counts[2 * i + 1];
	}
	return failed;
}

int main(int argc, char **argv)
{
	unsigned long opens = 0, made = 0;
	int ret;

	if (argc >= 4 && !strcmp(argv[1], "loop")) {
		ret = loop(atof(argv[2]), argv[3], &opens);
	} else if (argc >= 4 && !strcmp(argv[1], "forks")) {
		ret = forks(atof(argv[2]), argv[3], argc > 4 ? atoi(argv[4]) : 2, &opens, &made);
	} else if (argc >= 4 && !strcmp(argv[1], "repeat")) {
		unsigned long n = strtoul(argv[2], NULL, 10);

		ret = 0;
		for (unsigned long i = 0; i < n; i++) {
			int err = open_once(argv[3]);

			if (err) {
				fprintf(stderr, "flooder: %s: %s\n", argv[3], strerror(-err));
				ret = 1;
				break;
			}
			opens++;
		}
	} else {
		fprintf(stderr, "usage: flooder loop SECONDS PATH | forks SECONDS PATH [K] | "
			"repeat N PATH\n");
		return 2;
	}
	printf("{\"pid\":%d,\"opens\":%lu,\"forks\":%lu}\n", (int)getpid(), opens, made);
	return ret;
}
