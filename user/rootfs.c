// SPDX-License-Identifier: Apache-2.0
/* rootfs.c - another process's root directory, found among our own mounts rather than by ptrace. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "rootfs.h"

/* What we use of one mountinfo line: the device and the mount point, unescaped. */
struct mount_line {
	uint32_t maj, min;
	char mountpoint[PATH_MAX];
};

/* Copy a field [s, e) undoing the kernel's \ooo escapes; -ENAMETOOLONG. */
static int unescape(const char *s, const char *e, char *out, size_t size)
{
	size_t o = 0;

	while (s < e) {
		char c = *s++;

		if (c == '\\' && e - s >= 3 && s[0] >= '0' && s[0] <= '3' &&
		    s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7') {
			c = (char)((s[0] - '0') << 6 | (s[1] - '0') << 3 | (s[2] - '0'));
			s += 3;
		}
		if (!c || o + 1 >= size)
			return -ENAMETOOLONG;	/* a NUL never comes from the kernel */
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Parse [line, end): 0, or -EINVAL for a line that is not a mount. */
static int parse_line(const char *line, const char *end, struct mount_line *m)
{
	const char *f[6];
	const char *p = line;
	int n = 0;
	unsigned maj, min;
	char majmin[32];

	/* the start of fields 0..5 */
	while (n < 6 && p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		f[n++] = p;
		while (p < end && *p != ' ')
			p++;
	}
	if (n < 6)
		return -EINVAL;
	if ((size_t)(f[3] - f[2]) > sizeof(majmin))
		return -EINVAL;
	memcpy(majmin, f[2], (size_t)(f[3] - f[2] - 1));
	majmin[f[3] - f[2] - 1] = '\0';
	if (sscanf(majmin, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	m->maj = maj;
	m->min = min;
	/* fields end one byte before the next one starts (single spaces) */
	if (unescape(f[4], f[5] - 1, m->mountpoint, sizeof(m->mountpoint)))
		return -EINVAL;
	return 0;
}

/* The skip-th line of device major:minor, parsed into *m: 0 or -ENOENT. */
static int nth_mount(const char *text, size_t len, uint32_t maj, uint32_t min,
		     unsigned skip, struct mount_line *m)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (!parse_line(p, le, m) && m->maj == maj && m->min == min && !skip--)
			return 0;
		p = le + 1;
	}
	return -ENOENT;
}

int rootfs_mount_of(const char *mountinfo, size_t len, uint32_t maj, uint32_t min,
		    unsigned skip, char *path, size_t path_size)
{
	struct mount_line *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	err = nth_mount(mountinfo, len, maj, min, skip, m);
	if (!err && strlen(m->mountpoint) >= path_size)
		err = -ENAMETOOLONG;
	if (!err)
		memcpy(path, m->mountpoint, strlen(m->mountpoint) + 1);
	free(m);
	return err;
}

static bool is_dir(int fd, dev_t dev, uint64_t ino)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISDIR(st.st_mode) && st.st_dev == dev && st.st_ino == ino;
}

/* Our own mounts of that device whose mount point is that inode. */
static int open_by_mount(dev_t dev, uint64_t ino)
{
	char *mi, *path;
	size_t len;
	int fd = -ENOENT, err;

	mi = read_file_alloc("/proc/self/mountinfo", ROOTFS_MOUNTINFO_MAX, &len);
	if (!mi)
		return -errno;
	path = malloc(PATH_MAX);
	if (!path) {
		free(mi);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < ROOTFS_CANDIDATES_MAX; i++) {
		err = rootfs_mount_of(mi, len, major(dev), minor(dev), i, path, PATH_MAX);
		if (err == -ENAMETOOLONG)
			continue;
		if (err)
			break;
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && is_dir(fd, dev, ino))
			break;
		if (fd >= 0)
			close(fd);
		fd = -ENOENT;
	}
	free(path);
	free(mi);
	return fd;
}

int rootfs_open(const char *proc, uint32_t pid, dev_t dev, uint64_t ino)
{
	char path[PATH_MAX + 32];
	int fd;

	if (dev || ino) {
		fd = open_by_mount(dev, ino);
		if (fd >= 0)
			return fd;
	}
	snprintf(path, sizeof(path), "%s/%u/root", proc, pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM || errno == ESRCH ? -ENOENT : -errno;
	/* a reused pid, or a process that has chrooted since, is someone else's root */
	if ((dev || ino) && !is_dir(fd, dev, ino)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}
