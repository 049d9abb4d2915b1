// SPDX-License-Identifier: Apache-2.0
/* test_fields.c - the field vocabulary: lookup, get, set, format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <cmocka.h>

#include "user/fields.h"

static void test_fields_lookup_accepts_design_names(void **state)
{
	static const char *const names[] = {
		"evt.time", "evt.type", "evt.res", "proc.pid", "proc.tid", "proc.name",
		"proc.exepath", "proc.cmdline", "proc.ppid", "proc.pname", "proc.pcmdline",
		"proc.aname[2]", "proc.apid[1]", "proc.tty", "proc.sid", "user.uid",
		"user.name", "user.loginuid", "fd.name", "fd.ino", "fd.dev", "fd.flags",
		"container.id", "container.name", "container.image.repository",
		"k8s.ns.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.sa", "cred.kind",
		"cred.path", "cred.owner.ns", "cred.owner.pod", "cred.owner.sa",
		"cred.secret.name", "cred.same_pod", "k8s.cluster.name", "cloud.provider",
		"cloud.region",
	};
	int idx;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(field_lookup(names[i], &idx) >= 0);
}

static void test_fields_lookup_rejects_bad_names_and_indexes(void **state)
{
	int idx;

	assert_int_equal(field_lookup("proc.nope", &idx), -ENOENT);
	assert_int_equal(field_lookup("proc.aname", &idx), -EINVAL);
	assert_int_equal(field_lookup("proc.aname[9]", &idx), -EINVAL);
	assert_int_equal(field_lookup("proc.aname[x]", &idx), -EINVAL);
	assert_int_equal(field_lookup("proc.aname[1", &idx), -EINVAL);
	assert_int_equal(field_lookup("proc.name[1]", &idx), -EINVAL);
	assert_int_equal(field_lookup("proc.aname[3]", &idx), CW_F_PROC_ANAME);
	assert_int_equal(idx, 3);
}

static void test_fields_get_set_roundtrip(void **state)
{
	struct cw_record rec;
	struct cw_value v;
	char buf[32];

	record_reset(&rec);
	assert_int_equal(field_set_str(&rec, CW_F_K8S_POD_NAME, 0, "web-1"), 0);
	assert_int_equal(field_set_u64(&rec, CW_F_PROC_APID, 2, 77), 0);
	assert_int_equal(field_set_str(&rec, CW_F_EVT_TYPE, 0, "openat2"), 0);
	assert_int_equal(field_set_str(&rec, CW_F_PROC_PID, 0, "x"), -EINVAL);
	field_get(&rec, CW_F_K8S_POD_NAME, 0, &v);
	assert_string_equal(v.str, "web-1");
	field_get(&rec, CW_F_PROC_APID, 2, &v);
	assert_int_equal(v.u64, 77);
	field_get(&rec, CW_F_EVT_TYPE, 0, &v);
	assert_string_equal(field_format(&v, buf, sizeof(buf)), "openat2");
	field_get(&rec, CW_F_CRED_SAME_POD, 0, &v);
	assert_false(v.is_set);
	assert_string_equal(field_format(&v, buf, sizeof(buf)), "<NA>");
}

static void test_open_flags_format_names_bits(void **state)
{
	char buf[160];

	open_flags_format(01 | 0100 | 01000 | 02000000, buf, sizeof(buf));
	assert_string_equal(buf, "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	open_flags_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "O_RDONLY");
}

static void test_record_reset_clears_a_record_full_of_garbage(void **state)
{
	static struct cw_record rec;
	struct cw_value v;

	(void)state;
	memset(&rec, 0xa5, sizeof(rec));
	record_reset(&rec);
	for (int id = 0; id < CW_F__COUNT; id++) {
		int last = field_info(id)->indexed ? CW_ANCESTORS : 0;

		for (int idx = 0; idx <= last; idx++) {
			field_get(&rec, id, idx, &v);
			if (v.type == CW_FT_STR || v.type == CW_FT_BOOL)
				assert_false(v.is_set);
			else if (id == CW_F_EVT_COUNT)
				assert_int_equal(v.u64, 1);	/* one open, unless aggregated */
			else
				assert_int_equal(v.u64, 0);
		}
	}
	/* members no field reads directly */
	assert_int_equal(rec.gid, 0);
	assert_int_equal(rec.open_flags, 0);
	assert_int_equal(rec.cgroup_id, 0);
	assert_int_equal(rec.mnt_ns, 0);
	assert_int_equal(rec.pid_ns, 0);
	assert_int_equal(rec.cred_id, 0);
	assert_int_equal(rec.ev_flags, 0);
	assert_string_equal(rec.proc_pname, "");
	for (int i = 0; i <= CW_ANCESTORS; i++) {
		assert_int_equal(rec.apid[i], 0);
		assert_string_equal(rec.aname[i], "");
	}
}

static void test_open_flags_format_cuts_at_the_buffer(void **state)
{
	char buf[12];

	(void)state;
	open_flags_format(O_WRONLY | O_CREAT | O_TRUNC, buf, sizeof(buf));
	assert_string_equal(buf, "O_WRONLY|O_");
	open_flags_format(O_RDWR, buf, 4);
	assert_string_equal(buf, "O_R");
}

/* field_equal says what comparing two field_get() values says, field by field */
static void test_field_equal_agrees_with_field_get(void **state)
{
	static struct cw_record a, b;
	struct cw_value va, vb;

	(void)state;
	record_reset(&a);
	record_reset(&b);
	a.syscall = 2;
	b.syscall = 2;
	field_set_str(&a, CW_F_PROC_NAME, 0, "cat");
	field_set_str(&b, CW_F_PROC_NAME, 0, "cut");
	field_set_str(&a, CW_F_PROC_ANAME, 2, "bash");
	field_set_str(&b, CW_F_PROC_ANAME, 2, "bash");
	field_set_u64(&a, CW_F_PROC_APID, 3, 7);
	field_set_u64(&a, CW_F_CRED_SAME_POD, 0, 1);
	field_set_u64(&b, CW_F_CRED_SAME_POD, 0, 1);
	field_set_u64(&a, CW_F_PROC_IS_EXEC_SESSION, 0, 0);
	field_set_u64(&a, CW_F_EVT_RES, 0, 3);
	field_set_u64(&b, CW_F_EVT_RES, 0, 4);
	for (int id = 0; id < CW_F__COUNT; id++) {
		int last = field_info(id)->indexed ? CW_ANCESTORS : 0;

		for (int idx = 0; idx <= last; idx++) {
			bool same;

			field_get(&a, id, idx, &va);
			field_get(&b, id, idx, &vb);
			same = va.is_set == vb.is_set &&
			       (!va.is_set || (va.type == CW_FT_STR ? !strcmp(va.str, vb.str) :
					       va.u64 == vb.u64 && va.s64 == vb.s64));
			assert_int_equal(field_equal(&a, &b, id, idx), same);
		}
	}
	assert_false(field_equal(&a, &b, CW_F_PROC_NAME, 0));
	assert_true(field_equal(&a, &b, CW_F_EVT_TYPE, 0));
	b.syscall = 0;
	assert_false(field_equal(&a, &b, CW_F_EVT_TYPE, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_lookup_accepts_design_names),
		cmocka_unit_test(test_fields_lookup_rejects_bad_names_and_indexes),
		cmocka_unit_test(test_fields_get_set_roundtrip),
		cmocka_unit_test(test_open_flags_format_names_bits),
		cmocka_unit_test(test_open_flags_format_cuts_at_the_buffer),
		cmocka_unit_test(test_record_reset_clears_a_record_full_of_garbage),
		cmocka_unit_test(test_field_equal_agrees_with_field_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
