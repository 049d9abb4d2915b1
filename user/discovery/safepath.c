// SPDX-License-Identifier: Apache-2.0
/*
 * safepath.c - host paths resolved one component at a time below
 * --host-root, symlinks followed only by policy, directories opened O_PATH,
 * files only stat()ed.
 *
 * The kernel's openat2(RESOLVE_IN_ROOT) confines a walk to a root but
 * follows every symlink on the way; here each link must also pass a policy
 * that depends on where in the path it is, so the walk is done in userspace:
 * a stack of O_PATH descriptors, one per directory, each opened with
 * O_NOFOLLOW relative to the one below. ".." pops the stack, so it can never
 * climb above the root and never depends on where a directory was moved to.
 * What is not a directory is looked at with fstatat(AT_SYMLINK_NOFOLLOW) and
 * readlinkat() by name below its pinned parent, never opened: even an O_PATH
 * open of a credential is an open the sensor reports, and discovery must
 * not be a reader of what it watches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safepath.h"

/*
 * The walked chain: fd[0] is the root, fd[i] the i-th component; owned[i]
 * says whether the walk closes it (the root and a cached trusted chain are
 * the safepath's). A top that is not a directory has no descriptor (fd -1):
 * st is its fstatat().
 */
struct walk {
	int fd[SAFEPATH_MAX_DEPTH + 1];
	bool owned[SAFEPATH_MAX_DEPTH + 1];
	size_t len[SAFEPATH_MAX_DEPTH + 1];	/* logical length at each depth */
	int depth;
	char logical[PATH_MAX];			/* "" at the root, else "/a/b" */
	char last[NAME_MAX + 1];		/* name of the top component */
	struct stat st;				/* of the top when it has no fd */
	int links;				/* every symlink followed */
};

struct safepath {
	int rootfd;
	char root[PATH_MAX];	/* as given, without trailing '/'; "" for "/" */
	/*
	 * The last trusted part walked, its chain kept open: a scan resolves
	 * many paths below one home or pod directory, and each would walk it
	 * again. Valid until safepath_flush().
	 */
	char ctrusted[PATH_MAX];
	struct walk cache;
	bool cvalid;
};

int safepath_new(struct safepath **out, const struct safepath_opts *opts)
{
	const char *root = opts && opts->root && opts->root[0] ? opts->root : "/";
	struct safepath *sp;
	size_t len;
	int err;

	*out = NULL;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	snprintf(sp->root, sizeof(sp->root), "%s", root);
	len = strlen(sp->root);
	while (len > 0 && sp->root[len - 1] == '/')
		sp->root[--len] = '\0';
	/* the root itself is the operator's choice: a symlink to it is followed */
	sp->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sp->rootfd < 0) {
		err = -errno;
		free(sp);
		return err;
	}
	*out = sp;
	return 0;
}

void safepath_flush(struct safepath *sp)
{
	if (!sp->cvalid)
		return;
	for (int i = 1; i <= sp->cache.depth; i++)
		close(sp->cache.fd[i]);
	sp->cvalid = false;
}

void safepath_free(struct safepath *sp)
{
	if (!sp)
		return;
	safepath_flush(sp);
	close(sp->rootfd);
	free(sp);
}

const char *safepath_root(const struct safepath *sp)
{
	return sp->root;
}

const char *safepath_strerror(int err)
{
	switch (err) {
	case -ELOOP:
		return "a symlink the catalog entry does not follow";
	case -EXDEV:
		return "a symlink that leads out of where it may point";
	default:
		return strerror(-err);
	}
}

static void walk_init(struct walk *w, const struct safepath *sp)
{
	w->fd[0] = sp->rootfd;
	w->owned[0] = false;
	w->len[0] = 0;
	w->depth = 0;
	w->logical[0] = '\0';
	w->last[0] = '\0';
	w->links = 0;
}

static void walk_pop(struct walk *w)
{
	if (w->owned[w->depth])
		close(w->fd[w->depth]);
	w->depth--;
}

static void walk_to_root(struct walk *w)
{
	while (w->depth > 0)
		walk_pop(w);
	w->logical[0] = '\0';
}

static void walk_release(struct walk *w)
{
	walk_to_root(w);
}

/* Is the atomic writer's link `name -> target` one kubelet makes? */
static bool is_atomic_writer_link(const char *name, const char *target)
{
	/* ..data -> ..2026_01_01_00_00_00.123456789 */
	if (!strcmp(name, "..data"))
		return target[0] == '.' && target[1] == '.' && target[2] &&
		       !strchr(target, '/') && strcmp(target, "..data");
	/* KEY -> ..data/KEY */
	return !strncmp(target, "..data/", 7) && !strcmp(target + 7, name);
}

enum walk_mode { MODE_FREE, MODE_NONE, MODE_ATOMIC };

/*
 * Walk path (absolute: from the root; relative: from the top of the chain),
 * following symlinks as mode says. On a refused link, res->link and
 * res->target name it.
 */
static int walk_path(struct walk *w, const char *path, enum walk_mode mode,
		     struct safepath_res *res, bool *followed)
{
	char pend[PATH_MAX * 2], target[PATH_MAX];
	size_t off = 0;

	if (strlen(path) >= sizeof(pend))
		return -ENAMETOOLONG;
	snprintf(pend, sizeof(pend), "%s", path);
	if (pend[0] == '/')
		walk_to_root(w);
	for (;;) {
		char name[NAME_MAX + 1];
		const char *rest;
		size_t n;
		struct stat st;
		ssize_t tl;
		int fd;

		while (pend[off] == '/')
			off++;
		if (!pend[off])
			return 0;
		n = strcspn(pend + off, "/");
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, pend + off, n);
		name[n] = '\0';
		off += n;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (w->depth > 0) {
				walk_pop(w);
				w->logical[w->len[w->depth]] = '\0';
			}
			continue;
		}
		/*
		 * A component with more to come is nearly always a directory: say
		 * so, and a success needs no fstat (O_DIRECTORY fails on a symlink
		 * with O_NOFOLLOW, which then takes the general way below).
		 */
		rest = pend + off;
		while (*rest == '/')
			rest++;
		fd = -1;
		if (*rest) {
			fd = openat(w->fd[w->depth], name,
				    O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 && errno != ENOTDIR)
				return -errno;
		}
		if (fd >= 0) {
			st.st_mode = S_IFDIR;
		} else {
			/* by name below the pinned parent: only a directory is opened */
			if (fstatat(w->fd[w->depth], name, &st, AT_SYMLINK_NOFOLLOW))
				return -errno;
			if (S_ISDIR(st.st_mode)) {
				fd = openat(w->fd[w->depth], name,
					    O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0)
					return -errno;	/* replaced since: ENOTDIR */
			}
		}
		if (S_ISLNK(st.st_mode)) {
			tl = readlinkat(w->fd[w->depth], name, target, sizeof(target) - 1);
			if (tl < 0)
				return -errno;
			target[tl] = '\0';
			if (++w->links > SAFEPATH_MAX_LINKS)
				return -ELOOP;
			if (res && !res->link[0]) {	/* the first link followed below trusted */
				snprintf(res->link, sizeof(res->link), "%s/%s", w->logical, name);
				snprintf(res->target, sizeof(res->target), "%s", target);
			}
			if (mode == MODE_NONE ||
			    (mode == MODE_ATOMIC && !is_atomic_writer_link(name, target))) {
				if (res) {	/* the one refused */
					snprintf(res->link, sizeof(res->link), "%s/%s", w->logical,
						 name);
					snprintf(res->target, sizeof(res->target), "%s", target);
				}
				return -ELOOP;
			}
			if (followed)
				*followed = true;
			/* continue with the target, then what was left after the link */
			rest = pend + off;
			if (strlen(target) + 1 + strlen(rest) >= sizeof(pend))
				return -ENAMETOOLONG;
			{
				char next[PATH_MAX * 2];

				snprintf(next, sizeof(next), "%s/%s", target, rest);
				memcpy(pend, next, strlen(next) + 1);
			}
			off = 0;
			if (pend[0] == '/')
				walk_to_root(w);
			continue;
		}
		while (pend[off] == '/')
			off++;
		if (pend[off] && !S_ISDIR(st.st_mode))
			return -ENOTDIR;	/* not a directory: fd is -1 */
		if (w->depth == SAFEPATH_MAX_DEPTH ||
		    w->len[w->depth] + 1 + n >= sizeof(w->logical)) {
			if (fd >= 0)
				close(fd);
			return -ENAMETOOLONG;
		}
		w->fd[++w->depth] = fd;
		w->owned[w->depth] = fd >= 0;
		w->st = st;
		w->logical[w->len[w->depth - 1]] = '/';
		memcpy(w->logical + w->len[w->depth - 1] + 1, name, n + 1);
		w->len[w->depth] = w->len[w->depth - 1] + 1 + n;
		memcpy(w->last, name, n + 1);
	}
}

static bool is_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * Keep the trusted chain w now holds: the cache's own descriptors where w
 * borrowed them (its first keep levels), copies of w's own above.
 */
static void cache_trusted(struct safepath *sp, const char *trusted, const struct walk *w,
			  int keep)
{
	if (sp->cvalid)
		for (int i = keep + 1; i <= sp->cache.depth; i++)
			close(sp->cache.fd[i]);
	sp->cvalid = false;
	sp->cache = *w;
	for (int i = keep + 1; i <= w->depth; i++) {
		sp->cache.fd[i] = fcntl(w->fd[i], F_DUPFD_CLOEXEC, 0);
		if (sp->cache.fd[i] < 0) {
			/* not 1..keep: the old cache's, w walks on them (no cache owns them now) */
			while (--i > keep)
				close(sp->cache.fd[i]);
			return;
		}
	}
	snprintf(sp->ctrusted, sizeof(sp->ctrusted), "%s", trusted);
	sp->cvalid = true;
}

/*
 * Leading components two trusted paths share, when the cached one was
 * walked without a link (so its chain's depth i is its i-th component).
 */
static int shared_components(const struct safepath *sp, const char *t)
{
	const char *a = sp->ctrusted, *b = t;
	int n = 0;

	if (!sp->cvalid || sp->cache.links)
		return 0;
	for (;;) {
		size_t la, lb;

		while (*a == '/')
			a++;
		while (*b == '/')
			b++;
		la = strcspn(a, "/");
		lb = strcspn(b, "/");
		if (!la || la != lb || strncmp(a, b, la) || n == sp->cache.depth)
			return n;
		if (la == 1 && *a == '.')
			return n;		/* "." and ".." break the component count */
		if (la == 2 && !strncmp(a, "..", 2))
			return n;
		n++;
		a += la;
		b += lb;
	}
}

/* Resolve path; on success the chain's top is the object. */
static int resolve(struct safepath *sp, const char *path, const struct safepath_policy *pol,
		   struct walk *w, struct safepath_res *res)
{
	const char *trusted = pol && pol->trusted ? pol->trusted : "";
	enum safepath_follow follow = pol ? pol->follow : SAFEPATH_FOLLOW_NONE;
	size_t tlen = strlen(trusted);
	char within[PATH_MAX];
	const char *rest;
	bool followed = false;
	int err;

	while (tlen > 0 && trusted[tlen - 1] == '/')
		tlen--;
	memset(res, 0, sizeof(*res));
	walk_init(w, sp);
	if (path[0] != '/' || strncmp(path, trusted, tlen) ||
	    (path[tlen] != '/' && path[tlen] != '\0'))
		return -EINVAL;
	if (tlen && sp->cvalid && strlen(sp->ctrusted) == tlen && !strncmp(sp->ctrusted, trusted, tlen)) {
		*w = sp->cache;		/* the same trusted part again: its chain, not ours */
		for (int i = 1; i <= w->depth; i++)
			w->owned[i] = false;
	} else if (tlen) {
		char t[PATH_MAX];
		const char *more = t;
		int keep;

		snprintf(t, sizeof(t), "%.*s", (int)tlen, trusted);
		/* a sibling of the cached one (the next pod, home): walk only what differs */
		keep = shared_components(sp, t);
		if (keep) {
			*w = sp->cache;
			for (int i = 1; i <= keep; i++)
				w->owned[i] = false;
			w->depth = keep;
			w->logical[w->len[keep]] = '\0';
			for (int i = 0; i < keep; i++) {
				more += strspn(more, "/");
				more += strcspn(more, "/");
			}
			while (*more == '/')
				more++;
		}
		err = walk_path(w, more, MODE_FREE, NULL, NULL);
		if (err)
			return err;
		if (w->depth == 0 || w->fd[w->depth] >= 0)	/* a chain of directories */
			cache_trusted(sp, t, w, keep);
		/* what w borrowed from the old cache is the new cache's now */
		for (int i = 1; i <= keep; i++)
			w->owned[i] = false;
	}
	/* the resolved trusted part, then what within adds below it, as written */
	if (pol && pol->within && follow == SAFEPATH_FOLLOW_WITHIN) {
		if (strncmp(pol->within, trusted, tlen) ||
		    (pol->within[tlen] != '/' && pol->within[tlen] != '\0'))
			return -EINVAL;
		snprintf(within, sizeof(within), "%s%s", w->logical, pol->within + tlen);
		while (strlen(within) > 1 && within[strlen(within) - 1] == '/')
			within[strlen(within) - 1] = '\0';
	} else {
		snprintf(within, sizeof(within), "%s", w->logical);
	}
	w->links = 0;
	rest = path + tlen;
	while (*rest == '/')
		rest++;		/* relative to the trusted part, not the root */
	err = walk_path(w, rest, follow == SAFEPATH_FOLLOW_NONE ? MODE_NONE :
			follow == SAFEPATH_FOLLOW_ATOMIC_WRITER ? MODE_ATOMIC : MODE_FREE,
			res, &followed);
	if (err)
		return err;
	res->links = w->links;
	snprintf(res->resolved, sizeof(res->resolved), "%s", w->depth ? w->logical : "/");
	if (followed && !is_within(w->logical, within))
		return -EXDEV;
	return 0;
}

int safepath_stat(struct safepath *sp, const char *path, const struct safepath_policy *pol,
		   struct safepath_res *res)
{
	struct walk w;
	int top, err;

	err = resolve(sp, path, pol, &w, res);
	if (err)
		goto cleanup;
	top = w.depth ? w.fd[w.depth] : sp->rootfd;
	if (top < 0)
		res->st = w.st;		/* not a directory: stat()ed by name, never opened */
	else if (fstat(top, &res->st))
		err = -errno;
cleanup:
	walk_release(&w);
	return err;
}

int safepath_opendir(struct safepath *sp, const char *path, const struct safepath_policy *pol,
		      DIR **out, struct safepath_res *res)
{
	struct walk w;
	int top, dfd, err;
	DIR *d;

	*out = NULL;
	err = resolve(sp, path, pol, &w, res);
	if (err)
		goto cleanup;
	top = w.depth ? w.fd[w.depth] : sp->rootfd;
	if (top < 0) {
		res->st = w.st;
		err = -ENOTDIR;
		goto cleanup;
	}
	if (fstat(top, &res->st)) {
		err = -errno;
		goto cleanup;
	}
	/* "." below an O_PATH directory: the same directory, now listable */
	dfd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		goto cleanup;
	}
	d = fdopendir(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		goto cleanup;
	}
	*out = d;
cleanup:
	walk_release(&w);
	return err;
}

long safepath_read_small(struct safepath *sp, const char *path, const struct safepath_policy *pol,
			  char *buf, size_t size)
{
	struct safepath_res res;
	struct stat st;
	struct walk w;
	size_t used = 0;
	int fd = -1, err;

	if (!size)
		return -EINVAL;
	buf[0] = '\0';
	err = resolve(sp, path, pol, &w, &res);
	if (err)
		goto cleanup;
	if (!w.depth || w.fd[w.depth] >= 0) {
		err = -EINVAL;		/* the root, a directory */
		goto cleanup;
	}
	st = w.st;
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;		/* a FIFO would block, a device never end */
		goto cleanup;
	}
	if ((size_t)st.st_size >= size) {
		err = -EFBIG;
		goto cleanup;
	}
	/* open by name below the walked parent, then check it is the file stat()ed */
	fd = openat(w.fd[w.depth - 1], w.last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	{
		struct stat again;

		if (fstat(fd, &again) || again.st_ino != st.st_ino || again.st_dev != st.st_dev) {
			err = -ESTALE;
			goto cleanup;
		}
	}
	while (used < size - 1) {
		ssize_t n = read(fd, buf + used, size - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	err = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	walk_release(&w);
	return err ? err : (long)used;
}
