// SPDX-License-Identifier: Apache-2.0
/*
 * fusefile - a FUSE filesystem holding one read-only file, for the
 * integration tests of credentials on filesystems the sensor cannot match.
 *   fusefile MOUNTPOINT NAME CONTENT
 * Serves MOUNTPOINT/NAME with CONTENT in the foreground until unmounted
 * (fusermount3 -u MOUNTPOINT, or umount as root).
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse3/fuse.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *file_name;
static const char *file_content;

static bool is_file(const char *path)
{
	return path[0] == '/' && !strcmp(path + 1, file_name);
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (!is_file(path))
		return -ENOENT;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_size = (off_t)strlen(file_content);
	return 0;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, file_name, NULL, 0, 0);
	return 0;
}

static int ff_open(const char *path, struct fuse_file_info *fi)
{
	if (!is_file(path))
		return -ENOENT;
	return (fi->flags & O_ACCMODE) == O_RDONLY ? 0 : -EACCES;
}

static int ff_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	size_t len = strlen(file_content);

	(void)fi;
	if (!is_file(path))
		return -ENOENT;
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, file_content + off, size);
	return (int)size;
}

static const struct fuse_operations ops = {
	.getattr = ff_getattr,
	.readdir = ff_readdir,
	.open = ff_open,
	.read = ff_read,
};

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], "-f", "-s", "-o", "fsname=fusefile,subtype=fusefile", NULL,
			  NULL };

	if (argc != 4) {
		fprintf(stderr, "usage: fusefile MOUNTPOINT NAME CONTENT\n");
		return 2;
	}
	file_name = argv[2];
	file_content = argv[3];
	fargv[5] = argv[1];
	return fuse_main(6, fargv, &ops, NULL);
}
