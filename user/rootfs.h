/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootfs.h - open the root directory another process sees, without ptrace
 * access to it.
 *
 * /proc/<pid>/root is a magic link guarded by the kernel's ptrace access
 * check: with only the chart's capabilities (BPF, PERFMON, DAC_READ_SEARCH)
 * the agent is refused for a container process, whose capabilities are not
 * a subset of the agent's, or whose uid differs; and a reader that has
 * exited has no /proc entry at all. So the kernel program reports the
 * reader's root directory with each event, as (device, inode) of
 * task->fs->root. The runtime mounted that filesystem on the host too
 * (containerd: <state>/io.containerd.runtime.v2.task/<ns>/<id>/rootfs;
 * CRI-O: /var/lib/containers/storage/overlay/<layer>/merged) and the chart
 * mounts that directory into the agent with HostToContainer propagation:
 * the agent looks in its own /proc/self/mountinfo for mounts of the same
 * device and opens the one whose mount point is that very inode.
 *
 * Nothing the container controls takes part: the identity comes from the
 * kernel, the candidates from the agent's own mount table. Files are then
 * opened below the returned directory with openat2(RESOLVE_IN_ROOT) by the
 * caller (passwd.h), so symlinks and ".." inside it cannot lead outside.
 *
 * mountinfo line := id parent major:minor root mountpoint options
 *                   [optional-field]... "-" fstype source superoptions
 * root and mountpoint escape space, tab, newline and backslash as \ooo.
 */
#ifndef CW_ROOTFS_H
#define CW_ROOTFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ROOTFS_MOUNTINFO_MAX	(4u << 20)	/* bytes of one mountinfo read */
#define ROOTFS_CANDIDATES_MAX	64		/* mounts of one device tried */

/*
 * rootfs_mount_of - the mount point (unescaped) of the skip-th mount of
 * device major:minor in mountinfo text. 0, -ENOENT when there are no more,
 * -ENAMETOOLONG.
 */
int rootfs_mount_of(const char *mountinfo, size_t len, uint32_t maj, uint32_t min,
		    unsigned skip, char *path, size_t path_size);

/*
 * rootfs_open - an O_PATH directory fd on the root directory (dev, ino) of
 * process pid: first among our own mounts (works without ptrace and after
 * pid exited), then through <proc>/<pid>/root when we may ptrace pid and it
 * is still that directory. proc is the procfs pid is found in
 * ("<host-root>/proc"). Returns the fd (the caller closes it), -ENOENT when
 * the directory is nowhere we can reach, or -errno.
 */
int rootfs_open(const char *proc, uint32_t pid, dev_t dev, uint64_t ino);

#endif /* CW_ROOTFS_H */
