// SPDX-License-Identifier: Apache-2.0
/* test_rootfs.c - a process's root directory found among our own mounts by (device, inode). */
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
#include <unistd.h>
#include <cmocka.h>

#include "user/passwd.h"
#include "user/rootfs.h"

/* The agent's view: its own root, host mounts under /host, the runtime's rootfs mounts. */
static const char *OURS =
	"20 1 0:30 / / ro - overlay overlay rw\n"
	"21 20 8:1 /var/lib/kube /host/var/lib/kube ro - ext4 /dev/sda1 rw\n"
	"garbage line\n"
	"22 20 8:1 /var/lib/pods /host/var/lib/pods\\040x ro - ext4 /dev/sda1 rw\n"
	"23 20 0:22 / /host/run/containerd/io.containerd.runtime.v2.task rw shared:5 - tmpfs tmpfs rw\n"
	"49 23 0:40 / /host/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs rw "
	"master:2 - overlay overlay rw\n";

static void test_rootfs_mount_of_lists_the_mounts_of_a_device(void **state)
{
	char path[PATH_MAX];

	assert_int_equal(rootfs_mount_of(OURS, strlen(OURS), 0, 40, 0, path, sizeof(path)), 0);
	assert_string_equal(path, "/host/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs");
	assert_int_equal(rootfs_mount_of(OURS, strlen(OURS), 0, 40, 1, path, sizeof(path)), -ENOENT);
	assert_int_equal(rootfs_mount_of(OURS, strlen(OURS), 8, 1, 0, path, sizeof(path)), 0);
	assert_string_equal(path, "/host/var/lib/kube");
	assert_int_equal(rootfs_mount_of(OURS, strlen(OURS), 8, 1, 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/host/var/lib/pods x");	/* \040 undone */
	assert_int_equal(rootfs_mount_of(OURS, strlen(OURS), 9, 9, 0, path, sizeof(path)), -ENOENT);
	assert_int_equal(rootfs_mount_of(OURS, strlen(OURS), 0, 40, 0, path, 8), -ENAMETOOLONG);
	assert_int_equal(rootfs_mount_of("", 0, 0, 40, 0, path, sizeof(path)), -ENOENT);
	/* a line cut short is no mount */
	assert_int_equal(rootfs_mount_of("49 23 0:40 / /x", 15, 0, 40, 0, path, sizeof(path)),
			 -ENOENT);
}

/* Our own "/" is a mount point: found by (device, inode), no pid needed. */
static void test_rootfs_open_finds_a_root_among_our_mounts(void **state)
{
	char name[PASSWD_NAME_MAX];
	struct stat st;
	int fd;

	assert_int_equal(stat("/", &st), 0);
	fd = rootfs_open("/nonexistent/proc", 4242, st.st_dev, st.st_ino);
	assert_true(fd >= 0);
	assert_int_equal(passwd_lookup_at(fd, 0, name, sizeof(name)), 0);	/* root */
	close(fd);
}

/*
 * Not a mount point, and /proc/<pid>/root is another directory: nothing.
 * A pid reused by a stranger (or a reader that chrooted) is not trusted.
 */
static void test_rootfs_open_refuses_another_directory(void **state)
{
	char d[] = "/tmp/cwrfs.XXXXXX";
	struct stat st;

	assert_non_null(mkdtemp(d));
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(rootfs_open("/proc", (uint32_t)getpid(), st.st_dev, st.st_ino), -ENOENT);
	assert_int_equal(rootfs_open("/nonexistent/proc", 1, st.st_dev, st.st_ino), -ENOENT);
	rmdir(d);
}

/* No identity from the kernel (old event): /proc/<pid>/root when allowed. */
static void test_rootfs_open_uses_proc_root_when_allowed(void **state)
{
	char name[PASSWD_NAME_MAX];
	int fd = rootfs_open("/proc", (uint32_t)getpid(), 0, 0);

	assert_true(fd >= 0);
	assert_int_equal(passwd_lookup_at(fd, 0, name, sizeof(name)), 0);
	close(fd);
	assert_int_equal(rootfs_open("/nonexistent/proc", 4242, 0, 0), -ENOENT);
}

/* Below the root, a container's absolute symlink resolves inside it. */
static void test_rootfs_passwd_symlink_stays_inside(void **state)
{
	char d[] = "/tmp/cwrfs.XXXXXX", cmd[PATH_MAX * 3], name[PASSWD_NAME_MAX];
	int fd;

	assert_non_null(mkdtemp(d));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/ctr/etc && echo 'leak:x:4242:4242::/:' > %s/decoy && "
		 "ln -s %s/decoy %s/ctr/etc/passwd", d, d, d, d);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/ctr", d);
	fd = open(cmd, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(passwd_lookup_at(fd, 4242, name, sizeof(name)), -ENOENT);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rootfs_mount_of_lists_the_mounts_of_a_device),
		cmocka_unit_test(test_rootfs_open_finds_a_root_among_our_mounts),
		cmocka_unit_test(test_rootfs_open_refuses_another_directory),
		cmocka_unit_test(test_rootfs_open_uses_proc_root_when_allowed),
		cmocka_unit_test(test_rootfs_passwd_symlink_stays_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
