// SPDX-License-Identifier: Apache-2.0
/*
 * watch_mounts.c - the mount table: kubelet mounts a tmpfs on each volume
 * before it writes into it, so a mount or unmount of a volume rescans its
 * pod (mountinfo.h reads the table).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mountinfo.h"
#include "watch_int.h"

static bool is_volume_plugin(const char *plugin)
{
	for (size_t i = 0; i < sizeof(watch_volume_plugins) / sizeof(watch_volume_plugins[0]); i++)
		if (!strcmp(plugin, watch_volume_plugins[i]))
			return true;
	return false;
}

/*
 * The pods directory as the mount table names it: canonical (symlinks
 * resolved, as a node's /var/lib/kubelet often is) once it exists;
 * until then the absolute path as given.
 */
void watch_resolve_pods_dir(struct watch *w)
{
	char path[PATH_MAX], cwd[PATH_MAX];

	watch_host_path(w, KUBELET_PODS, path, sizeof(path));
	if (realpath(path, w->pods_dir)) {
		w->pods_dir_real = true;
		return;
	}
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(w->pods_dir, sizeof(w->pods_dir), "%s", path);
	else
		snprintf(w->pods_dir, sizeof(w->pods_dir), "%s/%s", cwd, path);
}

static void on_mount_change(void *ctx, const char *rel)
{
	struct watch *w = ctx;
	char group[80];
	size_t len = strcspn(rel, "/");

	if (!rel[0]) {
		w->dirty_all = true;	/* a new filesystem on the pods dir or above */
		return;
	}
	snprintf(group, sizeof(group), "pod:%.*s", (int)len, rel);
	watch_mark_dirty(w, group);
}

/*
 * Re-read the mount table and rescan the pod of every volume mount that
 * came or went (baseline: only remember the set, a full scan follows).
 */
void watch_mounts_refresh(struct watch *w, bool baseline)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), took;
	struct kvol_set tmp;
	int err;

	if (w->mfd < 0)
		return;
	w->mounts_changed = false;
	if (!w->pods_dir_real)
		watch_resolve_pods_dir(w);
	err = kvol_set_read(&w->next_mounts, w->mfd, w->pods_dir, is_volume_plugin);
	if (err) {
		if (!w->mounts_warned)
			log_warn("watch: mount table: %s: new pods' volumes are found by the "
				 "periodic re-check only", strerror(-err));
		w->mounts_warned = true;
		return;
	}
	w->stats.mount_reads++;
	if (!baseline)
		kvol_set_diff(&w->mounts, &w->next_mounts, on_mount_change, w);
	tmp = w->mounts;
	w->mounts = w->next_mounts;
	w->next_mounts = tmp;
	w->stats.volume_mounts = 0;
	for (size_t i = 0; i < w->mounts.n; i++)
		w->stats.volume_mounts += kvol_rel(&w->mounts, &w->mounts.v[i])[0] != '\0';
	took = clock_ns(CLOCK_MONOTONIC) - t0;
	w->mounts_not_before_ns = clock_ns(CLOCK_MONOTONIC) + MOUNT_READ_BACKOFF * took;
}

/* Has the mount table changed since the loop last polled it? (Consumes the signal.) */
bool watch_mounts_signalled(struct watch *w)
{
	struct pollfd p = { .fd = w->mfd, .events = POLLPRI };

	return w->mfd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR));
}
