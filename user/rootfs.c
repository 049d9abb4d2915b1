// SPDX-License-Identifier: Apache-2.0
/* rootfs.c - another process's root filesystem, through mountinfo rather than ptrace. */
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

/* One mountinfo line's first five fields, root and mountpoint unescaped. */
struct mount_line {
	uint32_t major, minor;
	char root[PATH_MAX];
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
	m->major = maj;
	m->minor = min;
	/* fields end one byte before the next one starts (single spaces) */
	if (unescape(f[3], f[4] - 1, m->root, sizeof(m->root)) ||
	    unescape(f[4], f[5] - 1, m->mountpoint, sizeof(m->mountpoint)))
		return -EINVAL;
	return 0;
}

/* Calls fn for each parsed line until it returns non-zero; returns that. */
static int each_mount(const char *text, size_t len,
		      int (*fn)(const struct mount_line *m, void *ctx), void *ctx)
{
	const char *p = text, *end = text + len;
	struct mount_line *m = malloc(sizeof(*m));
	int ret = 0;

	if (!m)
		return -ENOMEM;
	while (p < end && !ret) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (!parse_line(p, le, m))
			ret = fn(m, ctx);
		p = le + 1;
	}
	free(m);
	return ret;
}

struct root_search {
	bool found;
	uint32_t major, minor;
	char *root;
	size_t root_size;
	int err;
};

static int on_root_mount(const struct mount_line *m, void *ctx)
{
	struct root_search *s = ctx;

	if (strcmp(m->mountpoint, "/"))
		return 0;
	/* keep going: a later mount on "/" hides the earlier ones */
	if (strlen(m->root) >= s->root_size) {
		s->err = -ENAMETOOLONG;
		return 0;
	}
	s->found = true;
	s->err = 0;
	s->major = m->major;
	s->minor = m->minor;
	snprintf(s->root, s->root_size, "%s", m->root);
	return 0;
}

int rootfs_root_mount(const char *mountinfo, size_t len, uint32_t *major, uint32_t *minor,
		      char *root, size_t root_size)
{
	struct root_search s = { .root = root, .root_size = root_size, .err = -ENOENT };
	int err;

	err = each_mount(mountinfo, len, on_root_mount, &s);
	if (err)
		return err;
	if (!s.found)
		return s.err;
	*major = s.major;
	*minor = s.minor;
	return 0;
}

struct dir_search {
	uint32_t major, minor;
	const char *root;
	unsigned skip;
	char *path;
	size_t path_size;
};

/* The part of root below mount_root, "" when equal; NULL when not inside. */
static const char *below(const char *root, const char *mount_root)
{
	size_t n = strlen(mount_root);

	if (!strcmp(mount_root, "/"))
		return strcmp(root, "/") ? root : "";
	if (strncmp(root, mount_root, n) || (root[n] && root[n] != '/'))
		return NULL;
	return root + n;
}

static int on_candidate(const struct mount_line *m, void *ctx)
{
	struct dir_search *s = ctx;
	const char *rest;
	int n;

	if (m->major != s->major || m->minor != s->minor)
		return 0;
	rest = below(s->root, m->root);
	if (!rest)
		return 0;
	if (s->skip) {
		s->skip--;
		return 0;
	}
	n = snprintf(s->path, s->path_size, "%s%s",
		     rest[0] && !strcmp(m->mountpoint, "/") ? "" : m->mountpoint, rest);
	return n < 0 || (size_t)n >= s->path_size ? -ENAMETOOLONG : 1;
}

int rootfs_find_mount(const char *mountinfo, size_t len, uint32_t major, uint32_t minor,
		      const char *root, unsigned skip, char *path, size_t path_size)
{
	struct dir_search s = { major, minor, root, skip, path, path_size };
	int ret = each_mount(mountinfo, len, on_candidate, &s);

	return ret == 1 ? 0 : ret < 0 ? ret : -ENOENT;
}

/* Candidates in our own namespace, first one on the right device wins. */
int rootfs_open_by_mountinfo(const char *proc, uint32_t pid)
{
	char path[PATH_MAX + 32], *theirs = NULL, *ours = NULL, *root = NULL, *dir = NULL;
	size_t tlen, olen;
	uint32_t maj = 0, min = 0;
	struct stat st;
	int fd = -ENOENT, err;

	snprintf(path, sizeof(path), "%s/%u/mountinfo", proc, pid);
	theirs = read_file_alloc(path, ROOTFS_MOUNTINFO_MAX, &tlen);
	if (!theirs)
		return -errno;
	ours = read_file_alloc("/proc/self/mountinfo", ROOTFS_MOUNTINFO_MAX, &olen);
	root = malloc(PATH_MAX);
	dir = malloc(PATH_MAX);
	if (!ours || !root || !dir) {
		fd = ours ? -ENOMEM : -errno;
		goto cleanup;
	}
	err = rootfs_root_mount(theirs, tlen, &maj, &min, root, PATH_MAX);
	if (err) {
		fd = err;
		goto cleanup;
	}
	for (unsigned i = 0; i < 64; i++) {
		err = rootfs_find_mount(ours, olen, maj, min, root, i, dir, PATH_MAX);
		if (err) {
			fd = err == -ENAMETOOLONG ? -ENOENT : err;
			break;
		}
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* the mount table said so; the inode must agree */
		if (!fstat(fd, &st) && major(st.st_dev) == maj && minor(st.st_dev) == min)
			break;
		close(fd);
		fd = -ENOENT;
	}
cleanup:
	free(dir);
	free(root);
	free(ours);
	free(theirs);
	return fd;
}

int rootfs_open(const char *proc, uint32_t pid)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%u/root", proc, pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != EACCES && errno != EPERM)
		return -errno;
	return rootfs_open_by_mountinfo(proc, pid);
}
