/* SPDX-License-Identifier: Apache-2.0 */
/* fileio.h - small whole-file reads (/proc entries, tokens). */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * read_file_small - read up to size - 1 bytes of path into buf, always
 * NUL-terminated. Returns the bytes read, or -errno when path cannot be
 * opened. Never used on a watched credential except the agent's own token.
 */
ssize_t read_file_small(const char *path, char *buf, size_t size);

/*
 * read_file_alloc - all of path (procfs files report size 0, so it reads to
 * EOF) into a new NUL-terminated buffer of *len bytes, at most max bytes.
 * NULL with errno set: the open's errno, EFBIG past max, ENOMEM.
 */
char *read_file_alloc(const char *path, size_t max, size_t *len);

#endif /* CW_FILEIO_H */
