// SPDX-License-Identifier: Apache-2.0
/* fileio.c - small whole-file reads; durable file replacement; defaults next to the build. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

ssize_t read_file_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t used = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (used + 1 < size && (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	if (size)
		buf[used] = '\0';
	return (ssize_t)used;
}

char *read_file_alloc(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t used = 0, cap = 4096;
	char *buf = NULL, *nb;
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (used + 1 >= cap || !buf) {
			if (buf && cap > max) {
				err = EFBIG;
				break;
			}
			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			err = EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

static int replace_fail(struct file_replace *r, const char *op, int err)
{
	r->op = op;
	return err;
}

/* Six of [A-Za-z0-9] over the trailing XXXXXX, as mkstemp does. */
static void random_suffix(char *x)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[6];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, (int)getpid(), sizeof(rnd));	/* uniqueness is still O_EXCL's */
	for (int i = 0; i < 6; i++)
		x[i] = set[rnd[i] % (sizeof(set) - 1)];
}

int file_replace_open(struct file_replace *r, int dirfd, const char *name, const char *suffix,
		      mode_t mode)
{
	size_t slen = strlen(suffix);
	bool unique = slen >= 6 && !strcmp(suffix + slen - 6, "XXXXXX");
	int n, tries = 0;

	memset(r, 0, sizeof(*r));
	r->dirfd = dirfd;
	r->name = name;
	r->fd = -1;
	n = snprintf(r->tmp, sizeof(r->tmp), "%s%s", name, suffix);
	if (n < 0 || (size_t)n >= sizeof(r->tmp))
		return replace_fail(r, "create", -ENAMETOOLONG);
	if (!unique && unlinkat(dirfd, r->tmp, 0) && errno != ENOENT)
		return replace_fail(r, "unlink", -errno);
	do {
		if (unique)
			random_suffix(r->tmp + n - 6);
		r->fd = openat(dirfd, r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			       mode);
	} while (r->fd < 0 && errno == EEXIST && unique && ++tries < 100);
	if (r->fd < 0)
		return replace_fail(r, "create", -errno);
	/* the umask may have taken bits the caller asked for */
	if (fchmod(r->fd, mode)) {
		int err = -errno;

		file_replace_abort(r);
		return replace_fail(r, "chmod", err);
	}
	return 0;
}

FILE *file_replace_stream(struct file_replace *r)
{
	if (!r->stream && r->fd >= 0)
		r->stream = fdopen(r->fd, "w");
	return r->stream;
}

int file_replace_commit(struct file_replace *r)
{
	int err = 0, fd = r->fd;

	if (r->stream && fflush(r->stream))
		err = replace_fail(r, "write", -(errno ? errno : EIO));
	if (!err && fsync(fd))
		err = replace_fail(r, "fsync", -errno);
	if ((r->stream ? fclose(r->stream) : close(fd)) && !err)
		err = replace_fail(r, "close", -errno);
	r->stream = NULL;
	r->fd = -1;
	if (!err && renameat(r->dirfd, r->tmp, r->dirfd, r->name))
		err = replace_fail(r, "rename", -errno);
	if (err) {
		unlinkat(r->dirfd, r->tmp, 0);
		return err;
	}
	if (r->dirfd == AT_FDCWD) {
		const char *slash = strrchr(r->name, '/');
		char dir[PATH_MAX] = ".";
		int dfd;

		if (slash == r->name)
			snprintf(dir, sizeof(dir), "/");
		else if (slash)
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - r->name), r->name);
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return replace_fail(r, "fsync dir", -errno);
		if (fsync(dfd))
			err = replace_fail(r, "fsync dir", -errno);
		close(dfd);
		return err;
	}
	if (fsync(r->dirfd))
		return replace_fail(r, "fsync dir", -errno);
	return 0;
}

void file_replace_abort(struct file_replace *r)
{
	if (r->stream)
		fclose(r->stream);
	else if (r->fd >= 0)
		close(r->fd);
	if (r->fd >= 0)
		unlinkat(r->dirfd, r->tmp, 0);
	r->stream = NULL;
	r->fd = -1;
}

int path_near_binary(const char *rel, bool dir, char *out, size_t size)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t len;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	for (int up = 1; len > 0 && up <= 3; up++) {
		char *slash;

		exe[len] = '\0';
		slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		len = slash - exe;
		if (up == 1)		/* the binary's own directory is build/ itself */
			continue;
		snprintf(out, size, "%s/%s", exe, rel);
		if (dir ? !stat(out, &st) && S_ISDIR(st.st_mode) : !access(out, R_OK))
			return 0;
	}
	return -ENOENT;
}
