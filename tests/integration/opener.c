// SPDX-License-Identifier: Apache-2.0
/*
 * opener - opens a file one particular way, for the integration tests.
 *   opener MODE PATH
 * MODE: open openat openat2 creat trunc procfd handle uring uring2 dirat
 * (dirat: openat() of the last component relative to its directory's fd)
 * Prints {"pid":P,"dev":D,"ino":I,"fd":F} (st_dev encoding) and exits 0,
 * or a reason on stderr and exits 1. Never prints the file's content.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "opener: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int uring_open(const char *path, bool two)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	int fd, err;

	err = io_uring_queue_init(4, &ring, 0);
	if (err) {
		errno = -err;
		die("io_uring_queue_init");
	}
	sqe = io_uring_get_sqe(&ring);
	if (two)
		io_uring_prep_openat2(sqe, AT_FDCWD, path, &how);
	else
		io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	io_uring_submit(&ring);
	err = io_uring_wait_cqe(&ring, &cqe);
	if (err) {
		errno = -err;
		die("io_uring_wait_cqe");
	}
	fd = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (fd < 0) {
		errno = -fd;
		die("io_uring openat");
	}
	return fd;
}

static int handle_open(const char *path)
{
	struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
	char dir[4096], *slash;
	int mount_id, mfd, fd;

	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, AT_SYMLINK_FOLLOW))
		die("name_to_handle_at");
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	mfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		die("open mount dir");
	fd = open_by_handle_at(mfd, fh, O_RDONLY);
	if (fd < 0)
		die("open_by_handle_at");
	free(fh);
	return fd;
}

int main(int argc, char **argv)
{
	const char *mode, *path;
	struct stat st;
	int fd = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: opener MODE PATH\n");
		return 2;
	}
	mode = argv[1];
	path = argv[2];
	if (!strcmp(mode, "open")) {
#ifdef SYS_open
		fd = (int)syscall(SYS_open, path, O_RDONLY);
#else
		errno = ENOSYS;
#endif
	} else if (!strcmp(mode, "openat")) {
		fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	} else if (!strcmp(mode, "openat2")) {
		struct open_how how = { .flags = O_RDONLY };

		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	} else if (!strcmp(mode, "creat")) {
		fd = creat(path, 0600);
	} else if (!strcmp(mode, "trunc")) {
		fd = openat(AT_FDCWD, path, O_WRONLY | O_TRUNC);
	} else if (!strcmp(mode, "procfd")) {
		char link[64];
		int first = open(path, O_PATH);

		if (first < 0)
			die("open O_PATH");
		snprintf(link, sizeof(link), "/proc/self/fd/%d", first);
		fd = open(link, O_RDONLY);
	} else if (!strcmp(mode, "dirat")) {
		char dir[4096], *slash;
		int dfd;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (!slash || !slash[1]) {
			fprintf(stderr, "opener: dirat needs DIR/NAME\n");
			return 2;
		}
		*slash = '\0';
		dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			die("open dir");
		fd = openat(dfd, slash + 1, O_RDONLY | O_CLOEXEC);
	} else if (!strcmp(mode, "handle")) {
		fd = handle_open(path);
	} else if (!strcmp(mode, "uring")) {
		fd = uring_open(path, false);
	} else if (!strcmp(mode, "uring2")) {
		fd = uring_open(path, true);
	} else {
		fprintf(stderr, "opener: unknown mode %s\n", mode);
		return 2;
	}
	if (fd < 0)
		die(mode);
	if (fstat(fd, &st))
		die("fstat");
	printf("{\"pid\":%d,\"dev\":%llu,\"ino\":%llu,\"fd\":%d}\n", getpid(),
	       (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, fd);
	return 0;
}
