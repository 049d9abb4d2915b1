// SPDX-License-Identifier: Apache-2.0
/*
 * test_fsident.c - the identity the kernel sees, from a mount table: the
 * match mode per filesystem, FUSE and network filesystems reported, and
 * the layer file behind an overlay's merged view (upper first, whiteouts,
 * opaque directories). The mount table is a fixture naming the real mount
 * of a temporary directory (statx's mnt_id) as the filesystem under test;
 * its "merged view" is a plain directory standing in for the overlay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/fsident.h"
#include "user/sensor.h"

struct fx {
	char dir[PATH_MAX];	/* realpath of the temporary directory */
	char table[PATH_MAX + 16];
	uint32_t mnt_id;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char tmpl[] = "/tmp/cw-fsident.XXXXXX";
	struct statx stx;

	if (!fx || !mkdtemp(tmpl) || !realpath(tmpl, fx->dir))
		return -1;
	if (statx(AT_FDCWD, fx->dir, 0, STATX_MNT_ID, &stx) || !(stx.stx_mask & STATX_MNT_ID))
		return -1;
	fx->mnt_id = (uint32_t)stx.stx_mnt_id;
	snprintf(fx->table, sizeof(fx->table), "%s/mountinfo", fx->dir);
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd))
		return -1;
	free(fx);
	return 0;
}

/* Write the fixture table: the directory's mount as fstype, major:minor, super options. */
static void table(struct fx *fx, const char *mp, const char *fstype, unsigned int maj,
		  unsigned int min, const char *opts)
{
	FILE *f = fopen(fx->table, "w");

	assert_non_null(f);
	fprintf(f, "1 0 8:1 / / rw - ext4 /dev/sda rw\n");
	fprintf(f, "%u 1 %u:%u / %s rw shared:5 - %s src %s\n", fx->mnt_id, maj, min, mp, fstype,
		opts);
	assert_int_equal(fclose(f), 0);
}

/* Create dir/rel (and its parents) as a regular file; return its stat. */
static struct stat mkfile(const struct fx *fx, const char *rel)
{
	char path[PATH_MAX * 2], *slash;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	for (slash = strchr(path + strlen(fx->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	return st;
}

static void resolve(struct fx *fx, const char *rel, struct fs_ident *id)
{
	struct fsident *fi;
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(fsident_new(&fi, fx->table), 0);
	fsident_resolve(fi, path, &st, id);
	fsident_free(fi);
}

static void test_overlay_layers_split_at_unescaped_colons(void **state)
{
	char bufs[4][64], *out[4] = { bufs[0], bufs[1], bufs[2], bufs[3] };

	(void)state;
	assert_int_equal(fsident_overlay_layers("/a:/b\\:c:/d\\040e::/data", out, 4, 64), 3);
	assert_string_equal(out[0], "/a");
	assert_string_equal(out[1], "/b:c");
	assert_string_equal(out[2], "/d e");
	assert_int_equal(fsident_overlay_layers("/only", out, 4, 64), 1);
	assert_string_equal(out[0], "/only");
	assert_int_equal(fsident_overlay_layers("", out, 4, 64), 0);
	assert_int_equal(fsident_overlay_layers("/a:/b:/c:/d:/e", out, 4, 64), -E2BIG);
	assert_int_equal(fsident_overlay_layers("/a\\000", out, 4, 64), -EINVAL);
	assert_int_equal(fsident_overlay_layers("/a-very-long-layer-name-that-does-not-fit-in-"
						"sixty-four-bytes-at-all", out, 4, 64),
			 -ENAMETOOLONG);
}

static void test_direct_when_stat_agrees_with_the_superblock(void **state)
{
	struct fx *fx = *state;
	struct stat st = mkfile(fx, "plain.key");
	struct fs_ident id;

	table(fx, "/x", "ext4", major(st.st_dev), minor(st.st_dev), "rw");
	resolve(fx, "plain.key", &id);
	assert_int_equal(id.key.match, FS_MATCH_DIRECT);
	assert_int_equal(id.key.kdev, dev_to_kernel(st.st_dev));
	assert_int_equal(id.key.sb_kdev, dev_to_kernel(st.st_dev));
	assert_int_equal(id.key.ino, st.st_ino);
	assert_string_equal(id.fstype, "ext4");
	assert_null(id.unmatched);
	assert_false(id.has_layer);
}

static void test_btrfs_subvolume_device_is_checked_under_the_superblocks(void **state)
{
	struct fx *fx = *state;
	struct stat st = mkfile(fx, "sub.key");
	struct fs_ident id;

	table(fx, "/x", "btrfs", 0, 4242, "rw,subvolid=5,subvol=/");
	resolve(fx, "sub.key", &id);
	assert_int_equal(id.key.match, FS_MATCH_SUBVOL);
	assert_int_equal(id.key.kdev, dev_to_kernel(st.st_dev));	/* the subvolume's */
	assert_int_equal(id.key.sb_kdev, dev_to_kernel(makedev(0, 4242)));
	assert_int_equal(fs_key_lookup_dev(&id.key), dev_to_kernel(makedev(0, 4242)));
	assert_null(id.unmatched);
}

static void test_other_device_mismatch_is_matched_by_superblock_and_reported(void **state)
{
	struct fx *fx = *state;
	struct fs_ident id;

	mkfile(fx, "odd.key");
	table(fx, "/x", "somefs", 0, 4243, "rw");
	resolve(fx, "odd.key", &id);
	assert_int_equal(id.key.match, FS_MATCH_SUPER);
	assert_int_equal(fs_key_lookup_dev(&id.key), dev_to_kernel(makedev(0, 4243)));
	assert_non_null(id.unmatched);
	assert_non_null(strstr(id.unmatched, "superblock"));
}

static void test_fuse_and_network_filesystems_are_reported(void **state)
{
	static const char *const types[] = { "fuse.sshfs", "fuse", "fuseblk", "nfs4", "cifs",
					     "9p", "ceph" };
	struct fx *fx = *state;
	struct stat st = mkfile(fx, "remote.key");
	struct fs_ident id;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		table(fx, "/x", types[i], major(st.st_dev), minor(st.st_dev), "rw");
		resolve(fx, "remote.key", &id);
		assert_int_equal(id.key.match, FS_MATCH_DIRECT);
		assert_string_equal(id.fstype, types[i]);
		assert_non_null(id.unmatched);
		assert_non_null(strstr(id.unmatched, i < 3 ? "FUSE" : "network"));
	}
}

static void test_unknown_mount_is_matched_as_stat_says(void **state)
{
	struct fx *fx = *state;
	struct stat st = mkfile(fx, "nomount.key");
	FILE *f = fopen(fx->table, "w");
	struct fs_ident id;

	assert_non_null(f);
	fputs("garbage\n1 0 8:1 / / rw - ext4 /dev/sda rw\n", f);
	assert_int_equal(fclose(f), 0);
	resolve(fx, "nomount.key", &id);
	assert_int_equal(id.key.match, FS_MATCH_DIRECT);
	assert_int_equal(fs_key_lookup_dev(&id.key), dev_to_kernel(st.st_dev));
	assert_string_equal(id.fstype, "");
	assert_null(id.unmatched);
}

/* An overlay whose merged view is <dir>/m, upper <dir>/u, lower <dir>/l1:<dir>/l2. */
static void overlay_table(struct fx *fx)
{
	char mp[PATH_MAX + 8], opts[PATH_MAX * 4];

	snprintf(mp, sizeof(mp), "%s/m", fx->dir);
	snprintf(opts, sizeof(opts), "rw,lowerdir=%s/l1:%s/l2,upperdir=%s/u,workdir=%s/w",
		 fx->dir, fx->dir, fx->dir, fx->dir);
	table(fx, mp, "overlay", 0, 77, opts);
}

static void test_overlay_layer_is_upper_first_then_each_lower(void **state)
{
	struct fx *fx = *state;
	struct stat l1, l2, up;
	struct fs_ident id;

	mkfile(fx, "m/etc/a.key");
	l2 = mkfile(fx, "l2/etc/a.key");
	overlay_table(fx);
	resolve(fx, "m/etc/a.key", &id);
	assert_int_equal(id.key.match, FS_MATCH_SUPER);
	assert_int_equal(id.key.sb_kdev, dev_to_kernel(makedev(0, 77)));
	assert_string_equal(id.fstype, "overlay");
	assert_true(id.has_layer);
	assert_null(id.unmatched);
	assert_int_equal(id.layer.ino, l2.st_ino);
	assert_int_equal(id.layer.kdev, dev_to_kernel(l2.st_dev));

	l1 = mkfile(fx, "l1/etc/a.key");	/* a higher lower layer shadows l2 */
	resolve(fx, "m/etc/a.key", &id);
	assert_int_equal(id.layer.ino, l1.st_ino);

	up = mkfile(fx, "u/etc/a.key");		/* copied up: the upper file is the one */
	resolve(fx, "m/etc/a.key", &id);
	assert_int_equal(id.layer.ino, up.st_ino);
}

static void test_overlay_opaque_dir_hides_the_lower_layers(void **state)
{
	struct fx *fx = *state;
	char dir[PATH_MAX + 16];
	struct fs_ident id;

	mkfile(fx, "m/opq/b.key");
	mkfile(fx, "l1/opq/b.key");
	mkfile(fx, "u/opq/other");
	overlay_table(fx);
	resolve(fx, "m/opq/b.key", &id);
	assert_true(id.has_layer);		/* not opaque yet: found in l1 */
	snprintf(dir, sizeof(dir), "%s/u/opq", fx->dir);
	/* overlayfs reads either name; the trusted one needs root, which make test has */
	if (setxattr(dir, "user.overlay.opaque", "y", 1, 0) &&
	    setxattr(dir, "trusted.overlay.opaque", "y", 1, 0))
		fail_msg("%s: cannot mark the directory opaque: %s", dir, strerror(errno));
	resolve(fx, "m/opq/b.key", &id);
	assert_false(id.has_layer);
	assert_non_null(id.unmatched);
	assert_non_null(strstr(id.unmatched, "layer file"));
}

static void test_overlay_whiteout_and_file_over_dir_stop_the_lookup(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX + 32];
	struct fs_ident id;

	mkfile(fx, "m/wh/c.key");
	mkfile(fx, "l2/wh/c.key");
	mkfile(fx, "l1/wh/keep");
	overlay_table(fx);
	resolve(fx, "m/wh/c.key", &id);
	assert_true(id.has_layer);
	/* a regular file in l1 over l2's directory hides everything below it */
	mkfile(fx, "m/fd/d.key");
	mkfile(fx, "l2/fd/d.key");
	mkfile(fx, "l1/fd");
	resolve(fx, "m/fd/d.key", &id);
	assert_false(id.has_layer);
	snprintf(path, sizeof(path), "%s/l1/wh/c.key", fx->dir);
	if (mknod(path, S_IFCHR | 0000, makedev(0, 0)))	/* make test runs as root */
		fail_msg("mknod %s: %s (a whiteout needs CAP_MKNOD)", path, strerror(errno));
	resolve(fx, "m/wh/c.key", &id);
	assert_false(id.has_layer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_layers_split_at_unescaped_colons),
		cmocka_unit_test_setup_teardown(test_direct_when_stat_agrees_with_the_superblock,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_btrfs_subvolume_device_is_checked_under_the_superblocks,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_other_device_mismatch_is_matched_by_superblock_and_reported,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fuse_and_network_filesystems_are_reported,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_mount_is_matched_as_stat_says,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_overlay_layer_is_upper_first_then_each_lower,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_overlay_opaque_dir_hides_the_lower_layers,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_overlay_whiteout_and_file_over_dir_stop_the_lookup,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
