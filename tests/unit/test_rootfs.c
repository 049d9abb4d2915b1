// SPDX-License-Identifier: Apache-2.0
/* test_rootfs.c - a process's root filesystem found through mountinfo. */
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
#include <unistd.h>
#include <cmocka.h>

#include "user/passwd.h"
#include "user/rootfs.h"

/* A container's view: its overlay at "/", then stacked on top (the last wins). */
static const char *CTR =
	"76 51 0:40 / / rw,relatime master:2 - overlay overlay rw,lowerdir=/l,upperdir=/u\n"
	"77 76 0:43 / /proc rw,nosuid - proc proc rw\n"
	"garbage line\n"
	"78 76 0:44 / /dev rw,nosuid - tmpfs tmpfs rw\n";
static const char *STACKED =
	"76 51 0:40 / / rw - overlay overlay rw\n"
	"90 76 8:1 /var/lib/pods/web\\040one / rw - ext4 /dev/sda1 rw\n";
/* The agent's view: its own root, host mounts under /host, the runtime's rootfs mounts. */
static const char *OURS =
	"20 1 0:30 / / ro - overlay overlay rw\n"
	"21 20 8:1 /var/lib/kube /host/var/lib/kube ro - ext4 /dev/sda1 rw\n"
	"22 20 8:1 /var/lib/pods /host/var/lib/pods ro - ext4 /dev/sda1 rw\n"
	"23 20 0:22 / /host/run/containerd/io.containerd.runtime.v2.task rw shared:5 - tmpfs tmpfs rw\n"
	"49 23 0:40 / /host/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs rw "
	"master:2 - overlay overlay rw\n";

static void test_rootfs_root_mount_takes_the_last_mount_on_slash(void **state)
{
	char root[PATH_MAX];
	uint32_t maj, min;

	assert_int_equal(rootfs_root_mount(CTR, strlen(CTR), &maj, &min, root, sizeof(root)), 0);
	assert_int_equal(maj, 0);
	assert_int_equal(min, 40);
	assert_string_equal(root, "/");
	assert_int_equal(rootfs_root_mount(STACKED, strlen(STACKED), &maj, &min, root,
					   sizeof(root)), 0);
	assert_int_equal(maj, 8);
	assert_int_equal(min, 1);
	assert_string_equal(root, "/var/lib/pods/web one");	/* \040 undone */
	assert_int_equal(rootfs_root_mount("77 76 0:43 / /proc rw - proc proc rw\n", 37, &maj,
					   &min, root, sizeof(root)), -ENOENT);
	assert_int_equal(rootfs_root_mount("", 0, &maj, &min, root, sizeof(root)), -ENOENT);
	assert_int_equal(rootfs_root_mount(CTR, strlen(CTR), &maj, &min, root, 1), -ENAMETOOLONG);
}

static void test_rootfs_find_mount_joins_the_rest_of_the_root(void **state)
{
	char path[PATH_MAX];

	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 0, 40, "/", 0, path,
					   sizeof(path)), 0);
	assert_string_equal(path, "/host/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs");
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 0, 40, "/", 1, path,
					   sizeof(path)), -ENOENT);
	/* a directory below a mount's root; "/var/lib/kube" is no prefix of "/var/lib/kubelet" */
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 8, 1, "/var/lib/pods/web one", 0,
					   path, sizeof(path)), 0);
	assert_string_equal(path, "/host/var/lib/pods/web one");
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 8, 1, "/var/lib/kubelet/x", 0,
					   path, sizeof(path)), -ENOENT);
	/* the host's root filesystem is not mounted whole: its "/" is out of reach */
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 8, 1, "/", 0, path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 9, 9, "/", 0, path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 0, 40, "/", 0, path, 8),
			 -ENAMETOOLONG);
	/* our own "/" on that device: the rest alone */
	assert_int_equal(rootfs_find_mount(OURS, strlen(OURS), 0, 30, "/etc", 0, path,
					   sizeof(path)), 0);
	assert_string_equal(path, "/etc");
}

/* The mount of our own namespace holding dir, as (device, root within it). */
static void own_mount_of(const char *dir, uint32_t *maj, uint32_t *min, char *root, size_t size)
{
	char line[4096], mp[PATH_MAX], mroot[PATH_MAX];
	size_t best = 0;
	struct stat st;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	unsigned a, b;

	assert_non_null(f);
	assert_int_equal(stat(dir, &st), 0);
	*maj = major(st.st_dev);
	*min = minor(st.st_dev);
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		if (sscanf(line, "%*s %*s %u:%u %s %s", &a, &b, mroot, mp) != 4 ||
		    a != *maj || b != *min)
			continue;
		n = strlen(mp);
		if (strncmp(dir, mp, n) || (dir[n] != '/' && dir[n] && strcmp(mp, "/")))
			continue;
		if (n >= best) {
			best = n;
			snprintf(root, size, "%s%s", strcmp(mroot, "/") ? mroot : "",
				 !strcmp(mp, "/") ? dir : dir + n);
		}
	}
	fclose(f);
	assert_true(best > 0);
}

/*
 * A "process" whose proc entry has no usable root link, only a mountinfo
 * naming a directory of ours: found by device, and passwd_lookup_at stays
 * inside it even through an absolute symlink.
 */
static void test_rootfs_open_by_mountinfo_finds_the_directory(void **state)
{
	char d[] = "/tmp/cwrfs.XXXXXX", p[PATH_MAX + 64], root[PATH_MAX], name[PASSWD_NAME_MAX];
	uint32_t maj, min;
	FILE *f;
	int fd;

	assert_non_null(mkdtemp(d));
	snprintf(p, sizeof(p), "mkdir -p %s/ctr/etc %s/proc/4242 && "
		 "echo 'app:x:4242:4242::/:/bin/sh' > %s/ctr/etc/passwd", d, d, d);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/ctr", d);
	own_mount_of(p, &maj, &min, root, sizeof(root));
	snprintf(p, sizeof(p), "%s/proc/4242/mountinfo", d);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "76 51 %u:%u %s / rw - ext4 x rw\n", maj, min, root);
	fclose(f);

	snprintf(p, sizeof(p), "%s/proc", d);
	fd = rootfs_open_by_mountinfo(p, 4242);
	assert_true(fd >= 0);
	assert_int_equal(passwd_lookup_at(fd, 4242, name, sizeof(name)), 0);
	assert_string_equal(name, "app");
	/* an absolute symlink to a file of ours resolves inside the root, not here */
	snprintf(p, sizeof(p), "echo 'leak:x:4242:4242::/:' > %s/decoy && "
		 "ln -sf %s/decoy %s/ctr/etc/passwd", d, d, d);
	assert_int_equal(system(p), 0);
	assert_int_equal(passwd_lookup_at(fd, 4242, name, sizeof(name)), -ENOENT);
	close(fd);
	/* rootfs_open: no root link in this fake proc, and ENOENT is not a refusal */
	assert_int_equal(rootfs_open(p, 4242), -ENOENT);
	assert_int_equal(rootfs_open_by_mountinfo(p, 4243), -ENOENT);

	/* a root on a device we have not mounted: nothing */
	snprintf(p, sizeof(p), "%s/proc/4242/mountinfo", d);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "76 51 250:99 / / rw - ext4 x rw\n");
	fclose(f);
	snprintf(p, sizeof(p), "%s/proc", d);
	assert_int_equal(rootfs_open_by_mountinfo(p, 4242), -ENOENT);
	snprintf(p, sizeof(p), "rm -rf %s", d);
	assert_int_equal(system(p), 0);
}

static void test_rootfs_open_uses_proc_root_when_allowed(void **state)
{
	char name[PASSWD_NAME_MAX];
	int fd = rootfs_open("/proc", (uint32_t)getpid());

	assert_true(fd >= 0);
	/* our own root's passwd has uid 0 */
	assert_int_equal(passwd_lookup_at(fd, 0, name, sizeof(name)), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rootfs_root_mount_takes_the_last_mount_on_slash),
		cmocka_unit_test(test_rootfs_find_mount_joins_the_rest_of_the_root),
		cmocka_unit_test(test_rootfs_open_by_mountinfo_finds_the_directory),
		cmocka_unit_test(test_rootfs_open_uses_proc_root_when_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
