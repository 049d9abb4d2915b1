/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootfs.h - open the root filesystem another process sees, without ptrace
 * access to it.
 *
 * /proc/<pid>/root is a magic link guarded by the kernel's ptrace access
 * check: with only the chart's capabilities (BPF, PERFMON, DAC_READ_SEARCH)
 * the agent is refused for a container process, whose capabilities are not
 * a subset of the agent's, or whose uid differs. /proc/<pid>/mountinfo is
 * not guarded. Its mount at "/" names the container's root by device and by
 * the path of that root inside the filesystem:
 *
 *   76 51 0:40 / / rw,relatime master:2 - overlay overlay rw,lowerdir=...
 *         ^^^^ ^ ^ mount point "/": major:minor, root within the filesystem
 *
 * The runtime mounted the same filesystem on the host (containerd:
 * <state>/io.containerd.runtime.v2.task/<ns>/<id>/rootfs; CRI-O:
 * /var/lib/containers/storage/overlay/<layer>/merged), and the chart mounts
 * that directory into the agent with HostToContainer propagation. The agent
 * looks in its own /proc/self/mountinfo for a mount of the same device whose
 * root contains the container's root, opens that directory, and checks with
 * fstat that it is on that device. Files are then opened relative to it
 * with openat2(RESOLVE_IN_ROOT) by the caller, so nothing the container
 * put there (symlinks, "..") leads outside it.
 *
 * mountinfo line := id parent major:minor root mountpoint options
 *                   [optional-field]... "-" fstype source superoptions
 * root and mountpoint escape space, tab, newline and backslash as \ooo.
 */
#ifndef CW_ROOTFS_H
#define CW_ROOTFS_H

#include <stddef.h>
#include <stdint.h>

#define ROOTFS_MOUNTINFO_MAX	(4u << 20)	/* bytes of one mountinfo read */

/*
 * rootfs_root_mount - the mount at "/" in mountinfo text (the last one
 * when mounts are stacked there): its device and its root within the
 * filesystem (unescaped). 0, or -ENOENT when there is none (a process that
 * chrooted below its mount's root shows none), -ENAMETOOLONG.
 */
int rootfs_root_mount(const char *mountinfo, size_t len, uint32_t *major, uint32_t *minor,
		      char *root, size_t root_size);

/*
 * rootfs_find_mount - where the directory (major:minor, root) is reachable
 * in mountinfo text of our own namespace: a mount of that device whose root
 * is root or one of its ancestors, joined with the rest of root. Candidates
 * one per call: skip is how many to pass over (0 for the first). 0, or
 * -ENOENT when there are no more.
 */
int rootfs_find_mount(const char *mountinfo, size_t len, uint32_t major, uint32_t minor,
		      const char *root, unsigned skip, char *path, size_t path_size);

/*
 * rootfs_open - an O_PATH directory fd on the root filesystem process pid
 * sees. proc is the procfs that pid is found in ("<host-root>/proc").
 * Tries <proc>/<pid>/root first (allowed when the agent may ptrace pid),
 * then the mountinfo route above. Returns the fd (the caller closes it), or
 * -ENOENT (process gone, or its root is mounted nowhere the agent can see),
 * -errno.
 */
int rootfs_open(const char *proc, uint32_t pid);

/* rootfs_open's second route alone (what a process without ptrace access gets). */
int rootfs_open_by_mountinfo(const char *proc, uint32_t pid);

#endif /* CW_ROOTFS_H */
