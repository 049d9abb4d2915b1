// SPDX-License-Identifier: Apache-2.0
/*
 * hostile - a process an attacker would craft, for test_hostile.sh.
 *   hostile [--comm] [--argv-kib N] [--storm SECONDS] PATH...
 * --comm sets its comm to 15 non-printable bytes (ESC, BEL, BS, DEL, C0
 * controls, invalid UTF-8); --argv-kib N re-executes itself with an extra
 * N KiB of argv first; then it opens each PATH once with openat (O_RDONLY),
 * or, with --storm, opens PATH[0] in a loop for that long. Prints
 * {"pid":P,"opens":N} and exits 0, or a reason on stderr and exits 1.
 * Never reads the file.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static const char hostile_comm[16] = "\x1b\x9b\x07\x08\x7f\x01\x02\x03\xff\xfe\x0d\x0a\x09\x1f\x80";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Re-exec with "--padded" and N KiB of filler arguments before the rest. */
static void reexec_padded(int argc, char **argv, int kib)
{
	char **nargv = calloc((size_t)argc + (size_t)kib + 2, sizeof(*nargv));
	char *fill = malloc(1024);
	int o = 0;

	if (!nargv || !fill) {
		fprintf(stderr, "hostile: out of memory\n");
		exit(1);
	}
	memset(fill, 'A', 1023);
	fill[1023] = '\0';
	nargv[o++] = argv[0];
	nargv[o++] = "--padded";
	for (int i = 0; i < kib; i++)
		nargv[o++] = fill;
	for (int i = 1; i < argc; i++)
		nargv[o++] = argv[i];
	nargv[o] = NULL;
	execv("/proc/self/exe", nargv);
	fprintf(stderr, "hostile: execv: %s\n", strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	double storm = 0;
	long opens = 0;
	int i = 1, kib = 0;
	bool comm = false, padded = false;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--comm")) {
			comm = true;
		} else if (!strcmp(argv[i], "--padded")) {
			padded = true;
			/* skip the filler */
			while (i + 1 < argc && argv[i + 1][0] == 'A')
				i++;
		} else if (!strcmp(argv[i], "--argv-kib") && i + 1 < argc) {
			kib = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--storm") && i + 1 < argc) {
			storm = atof(argv[++i]);
		} else {
			fprintf(stderr, "hostile: unknown option %s\n", argv[i]);
			return 1;
		}
	}
	if (kib && !padded)
		reexec_padded(argc, argv, kib);
	if (i >= argc) {
		fprintf(stderr, "usage: hostile [--comm] [--argv-kib N] [--storm S] PATH...\n");
		return 1;
	}
	if (comm && prctl(PR_SET_NAME, hostile_comm, 0, 0, 0)) {
		fprintf(stderr, "hostile: prctl(PR_SET_NAME): %s\n", strerror(errno));
		return 1;
	}
	if (storm > 0) {
		double end = now_s() + storm;

		while (now_s() < end) {
			for (int k = 0; k < 256; k++) {
				int fd = openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC);

				if (fd < 0) {
					fprintf(stderr, "hostile: %s: %s\n", argv[i], strerror(errno));
					return 1;
				}
				close(fd);
				opens++;
			}
		}
	} else {
		for (; i < argc; i++) {
			int fd = openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				fprintf(stderr, "hostile: open #%d: %s\n", i, strerror(errno));
				return 1;
			}
			close(fd);
			opens++;
		}
	}
	printf("{\"pid\":%d,\"opens\":%ld}\n", getpid(), opens);
	return 0;
}
