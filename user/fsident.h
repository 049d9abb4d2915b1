/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsident.h - the identity the kernel program will see for a file.
 *
 * The sensor matches an open by (inode->i_sb->s_dev, inode->i_ino). stat()
 * agrees with that on most filesystems, but not everywhere:
 *  - btrfs: st_dev is the subvolume's anonymous device (each subvolume,
 *    the top level too, has one) and inode numbers repeat across
 *    subvolumes; s_dev is the superblock's. The kernel program looks up
 *    the superblock's key first and checks the subvolume on a hit only.
 *  - overlayfs: an open through the merged view is of the overlay inode
 *    (the overlay's s_dev; i_ino is what stat shows), an open through the
 *    layer's own path is of the layer's inode: two keys, one credential.
 *    The layer file behind the merged view is found like overlayfs does:
 *    upper layer first, then the lower layers in order, stopping at a
 *    whiteout, at a non-directory over a directory, or below an opaque
 *    directory.
 *  - FUSE and network filesystems: the inode number is the server's, and
 *    the bytes can be read without an open on this node; credentials there
 *    are watched as stat() names them and reported (fs_ident.unmatched).
 * The superblock's device and the filesystem type come from the mount the
 * file is on: statx(STATX_MNT_ID) names it, /proc/self/mountinfo
 * describes it (mnt_id, major:minor, fstype, super options).
 */
#ifndef CW_FSIDENT_H
#define CW_FSIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* How the kernel program finds a file's key (fs_key.match). */
enum fs_match {
	FS_MATCH_DIRECT = 0,	/* (st_dev, st_ino) is the kernel's (s_dev, i_ino) */
	FS_MATCH_SUPER,		/* (superblock device, st_ino): overlayfs, other mismatches */
	FS_MATCH_SUBVOL,	/* btrfs: superblock device first, the subvolume (st_dev) on a hit */
};

/* One inode as the kernel will name it. */
struct fs_key {
	uint64_t ino;		/* st_ino */
	uint32_t kdev;		/* st_dev, kernel encoding */
	uint32_t sb_kdev;	/* the superblock's device, kernel encoding (kdev if unknown) */
	uint8_t match;		/* enum fs_match */
};

#define FS_TYPE_LEN	16

struct fs_ident {
	struct fs_key key;
	bool has_layer;		/* overlayfs: layer is the file behind the merged view */
	struct fs_key layer;
	char fstype[FS_TYPE_LEN]; /* the mount's type ("" when unknown), cut to fit */
	const char *unmatched;	/* NULL, or why reads may go unseen (a static string) */
};

/* The key the kernel program looks up first for k (before any subvolume check). */
static inline uint32_t fs_key_lookup_dev(const struct fs_key *k)
{
	return k->match == FS_MATCH_DIRECT ? k->kdev : k->sb_kdev;
}

struct fsident;

/*
 * fsident_new - resolve identities against the mount table at
 * mountinfo_path ("/proc/self/mountinfo"), read when first needed and again
 * after fsident_invalidate() or when a file is on a mount it does not know.
 */
int fsident_new(struct fsident **out, const char *mountinfo_path);
void fsident_free(struct fsident *fi);
void fsident_invalidate(struct fsident *fi);

/*
 * fsident_resolve - the identity of the file at path (an absolute path in
 * this mount namespace) whose stat() is st. Never fails: what cannot be
 * found out is matched as stat() says (FS_MATCH_DIRECT) and, where that is
 * known to be wrong, out->unmatched says so.
 */
void fsident_resolve(struct fsident *fi, const char *path, const struct stat *st,
		     struct fs_ident *out);

/*
 * fsident_overlay_layers - split an overlay "lowerdir=" value (as in
 * mountinfo, \ooo already decoded by the caller or not) at unescaped ':'
 * into at most max layers, decoding "\:" and \ooo in each. Data-only
 * layers (after "::") are not layers of the merged view and are left out.
 * Returns the count, or -EINVAL / -ENAMETOOLONG / -E2BIG.
 */
int fsident_overlay_layers(const char *lowerdir, char **out, int max, size_t size);

#endif /* CW_FSIDENT_H */
