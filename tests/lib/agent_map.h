/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_map.h - a running agent's kernel map of watched inodes, read from
 * outside: found through the fds the agent holds (/proc/PID/fdinfo), by
 * name, key and value size; keys made the way the kernel sees a file. Raw
 * bpf(2), no library: tests/integration/watched.c builds without libbpf,
 * tests/bench/rotlat.c with it. Header-only; needs root.
 */
#ifndef CW_TEST_AGENT_MAP_H
#define CW_TEST_AGENT_MAP_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "bpf/credwatch.h"

static inline long agent_map_bpf(enum bpf_cmd cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Whether the map behind fd is the agent's watched map. */
static inline bool agent_map_is_watched(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	return agent_map_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && !strcmp(info.name, "watched") &&
	       info.key_size == sizeof(struct cw_inode_key) &&
	       info.value_size == sizeof(struct cw_watch_val);
}

/* A new fd of the agent's map named "watched" (PID's), or -errno. */
static inline int agent_map_watched(int pid)
{
	char dir[64], path[PATH_MAX], line[256];
	struct dirent *de;
	int found = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while (found < 0 && (de = readdir(d))) {
		unsigned int id = 0;
		union bpf_attr a;
		FILE *f;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "map_id: %u", &id) == 1)
				break;
		fclose(f);
		if (!id)
			continue;
		memset(&a, 0, sizeof(a));
		a.map_id = id;
		fd = (int)agent_map_bpf(BPF_MAP_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		if (agent_map_is_watched(fd))
			found = fd;
		else
			close(fd);
	}
	closedir(d);
	return found;
}

/* The map's key of a file as stat() gave it: the kernel's s_dev encoding. */
static inline void agent_map_key(dev_t dev, ino_t ino, struct cw_inode_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ino = ino;
	k->dev = (major(dev) << 20) | minor(dev);
}

static inline bool agent_map_has(int fd, const struct cw_inode_key *k)
{
	struct cw_watch_val v;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)k;
	a.value = (uint64_t)(uintptr_t)&v;
	return agent_map_bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0;
}

#endif /* CW_TEST_AGENT_MAP_H */
