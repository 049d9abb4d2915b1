// SPDX-License-Identifier: Apache-2.0
/*
 * fsident.c - the identity the kernel program will see for a file
 * (fsident.h): the mount a file is on, and for overlayfs the layer file
 * behind the merged view.
 *
 * Only statx(), lstat() and getxattr() of directories and of the file's
 * own name are used: no credential is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fileio.h"
#include "fsident.h"
#include "mountinfo.h"
#include "sensor.h"

#define MOUNTINFO_MAX	(64u << 20)	/* a node with 100k mounts stays well below */
#define OVL_LAYERS_MAX	500		/* overlayfs' own limit */
#define OVL_REL_DEPTH	64		/* path components below the overlay's root */

struct mnt {
	uint32_t id;
	uint32_t kdev;			/* major:minor: the superblock's s_dev */
	char fstype[FS_TYPE_LEN];
	char *mp;			/* mount point, decoded */
	char *root;			/* root of the mount within its filesystem, decoded */
	char *upper, *lower;		/* overlayfs upperdir=, lowerdir= (still \ooo-escaped) */
};

struct fsident {
	char *path;
	struct mnt *m;
	size_t n;
	bool loaded;
};

static const char *const reason_fuse =
	"FUSE: its server chooses the inode numbers and can serve the bytes without an open "
	"on this node";
static const char *const reason_network =
	"network filesystem: the file can be read from other machines or on the server "
	"without an open on this node";
static const char *const reason_dev =
	"stat's device is not the superblock's: matched by the superblock and inode number, "
	"which another file of this filesystem may share";
static const char *const reason_layer =
	"overlayfs: the layer file behind the merged view was not found (a redirect, a "
	"metacopy or layers outside this mount namespace): reads through the layer's own "
	"path are not seen";

static bool is_fuse(const char *t)
{
	return !strcmp(t, "fuse") || !strcmp(t, "fuseblk") || !strncmp(t, "fuse.", 5);
}

static bool is_network(const char *t)
{
	static const char *const types[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p",
					     "ceph", "afs", "lustre", "gpfs", "beegfs",
					     "glusterfs", "ncpfs", "coda" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(t, types[i]))
			return true;
	return false;
}

static void mnt_free_all(struct fsident *fi)
{
	for (size_t i = 0; i < fi->n; i++) {
		free(fi->m[i].mp);
		free(fi->m[i].root);
		free(fi->m[i].upper);
		free(fi->m[i].lower);
	}
	free(fi->m);
	fi->m = NULL;
	fi->n = 0;
}

int fsident_new(struct fsident **out, const char *mountinfo_path)
{
	struct fsident *fi = calloc(1, sizeof(*fi));

	*out = NULL;
	if (!fi)
		return -ENOMEM;
	fi->path = strdup(mountinfo_path ? mountinfo_path : "/proc/self/mountinfo");
	if (!fi->path) {
		free(fi);
		return -ENOMEM;
	}
	*out = fi;
	return 0;
}

void fsident_free(struct fsident *fi)
{
	if (!fi)
		return;
	mnt_free_all(fi);
	free(fi->path);
	free(fi);
}

void fsident_invalidate(struct fsident *fi)
{
	fi->loaded = false;
}

/* The next space-separated field of [*p, end). */
static bool field(const char **p, const char *end, const char **f, size_t *len)
{
	const char *s = *p, *sp;

	if (s >= end)
		return false;
	sp = memchr(s, ' ', (size_t)(end - s));
	*f = s;
	*len = sp ? (size_t)(sp - s) : (size_t)(end - s);
	*p = sp ? sp + 1 : end;
	return *len > 0;
}

static char *decode(const char *f, size_t len)
{
	char *out = malloc(len + 1);

	if (out && mountinfo_unescape(f, len, out, len + 1) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The value of option name= in a comma-separated super-options field, still escaped. */
static char *option(const char *opts, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = opts, *end = opts + len; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t olen = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (olen > nl && !memcmp(p, name, nl) && p[nl] == '=')
			return strndup(p + nl + 1, olen - nl - 1);
		p += olen + 1;
	}
	return NULL;
}

/* One mountinfo line (proc(5), grammar in mountinfo.h) into m. */
static int parse_line(const char *line, size_t len, struct mnt *m)
{
	const char *p = line, *end = line + len, *f, *opts = NULL;
	unsigned int maj, min;
	size_t flen, olen = 0;
	char num[24];
	int i;

	memset(m, 0, sizeof(*m));
	if (!field(&p, end, &f, &flen) || flen >= sizeof(num))
		return -EINVAL;
	memcpy(num, f, flen);
	num[flen] = '\0';
	m->id = (uint32_t)strtoul(num, NULL, 10);
	if (!field(&p, end, &f, &flen))			/* parent id */
		return -EINVAL;
	if (!field(&p, end, &f, &flen) || flen >= sizeof(num))
		return -EINVAL;
	memcpy(num, f, flen);
	num[flen] = '\0';
	if (sscanf(num, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	m->kdev = dev_to_kernel(makedev(maj, min));
	if (!field(&p, end, &f, &flen) || !(m->root = decode(f, flen)))
		return -EINVAL;
	if (!field(&p, end, &f, &flen) || !(m->mp = decode(f, flen)))
		return -EINVAL;
	for (i = 0; field(&p, end, &f, &flen); i++)	/* options, optional fields, "-" */
		if (flen == 1 && f[0] == '-')
			break;
	if (p >= end || !field(&p, end, &f, &flen))
		return -EINVAL;
	snprintf(m->fstype, sizeof(m->fstype), "%.*s", (int)flen, f);
	if (field(&p, end, &f, &flen) && field(&p, end, &opts, &olen) && !strcmp(m->fstype,
										 "overlay")) {
		m->upper = option(opts, olen, "upperdir");
		m->lower = option(opts, olen, "lowerdir");
	}
	return 0;
}

static int cmp_mnt(const void *a, const void *b)
{
	const struct mnt *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int load(struct fsident *fi)
{
	size_t len, cap = 0;
	char *buf = read_file_alloc(fi->path, MOUNTINFO_MAX, &len);
	int err = 0;

	mnt_free_all(fi);
	fi->loaded = true;	/* a failure is not retried for every file: invalidate does */
	if (!buf)
		return -errno;
	for (char *p = buf, *end = buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct mnt m;

		if (parse_line(p, ll, &m)) {
			free(m.root);
			free(m.mp);
			p += ll + 1;
			continue;
		}
		if (fi->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct mnt *v = realloc(fi->m, ncap * sizeof(*v));

			if (!v) {
				free(m.root);
				free(m.mp);
				free(m.upper);
				free(m.lower);
				err = -ENOMEM;
				break;
			}
			fi->m = v;
			cap = ncap;
		}
		fi->m[fi->n++] = m;
		p += ll + 1;
	}
	free(buf);
	if (fi->n)
		qsort(fi->m, fi->n, sizeof(*fi->m), cmp_mnt);
	return err;
}

static const struct mnt *find_mnt(struct fsident *fi, uint32_t id)
{
	struct mnt k = { .id = id };
	const struct mnt *m;

	for (int pass = 0; pass < 2; pass++) {
		if (!fi->loaded || pass)
			load(fi);
		m = fi->n ? bsearch(&k, fi->m, fi->n, sizeof(*fi->m), cmp_mnt) : NULL;
		if (m)
			return m;
	}
	return NULL;
}

int fsident_overlay_layers(const char *lowerdir, char **out, int max, size_t size)
{
	const char *p = lowerdir;
	int n = 0;

	while (*p) {
		size_t o = 0;

		if (n == max)
			return -E2BIG;
		for (; *p && *p != ':'; p++) {
			char c = *p;

			if (c == '\\' && p[1] == ':') {
				c = ':';
				p++;
			} else if (c == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
				   p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
				c = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
				p += 3;
				if (!c)
					return -EINVAL;
			}
			if (o + 1 >= size)
				return -ENAMETOOLONG;
			out[n][o++] = c;
		}
		out[n][o] = '\0';
		if (!o)
			break;		/* "::": the data-only layers follow */
		n++;
		if (*p == ':')
			p++;
	}
	return n;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool xattr_is_y(const char *path, const char *name)
{
	char v[2];

	return lgetxattr(path, name, v, sizeof(v)) == 1 && v[0] == 'y';
}

static bool is_opaque(const char *dir)
{
	return xattr_is_y(dir, "trusted.overlay.opaque") || xattr_is_y(dir, "user.overlay.opaque");
}

/*
 * What one layer says about rel (a path below the overlay's root, no
 * leading '/'): 1 the file is here (*st filled), 0 look further down,
 * -1 nothing below shows through (whiteout, a file over a directory, an
 * opaque directory on the way).
 */
static int layer_lookup(const char *layer, const char *rel, char *path, size_t size,
			struct stat *st)
{
	size_t len;
	bool opaque = false;

	len = (size_t)snprintf(path, size, "%s", layer);
	if (len >= size)
		return 0;
	for (const char *p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t clen = slash ? (size_t)(slash - p) : strlen(p);

		if (len + 1 + clen >= size)
			return 0;
		path[len++] = '/';
		memcpy(path + len, p, clen);
		len += clen;
		path[len] = '\0';
		if (lstat(path, st))
			return opaque ? -1 : 0;
		if (is_whiteout(st))
			return -1;
		if (!slash)
			return S_ISREG(st->st_mode) ? 1 : -1;
		if (!S_ISDIR(st->st_mode))
			return -1;
		if (is_opaque(path))
			opaque = true;	/* lower layers do not show through below here */
		p = slash + 1;
	}
	return 0;
}

static const struct mnt *plain_key(struct fsident *fi, const char *path,
				   const struct stat *st, struct fs_key *k, char *fstype,
				   const char **unmatched);

/* The layer file behind merged file path on overlay mount m, into *k. */
static bool overlay_layer(struct fsident *fi, const struct mnt *m, const char *path,
			  struct fs_key *k)
{
	char real[PATH_MAX], rel[PATH_MAX], lpath[PATH_MAX], fstype[FS_TYPE_LEN];
	size_t mlen = strlen(m->mp);
	const char *unmatched, *rp;
	char **layers = NULL;
	struct stat st;
	bool found = false, root_mp = !strcmp(m->mp, "/");
	int max = 2, n = 0, r;

	if (!m->lower || !realpath(path, real))
		return false;
	if (!root_mp && (strncmp(real, m->mp, mlen) || real[mlen] != '/'))
		return false;
	rp = real + (root_mp ? 0 : mlen);
	if ((size_t)snprintf(rel, sizeof(rel), "%s%s", strcmp(m->root, "/") ? m->root : "", rp) >=
	    sizeof(rel))
		return false;
	for (const char *c = m->lower; *c; c++)
		max += *c == ':';
	if (max > OVL_LAYERS_MAX)
		max = OVL_LAYERS_MAX;
	layers = calloc((size_t)max, sizeof(*layers));
	if (!layers)
		return false;
	for (int i = 0; i < max; i++)
		if (!(layers[i] = malloc(PATH_MAX)))
			goto cleanup;
	if (m->upper) {
		if (fsident_overlay_layers(m->upper, layers, 1, PATH_MAX) != 1)
			goto cleanup;
		n = 1;
	}
	r = fsident_overlay_layers(m->lower, layers + n, max - n, PATH_MAX);
	if (r <= 0)
		goto cleanup;
	n += r;
	/* upper first, then each lower layer, as overlayfs looks a name up */
	for (int i = 0; i < n && !found; i++) {
		if (layers[i][0] != '/')
			break;		/* relative to the mounter's directory: unknown here */
		r = layer_lookup(layers[i], rel + 1, lpath, sizeof(lpath), &st);
		if (r < 0)
			break;
		found = r > 0;
	}
	/* last use of m: plain_key() may re-read the table m points into */
	if (found)
		plain_key(fi, lpath, &st, k, fstype, &unmatched);
cleanup:
	for (int i = 0; i < max; i++)
		free(layers[i]);
	free(layers);
	return found;
}

/* The key of path by the mount it is on (NULL: matched as stat() says). */
static const struct mnt *key_of(struct fsident *fi, const char *path, const struct stat *st,
				struct fs_key *k)
{
	struct statx stx;
	const struct mnt *m;

	k->ino = st->st_ino;
	k->kdev = dev_to_kernel(st->st_dev);
	k->sb_kdev = k->kdev;
	k->match = FS_MATCH_DIRECT;
#ifdef STATX_MNT_ID
	if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return NULL;		/* before 5.8: matched as stat() says */
	m = find_mnt(fi, (uint32_t)stx.stx_mnt_id);
	if (!m)
		return NULL;
	k->sb_kdev = m->kdev;
	if (!strcmp(m->fstype, "overlay"))
		k->match = FS_MATCH_SUPER;
	else if (k->kdev != m->kdev)
		k->match = !strcmp(m->fstype, "btrfs") ? FS_MATCH_SUBVOL : FS_MATCH_SUPER;
	return m;
#else
	(void)stx;
	(void)m;
	(void)fi;
	(void)path;
	return NULL;
#endif
}

/* The key of path, its filesystem type and what cannot be matched; not behind an overlay. */
static const struct mnt *plain_key(struct fsident *fi, const char *path,
				   const struct stat *st, struct fs_key *k, char *fstype,
				   const char **unmatched)
{
	const struct mnt *m = key_of(fi, path, st, k);

	fstype[0] = '\0';
	*unmatched = NULL;
	if (!m)
		return NULL;
	snprintf(fstype, FS_TYPE_LEN, "%s", m->fstype);
	if (is_fuse(m->fstype))
		*unmatched = reason_fuse;
	else if (is_network(m->fstype))
		*unmatched = reason_network;
	else if (k->match == FS_MATCH_SUPER && strcmp(m->fstype, "overlay"))
		*unmatched = reason_dev;
	return m;
}

void fsident_resolve(struct fsident *fi, const char *path, const struct stat *st,
		     struct fs_ident *out)
{
	const struct mnt *m;
	struct statfs sf;

	memset(out, 0, sizeof(*out));
	if (statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
		/*
		 * Every kubelet volume: tmpfs names its files by its superblock,
		 * and a new pod's tokens are not held back by a mount table read.
		 */
		out->key.ino = st->st_ino;
		out->key.kdev = out->key.sb_kdev = dev_to_kernel(st->st_dev);
		snprintf(out->fstype, sizeof(out->fstype), "tmpfs");
		return;
	}
	m = plain_key(fi, path, st, &out->key, out->fstype, &out->unmatched);
	if (!m || strcmp(m->fstype, "overlay"))
		return;
	out->has_layer = overlay_layer(fi, m, path, &out->layer);
	if (!out->has_layer)
		out->unmatched = reason_layer;
}
