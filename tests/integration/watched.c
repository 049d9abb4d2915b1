// SPDX-License-Identifier: Apache-2.0
/*
 * watched - what the running agent's kernel map holds: the ground truth of
 * "is this credential watched", which no log line or metric can stand in for.
 *   watched PID count                  entries in the agent's "watched" map
 *   watched PID has [-t S] KEY...      wait until every KEY is in the map
 *   watched PID lacks [-t S] KEY...    wait until no KEY is in the map
 * KEY is a path (stat()ed, following links: the file an open would reach)
 * or ST_DEV:INO as `stat -L -c %d:%i` prints it (for a file already gone).
 * -t S: give up after S seconds (default 20), exit 1 naming the missing
 * keys. Polls every millisecond; never opens a credential. The map is found
 * through /proc/PID/fdinfo (tests/lib/agent_map.h, shared with
 * tests/bench/rotlat.c). Needs root.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "bpf/credwatch.h"
#include "tests/lib/agent_map.h"

#define MAX_KEYS	64

static long map_count(int fd)
{
	struct cw_inode_key k, next;
	union bpf_attr a = { 0 };
	long n = 0;

	a.map_fd = (uint32_t)fd;
	a.key = 0;		/* NULL: the first key */
	a.next_key = (uint64_t)(uintptr_t)&next;
	while (agent_map_bpf(BPF_MAP_GET_NEXT_KEY, &a) == 0) {
		n++;
		k = next;
		a.key = (uint64_t)(uintptr_t)&k;
	}
	return errno == ENOENT ? n : -errno;
}

static int parse_key(const char *arg, struct cw_inode_key *k)
{
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (sscanf(arg, "%llu:%llu%c", &dev, &ino, &tail) == 2) {
		st.st_dev = (dev_t)dev;
		st.st_ino = (ino_t)ino;
	} else if (stat(arg, &st)) {
		fprintf(stderr, "watched: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	agent_map_key(st.st_dev, st.st_ino, k);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct cw_inode_key keys[MAX_KEYS];
	double timeout = 20, t0;
	int fd, nkeys = 0, argi = 3;
	bool want;

	if (argc < 3)
		goto usage;
	fd = agent_map_watched(atoi(argv[1]));
	if (fd < 0) {
		fprintf(stderr, "watched: pid %s holds no credwatch 'watched' map\n", argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "count")) {
		long n = map_count(fd);

		if (n < 0) {
			fprintf(stderr, "watched: map walk: %s\n", strerror((int)-n));
			return 1;
		}
		printf("%ld\n", n);
		return 0;
	}
	if (strcmp(argv[2], "has") && strcmp(argv[2], "lacks"))
		goto usage;
	want = !strcmp(argv[2], "has");
	if (argi + 1 < argc && !strcmp(argv[argi], "-t")) {
		timeout = atof(argv[argi + 1]);
		argi += 2;
	}
	for (; argi < argc; argi++) {
		if (nkeys == MAX_KEYS || parse_key(argv[argi], &keys[nkeys]))
			return 1;
		nkeys++;
	}
	if (!nkeys)
		goto usage;
	t0 = now_s();
	for (;;) {
		int wrong = -1;

		for (int i = 0; i < nkeys && wrong < 0; i++)
			if (agent_map_has(fd, &keys[i]) != want)
				wrong = i;
		if (wrong < 0)
			return 0;
		if (now_s() - t0 > timeout) {
			fprintf(stderr, "watched: after %.0f s the map still %s %s\n", timeout,
				want ? "lacks" : "has", argv[argc - nkeys + wrong]);
			return 1;
		}
		usleep(1000);
	}
usage:
	fprintf(stderr, "usage: watched PID count | watched PID has|lacks [-t S] PATH|DEV:INO...\n");
	return 2;
}
