// SPDX-License-Identifier: Apache-2.0
/* fileio.c - small whole-file reads. */
#include <errno.h>
#include <fcntl.h>
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
