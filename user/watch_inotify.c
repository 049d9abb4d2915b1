// SPDX-License-Identifier: Apache-2.0
/*
 * watch_inotify.c - directory watches: which group each inotify wd
 * belongs to, confirmed or swept by every rescan of that group, and the
 * events that mark groups dirty.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "watch_int.h"

static struct wd_entry *wd_find(const struct watch *w, int wd)
{
	for (struct wd_entry *e = w->wds[wd % WD_BUCKETS]; e; e = e->next)
		if (e->wd == wd)
			return e;
	return NULL;
}

/*
 * Watch a directory for group. inotify answers one wd per inode, so the
 * same path after a mount on it is a new wd (the new filesystem's root),
 * and the old one is left for the group's sweep.
 */
void watch_wd_add(struct watch *w, const char *dir, const char *group)
{
	struct wd_entry *e, **head;
	char path[PATH_MAX];
	int wd;

	if (w->ifd < 0)
		return;
	watch_host_path(w, dir, path, sizeof(path));
	wd = inotify_add_watch(w->ifd, path, DIR_EVENTS);
	if (wd < 0) {
		if (errno == ENOSPC && !w->add_warned) {
			log_warn("watch: %s: inotify: %s (raise fs.inotify.max_user_watches); "
				 "changes there are picked up by the periodic re-check or on "
				 "SIGHUP only", path, strerror(errno));
			w->add_warned = true;
		}
		return;
	}
	e = wd_find(w, wd);
	if (e) {
		if (strcmp(e->group, group))
			e->pinned = true;	/* two groups: neither sweep may drop it */
		e->seen = w->gen;
		return;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		inotify_rm_watch(w->ifd, wd);
		return;
	}
	e->wd = wd;
	e->seen = w->gen;
	snprintf(e->group, sizeof(e->group), "%s", group);
	e->next = w->wds[wd % WD_BUCKETS];
	w->wds[wd % WD_BUCKETS] = e;
	head = &w->gwds[hash_fnv32_str(e->group) % GROUP_BUCKETS];
	e->gnext = *head;
	if (*head)
		(*head)->gprev = &e->gnext;
	e->gprev = head;
	*head = e;
	w->stats.inotify_watches++;
}

static void wd_unlink(struct watch *w, struct wd_entry *e)
{
	struct wd_entry **link = &w->wds[e->wd % WD_BUCKETS];

	while (*link && *link != e)
		link = &(*link)->next;
	if (*link)
		*link = e->next;
	*e->gprev = e->gnext;
	if (e->gnext)
		e->gnext->gprev = e->gprev;
	free(e);
	w->stats.inotify_watches--;
}

/* The kernel dropped the watch (IN_IGNORED): forget it. */
static void wd_forget(struct watch *w, int wd)
{
	struct wd_entry *e = wd_find(w, wd);

	if (e)
		wd_unlink(w, e);
}

/*
 * After a complete scan of group: remove its watches the scan did not
 * confirm - a directory now covered by a mount, a filesystem unmounted here
 * that a container's namespace keeps alive, a directory gone. Its IN_IGNORED
 * then finds no entry.
 */
void watch_wd_sweep_group(struct watch *w, const char *group)
{
	struct wd_entry *e = w->gwds[hash_fnv32_str(group) % GROUP_BUCKETS], *next;

	for (; e; e = next) {
		next = e->gnext;
		if (e->seen == w->gen || e->pinned || strcmp(e->group, group))
			continue;
		inotify_rm_watch(w->ifd, e->wd);
		wd_unlink(w, e);
	}
}

void watch_mark_dirty(struct watch *w, const char *group)
{
	for (int i = 0; i < w->ndirty; i++)
		if (!strcmp(w->dirty[i], group))
			return;
	if (w->ndirty == MAX_DIRTY) {
		w->dirty_all = true;
		return;
	}
	snprintf(w->dirty[w->ndirty++], 80, "%s", group);
}

int watch_drain_inotify(struct watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	if (w->ifd < 0)
		return 0;
	while ((len = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			const struct wd_entry *we;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				w->stats.inotify_overflows++;
				w->dirty_all = true;
				continue;
			}
			we = wd_find(w, ev->wd);
			if (ev->mask & IN_IGNORED) {
				if (we && strcmp(we->group, "pods") && strcmp(we->group, "homes"))
					watch_mark_dirty(w, we->group);
				wd_forget(w, ev->wd);
				continue;
			}
			if (!we)
				continue;
			if (!strcmp(we->group, "pods")) {
				char group[80];

				if (ev->len && ev->name[0] != '.') {
					snprintf(group, sizeof(group), "pod:%s", ev->name);
					watch_mark_dirty(w, group);
				}
				continue;
			}
			if (!strcmp(we->group, "homes")) {
				char group[80];

				if (ev->len && ev->name[0] != '.' &&
				    (size_t)snprintf(group, sizeof(group), "home:" HOMES_DIR "/%s",
						     ev->name) < sizeof(group))
					watch_mark_dirty(w, group);
				continue;
			}
			watch_mark_dirty(w, we->group);
		}
	}
	if (len < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}
