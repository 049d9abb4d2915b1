// SPDX-License-Identifier: Apache-2.0
/* passwd.c - safe uid -> name lookups in possibly hostile /etc/passwd files. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "passwd.h"

static bool parse_uid(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (!n || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int passwd_parse(const char *buf, size_t len, uint32_t uid, char *name, size_t size)
{
	const char *end = buf + len, *line = buf;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end, *c1, *c2, *c3;
		uint32_t u;
		size_t nn;
		bool ok = true;

		c1 = memchr(line, ':', (size_t)(le - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		c3 = c2 ? memchr(c2 + 1, ':', (size_t)(le - c2 - 1)) : NULL;
		if (c3 && parse_uid(c2 + 1, (size_t)(c3 - c2 - 1), &u) && u == uid) {
			nn = (size_t)(c1 - line);
			for (size_t i = 0; i < nn; i++)
				if ((unsigned char)line[i] <= ' ' || line[i] == 0x7f)
					ok = false;
			if (ok && nn && nn < size && nn < PASSWD_NAME_MAX) {
				memcpy(name, line, nn);
				name[nn] = '\0';
				return 0;
			}
		}
		line = le + 1;
	}
	return -ENOENT;
}

/* Open etc/passwd below the directory rootfd: absolute symlinks and ".." stay in it. */
static int open_in_root(int rootfd)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	fd = (int)syscall(SYS_openat2, rootfd, "etc/passwd", &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)	/* kernels before 5.6: no symlink at the end */
		fd = openat(rootfd, "etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY |
			    O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int passwd_lookup(const char *root, uint32_t uid, char *name, size_t size)
{
	int dfd, err;

	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = passwd_lookup_at(dfd, uid, name, size);
	close(dfd);
	return err;
}

int passwd_lookup_at(int rootfd, uint32_t uid, char *name, size_t size)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	ssize_t n;
	int fd, err;

	fd = open_in_root(rootfd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	/* A FIFO or device would block or never end. */
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)PASSWD_MAX_BYTES) {
		err = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (used < (size_t)st.st_size &&
	       (n = read(fd, buf + used, (size_t)st.st_size - used)) > 0)
		used += (size_t)n;
	err = passwd_parse(buf, used, uid, name, size);
cleanup:
	free(buf);
	close(fd);
	return err;
}
