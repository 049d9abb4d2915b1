/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mountinfo.h - kubelet volume mounts in this process's mount namespace.
 *
 * kubelet mounts a tmpfs on every Secret and projected volume directory,
 * <pods>/<uid>/volumes/<plugin>/<volume>, and only then writes the files,
 * inside the new filesystem: an inotify watch on the directory underneath
 * never hears of them. The kernel signals every mount and unmount in a
 * mount namespace as POLLPRI on /proc/self/mountinfo; this module reads
 * that file and keeps the sorted set of volume mount points, so discovery
 * can diff it and look inside each new mount.
 *
 * Grammar of a mountinfo line (proc(5)), fields separated by one space:
 *   line   = mnt_id SP parent_id SP major ":" minor SP root SP mount_point
 *            SP options *(SP optional_field) SP "-" SP fstype SP source SP super_options LF
 *   mnt_id = 1*DIGIT
 * In root and mount_point the kernel writes space, tab, newline and
 * backslash as \040 \011 \012 \134 (backslash, three octal digits). Only
 * mnt_id and mount_point are used here. Names below the pods directory
 * come from whoever can mount there: every component is checked.
 */
#ifndef CW_MOUNTINFO_H
#define CW_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One mount that matters: a volume mount, or a mount on the pods directory
 * itself or above it (a new filesystem under every pod: rel is "").
 */
struct kvol {
	uint32_t mnt_id;
	uint32_t rel_off;	/* "<uid>/volumes/<plugin>/<volume>" in the set's strings */
};

/* The volume mounts found by one read, sorted by mnt_id (then by path). */
struct kvol_set {
	struct kvol *v;
	size_t n, cap;
	char *strs;		/* every rel, NUL-terminated, one allocation */
	size_t slen, scap;
	uint64_t lines;		/* mountinfo lines read */
	uint64_t bad_lines;	/* lines that did not parse, or too long to */
};

/* Which plugins' volumes matter (the plugin directory's name). */
typedef bool (*kvol_plugin_fn)(const char *plugin);

static inline const char *kvol_rel(const struct kvol_set *s, const struct kvol *k)
{
	return s->strs + k->rel_off;
}

/*
 * mountinfo_unescape - decode the kernel's \ooo escapes of a mountinfo path
 * field of len bytes into out (NUL-terminated). A backslash not followed by
 * three octal digits, a decoded NUL or a result that does not fit are
 * refused. Returns the decoded length or -EINVAL / -ENAMETOOLONG.
 */
ssize_t mountinfo_unescape(const char *in, size_t len, char *out, size_t size);

/*
 * mountinfo_parse_line - mnt_id and the decoded mount point of one line
 * (without its LF). Returns 0, or -EINVAL for a line that is not mountinfo,
 * -ENAMETOOLONG when the mount point does not fit mp_size.
 */
int mountinfo_parse_line(const char *line, size_t len, uint32_t *mnt_id, char *mp,
			 size_t mp_size);

/*
 * mountinfo_volume_rel - if mount point mp is a kubelet volume directory
 * under pods_dir (exactly <pods_dir>/<uid>/volumes/<plugin>/<volume>, each
 * name non-empty, not starting with '.', the uid at most 64 bytes, the
 * plugin one that want() accepts), the part after "<pods_dir>/"; else NULL.
 */
const char *mountinfo_volume_rel(const char *mp, const char *pods_dir, kvol_plugin_fn want);

/* mountinfo_is_above - mount point mp is dir itself or one of its ancestors. */
bool mountinfo_is_above(const char *mp, const char *dir);

/*
 * kvol_set_read - read the mountinfo file fd (from offset 0, in bounded
 * chunks) into s, replacing what s held: every volume mount under pods_dir
 * and every mount on pods_dir or above it. Returns 0 or -errno (s is then
 * empty).
 */
int kvol_set_read(struct kvol_set *s, int fd, const char *pods_dir, kvol_plugin_fn want);
void kvol_set_free(struct kvol_set *s);

/*
 * kvol_set_diff - walk old and cur (both sorted) in one pass and call
 * changed(rel) for each mount in only one of them. A mount moved elsewhere
 * (same id, new path) is a change at both places. Returns the changes.
 */
size_t kvol_set_diff(const struct kvol_set *old, const struct kvol_set *cur,
		     void (*changed)(void *ctx, const char *rel), void *ctx);

#endif /* CW_MOUNTINFO_H */
