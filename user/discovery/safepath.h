/* SPDX-License-Identifier: Apache-2.0 */
/*
 * safepath.h - resolve a host path inside --host-root without letting the
 * kernel follow a single symlink, and without opening a file at all.
 *
 * Discovery looks at places other users control (their homes, CI job
 * workspaces, pod volumes): a symlink there must never take it to a file the
 * attacker chose (`~/.kube/config -> /etc/ld.so.cache`, `~/.config/gcloud ->
 * /usr/share`). So a path is walked one component at a time from the host
 * root, each directory opened with O_PATH | O_NOFOLLOW, anything else only
 * fstatat(AT_SYMLINK_NOFOLLOW)ed by name below it: a symlink is read
 * (readlinkat: its text, never what it points to) and then followed only as
 * the policy allows, its target resolved the same way. ".." is taken on the
 * walked chain (never above the host root), so an absolute or climbing link
 * stays inside --host-root, as openat2(RESOLVE_IN_ROOT) would, and the
 * walked chain is the path the object was reached by: containment is checked
 * on it. Magic links (/proc/<pid>/root, /proc/<pid>/fd/N) are never followed
 * by the kernel: their text is resolved as any symlink's, inside the root.
 *
 * A path has two parts:
 *   trusted  a leading part laid out by root (/var/lib/kubelet, /etc/kubernetes,
 *            a home directory itself): its symlinks are followed, inside the root
 *   rest     below it: each symlink met is followed only as policy.follow says
 *              SAFEPATH_FOLLOW_NONE       none
 *              SAFEPATH_FOLLOW_WITHIN     any, if the object it ends at is below
 *                                         the trusted part as resolved, or below
 *                                         policy.within (a user's links inside
 *                                         their own home; kubelet's
 *                                         pki/kubelet-client-current.pem link)
 *              SAFEPATH_FOLLOW_ATOMIC_WRITER  kubelet's atomic writer only: a
 *                                         "..data" link to "..<name>" next to it,
 *                                         and KEY -> "..data/KEY"
 * The result is the object's stat(): a file is never opened, not even O_PATH
 * (an open the sensor would report as the agent's own read of what it
 * watches). safepath_opendir() opens a directory for listing (a directory is
 * never a credential); safepath_read_small() reads a small public file (a
 * static pod manifest, kubelet's vol_data.json): regular file, O_NONBLOCK,
 * bounded.
 */
#ifndef CW_SAFEPATH_H
#define CW_SAFEPATH_H

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>

#define SAFEPATH_MAX_LINKS	40	/* as the kernel's MAXSYMLINKS */
#define SAFEPATH_MAX_DEPTH	128	/* components on the walked chain */

enum safepath_follow {
	SAFEPATH_FOLLOW_NONE = 0,
	SAFEPATH_FOLLOW_WITHIN,
	SAFEPATH_FOLLOW_ATOMIC_WRITER,
};

struct safepath_opts {
	const char *root;	/* the host root; NULL or "/" for the real one */
};

struct safepath_policy {
	const char *trusted;	/* host path prefix of the path ("" or NULL: none) */
	enum safepath_follow follow;
	/*
	 * SAFEPATH_FOLLOW_WITHIN: where a path that followed a link must end,
	 * a prefix of the path at or below trusted (NULL: trusted). Its part
	 * below trusted is taken as written: a link there counts as followed.
	 */
	const char *within;
};

/* What a resolution found, or why it refused. */
struct safepath_res {
	struct stat st;		/* of the object reached (never a symlink) */
	char resolved[PATH_MAX];/* host path it was reached by (symlinks resolved) */
	int links;		/* symlinks followed below the trusted part */
	/* on -ELOOP (a symlink refused by policy) or -EXDEV (a followed link left the trusted part): */
	char link[PATH_MAX];	/* the symlink, as a host path */
	char target[PATH_MAX];	/* its text */
};

struct safepath;

int safepath_new(struct safepath **out, const struct safepath_opts *opts);
void safepath_free(struct safepath *sp);

/*
 * safepath_flush - forget the trusted part kept open from the last
 * resolution (a scan calls it when done, so the next one walks again and
 * sees a directory replaced since).
 */
void safepath_flush(struct safepath *sp);

/* The host root as given ("" for "/"), for messages. */
const char *safepath_root(const struct safepath *sp);

/*
 * safepath_stat - resolve the host path (absolute, without the host root).
 * pol may be NULL (trusted: none, follow: none). On success returns 0 and
 * fills res (res.st: the object's stat, by name for a file). Errors: -ENOENT, -ENOTDIR, -EACCES as the walk met them; -ELOOP: a
 * symlink the policy does not follow, or more than SAFEPATH_MAX_LINKS;
 * -EXDEV: SAFEPATH_FOLLOW_WITHIN and the object is outside the trusted part;
 * -ENAMETOOLONG; -EINVAL: a relative path, or trusted not a prefix of it.
 */
int safepath_stat(struct safepath *sp, const char *path, const struct safepath_policy *pol,
		   struct safepath_res *res);

/* safepath_opendir - the same, then a directory stream (O_RDONLY | O_DIRECTORY). */
int safepath_opendir(struct safepath *sp, const char *path, const struct safepath_policy *pol,
		      DIR **out, struct safepath_res *res);

/*
 * safepath_read_small - up to size - 1 bytes of a public file, resolved as
 * safepath_stat() does, NUL-terminated: a regular file only (a FIFO or
 * device is never opened for reading: -EINVAL), O_NONBLOCK, at most size - 1
 * bytes (-EFBIG when larger). Returns the bytes read or -errno. Never used on
 * a credential.
 */
long safepath_read_small(struct safepath *sp, const char *path, const struct safepath_policy *pol,
			  char *buf, size_t size);

/* A readable reason for a safepath error, for logs and refusals. */
const char *safepath_strerror(int err);

#endif /* CW_SAFEPATH_H */
