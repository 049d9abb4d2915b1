// SPDX-License-Identifier: Apache-2.0
/*
 * test_record_pack.c - a record packed to its contents and back: equal in
 * every member, small, refused when damaged, and the member table covers
 * struct cw_record (a member added to the struct but not to the table
 * would be reset in every aggregated record: this fails first).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/fields.h"
#include "user/record.h"

static int by_offset(const void *a, const void *b)
{
	const struct record_member *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void test_record_pack_table_covers_the_struct(void **state)
{
	const struct record_member *m = NULL;
	struct record_member *v;
	size_t n, end = 0;

	(void)state;
	m = record_members(&n);
	v = malloc(n * sizeof(*v));
	assert_non_null(v);
	memcpy(v, m, n * sizeof(*v));
	qsort(v, n, sizeof(*v), by_offset);
	for (size_t i = 0; i < n; i++) {
		/* no overlap, and a gap only as padding before an aligned member */
		assert_true(v[i].offset >= end);
		assert_true(v[i].offset - end < v[i].align);
		end = v[i].offset + v[i].size;
	}
	assert_true(sizeof(struct cw_record) - end < 8);
	free(v);
}

/* Every member set to something distinct; strings of varied length. */
static void fill(struct cw_record *rec)
{
	const struct record_member *m;
	unsigned char *base = (unsigned char *)rec;
	size_t n;

	m = record_members(&n);
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = base + m[i].offset;

		if (m[i].is_string) {
			size_t len = (i * 37) % (m[i].size - 1);

			for (size_t j = 0; j < len; j++)
				p[j] = (unsigned char)('a' + (i + j) % 26);
			p[len] = '\0';
		} else {
			for (size_t j = 0; j < m[i].size; j++)
				p[j] = (unsigned char)(i * 7 + j + 1);
		}
	}
}

static void test_record_pack_round_trip_is_equal(void **state)
{
	static struct cw_record a, b;
	const struct record_member *m;
	unsigned char *buf;
	size_t n, len;

	(void)state;
	memset(&a, 0x5a, sizeof(a));
	fill(&a);
	len = record_pack(&a, NULL, 0);
	assert_true(len < sizeof(a));
	buf = malloc(len);
	assert_non_null(buf);
	assert_int_equal(record_pack(&a, buf, len), len);
	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(record_unpack(&b, buf, len), 0);
	m = record_members(&n);
	for (size_t i = 0; i < n; i++) {
		const char *pa = (const char *)&a + m[i].offset, *pb = (const char *)&b + m[i].offset;

		if (m[i].is_string)
			assert_string_equal(pa, pb);
		else
			assert_memory_equal(pa, pb, m[i].size);
	}
	for (int id = 0; id < CW_F__COUNT; id++)
		for (int idx = 0; idx <= (field_info(id)->indexed ? CW_ANCESTORS : 0); idx++)
			assert_true(field_equal(&a, &b, id, idx));
	free(buf);
}

static void test_record_pack_of_a_reset_record_is_small(void **state)
{
	static struct cw_record a, b;
	unsigned char buf[4096];
	size_t len;

	(void)state;
	record_reset(&a);
	len = record_pack(&a, buf, sizeof(buf));
	assert_true(len < 1024);
	assert_int_equal(record_unpack(&b, buf, len), 0);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.same_pod, CW_UNKNOWN);
}

static void test_record_unpack_refuses_damage(void **state)
{
	static struct cw_record a, b;
	unsigned char buf[8192];
	size_t len;

	(void)state;
	record_reset(&a);
	snprintf(a.proc_name, sizeof(a.proc_name), "cat");
	len = record_pack(&a, buf, sizeof(buf));
	assert_int_equal(record_unpack(&b, buf, len - 1), -EINVAL);	/* short */
	buf[len] = 0;
	assert_int_equal(record_unpack(&b, buf, len + 1), -EINVAL);	/* trailing */
	/* a string length past its member */
	memset(buf, 0xff, 200);
	assert_int_equal(record_unpack(&b, buf, len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_pack_table_covers_the_struct),
		cmocka_unit_test(test_record_pack_round_trip_is_equal),
		cmocka_unit_test(test_record_pack_of_a_reset_record_is_small),
		cmocka_unit_test(test_record_unpack_refuses_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
