/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileio.h - small whole-file reads (/proc entries, tokens) and the one
 * durable way to replace a file.
 */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * read_file_small - read up to size - 1 bytes of path into buf, always
 * NUL-terminated. Returns the bytes read, or -errno when path cannot be
 * opened. Never used on a watched credential except the agent's own token.
 */
ssize_t read_file_small(const char *path, char *buf, size_t size);

/*
 * path_near_binary - rel under the directory two or three levels above
 * the running binary (build/credwatch, build/sanitize/credwatch: the
 * source tree), into out: the default of what is installed elsewhere
 * (the rules, the catalog) when running from a build. dir: it must be a
 * directory, else a readable file. 0, or -ENOENT when neither is one.
 */
int path_near_binary(const char *rel, bool dir, char *out, size_t size);

/*
 * read_file_alloc - all of path (procfs files report size 0, so it reads to
 * EOF) into a new NUL-terminated buffer of *len bytes, at most max bytes.
 * NULL with errno set: the open's errno, EFBIG past max, ENOMEM.
 */
char *read_file_alloc(const char *path, size_t max, size_t *len);

/*
 * Replacing a file so that a crash leaves the old one or the new one, never
 * a mix (redis rdbSave): write a temporary file next to it, fsync it,
 * rename it over the file, fsync the directory; remove the temporary file
 * on failure. Used for the spool's state, the findings state and
 * credwatch-inspect report --output.
 *
 *	struct file_replace r;
 *	if (file_replace_open(&r, AT_FDCWD, path, ".tmp", 0600))
 *		... r.op and the error say what failed
 *	write(r.fd, ...) or fprintf(file_replace_stream(&r), ...)
 *	err = file_replace_commit(&r);	(or file_replace_abort(&r))
 */
struct file_replace {
	int dirfd;		/* where name and tmp are (AT_FDCWD: the working dir) */
	const char *name;	/* the file to replace (borrowed) */
	char tmp[PATH_MAX];	/* the temporary file */
	int fd;			/* the temporary file, open for writing; -1 once done */
	FILE *stream;		/* file_replace_stream(): owns fd */
	const char *op;		/* the step that failed: unlink, create, chmod,
				 * write, fsync, close, rename, fsync dir */
};

/*
 * file_replace_open - create the temporary file name+suffix in dirfd with
 * exactly mode, O_EXCL | O_NOFOLLOW: a leftover of a crashed run is
 * unlinked first, never written through (it may be a planted symlink or
 * hard link). A suffix ending in "XXXXXX" gets six random characters
 * instead, for writers that may run side by side. 0 or -errno (r->op says
 * which step; nothing is left behind).
 */
int file_replace_open(struct file_replace *r, int dirfd, const char *name, const char *suffix,
		      mode_t mode);

/* The temporary file as a stdio stream (once; NULL with errno on failure). */
FILE *file_replace_stream(struct file_replace *r);

/*
 * file_replace_commit - flush, fsync and close the temporary file, rename
 * it over name, fsync the directory. Returns 0, or -errno with r->op set;
 * before the rename the temporary file is removed. A failed "fsync dir"
 * comes after the rename: the new file is in place, only its durability
 * is late, and the caller decides whether that is an error.
 */
int file_replace_commit(struct file_replace *r);

/* Close and remove the temporary file: nothing is replaced. */
void file_replace_abort(struct file_replace *r);

#endif /* CW_FILEIO_H */
