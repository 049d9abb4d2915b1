// SPDX-License-Identifier: Apache-2.0
/* test_creds.c - the credential table: ids, indexes, generations, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "user/creds.h"

static struct cred_entry entry(const char *path, uint64_t ino, const char *group)
{
	struct cred_entry c;

	memset(&c, 0, sizeof(c));
	c.path = path;		/* creds_add copies the strings */
	c.group = group;
	c.ino = ino;
	c.kdev = 7;
	return c;
}

static void test_creds_finds_by_id_path_inode_and_group(void **state)
{
	struct creds *t;
	struct cred_entry a = entry("/a", 1, "pod:x"), b = entry("/b", 2, "pod:x"),
			  c = entry("/c", 3, "host");
	const struct cred_entry *e;
	uint32_t ida, idb, idc, cursor = 0;
	int n = 0;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(creds_add(t, &a, &ida), 0);
	assert_int_equal(creds_add(t, &b, &idb), 0);
	assert_int_equal(creds_add(t, &c, &idc), 0);
	assert_string_equal(creds_get(t, idb)->path, "/b");
	assert_int_equal(creds_find_path(t, "/c")->id, idc);
	assert_int_equal(creds_find_inode(t, 1, 7)->id, ida);
	assert_null(creds_find_inode(t, 1, 8));
	while ((e = creds_group_next(t, "pod:x", &cursor)))
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(creds_count(t), 3);
	creds_free(t);
}

static void test_creds_stale_id_is_not_found_after_slot_reuse(void **state)
{
	struct creds *t;
	struct cred_entry a = entry("/a", 1, "host"), b = entry("/b", 2, "host");
	uint32_t ida, idb;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(creds_add(t, &a, &ida), 0);
	assert_int_equal(creds_remove(t, ida), 0);
	assert_int_equal(creds_add(t, &b, &idb), 0);
	assert_int_not_equal(ida, idb);
	assert_null(creds_get(t, ida));
	assert_null(creds_find_path(t, "/a"));
	assert_null(creds_find_inode(t, 1, 7));
	assert_string_equal(creds_get(t, idb)->path, "/b");
	assert_int_equal(creds_remove(t, ida), -ENOENT);
	creds_free(t);
}

static void test_creds_full_table_reports_enospc(void **state)
{
	struct creds *t;
	uint32_t id;
	char path[32];
	int err = 0, i;

	assert_int_equal(creds_new(&t, 300), 0);
	for (i = 0; i < 400 && !err; i++) {
		struct cred_entry c;

		snprintf(path, sizeof(path), "/f%d", i);
		c = entry(path, (uint64_t)i + 1, "host");
		err = creds_add(t, &c, &id);
	}
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(creds_count(t), 300);
	creds_free(t);
}

static void test_creds_group_iteration_survives_removal(void **state)
{
	struct creds *t;
	const struct cred_entry *e;
	uint32_t id, cursor = 0;
	char path[32];
	int seen = 0;

	assert_int_equal(creds_new(&t, 0), 0);
	for (int i = 0; i < 50; i++) {
		struct cred_entry c;

		snprintf(path, sizeof(path), "/p%d", i);
		c = entry(path, (uint64_t)i + 1, i % 2 ? "pod:a" : "pod:b");
		assert_int_equal(creds_add(t, &c, &id), 0);
	}
	while ((e = creds_group_next(t, "pod:a", &cursor))) {
		assert_string_equal(e->group, "pod:a");
		assert_int_equal(creds_remove(t, e->id), 0);
		seen++;
	}
	assert_int_equal(seen, 25);
	assert_int_equal(creds_count(t), 25);
	creds_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creds_finds_by_id_path_inode_and_group),
		cmocka_unit_test(test_creds_stale_id_is_not_found_after_slot_reuse),
		cmocka_unit_test(test_creds_full_table_reports_enospc),
		cmocka_unit_test(test_creds_group_iteration_survives_removal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
