// SPDX-License-Identifier: Apache-2.0
/* test_fields.c - the field vocabulary: lookup, get, set, format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
	assert_int_equal(field_lookup("proc.aname[33]", &idx), -EINVAL);
	assert_int_equal(field_lookup("proc.aname[-1]", &idx), -EINVAL);
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

static const char *get_str(const struct cw_record *rec, const char *name)
{
	static char buf[64];
	struct cw_value v;
	int id, idx;

	id = field_lookup(name, &idx);
	assert_true(id >= 0);
	field_get(rec, id, idx, &v);
	return field_format(&v, buf, sizeof(buf));
}

/* Falco's fields computed from the record, with Falco's values */
static void test_fields_falco_views_of_an_open(void **state)
{
	static struct cw_record rec;

	(void)state;
	record_reset(&rec);
	rec.syscall = CW_SYS_OPENAT;
	rec.res = 5;
	rec.tid = 77;
	rec.time_ns = 10000000000ull;
	strcpy(rec.fd_flags, "O_RDWR|O_CLOEXEC");
	strcpy(rec.fd_name, "/etc/ssl/private/key.pem");
	strcpy(rec.fd_nameraw, "/etc/ssl/./private//key.pem");
	strcpy(rec.proc_exe, "/usr/bin/python3");
	strcpy(rec.proc_cmdline, "/usr/bin/python3 -c print(1)");
	strcpy(rec.proc_exepath, "/memfd:payload (deleted)");
	strcpy(rec.pod_uid, "u-1");
	assert_string_equal(get_str(&rec, "evt.dir"), "<");
	assert_string_equal(get_str(&rec, "evt.rawres"), "5");
	assert_string_equal(get_str(&rec, "fd.num"), "5");
	assert_string_equal(get_str(&rec, "evt.arg.fd"), "5");
	assert_string_equal(get_str(&rec, "evt.is_open_read"), "true");
	assert_string_equal(get_str(&rec, "evt.is_open_write"), "true");
	assert_string_equal(get_str(&rec, "evt.is_open_exec"), "false");
	assert_string_equal(get_str(&rec, "evt.is_open_create"), "false");
	assert_string_equal(get_str(&rec, "fd.type"), "file");
	assert_string_equal(get_str(&rec, "fd.typechar"), "f");
	assert_string_equal(get_str(&rec, "fd.directory"), "/etc/ssl/private");
	assert_string_equal(get_str(&rec, "fd.filename"), "key.pem");
	assert_string_equal(get_str(&rec, "fd.name_changed"), "false");
	assert_string_equal(get_str(&rec, "evt.arg.name"), "/etc/ssl/./private//key.pem");
	assert_string_equal(get_str(&rec, "evt.arg.flags"), "O_RDWR|O_CLOEXEC");
	assert_string_equal(get_str(&rec, "proc.args"), "-c print(1)");
	assert_string_equal(get_str(&rec, "proc.aexe[0]"), "/usr/bin/python3");
	assert_string_equal(get_str(&rec, "proc.is_exe_from_memfd"), "true");
	assert_string_equal(get_str(&rec, "thread.tid"), "77");
	assert_string_equal(get_str(&rec, "k8s.pod.id"), "u-1");
	assert_string_equal(get_str(&rec, "proc.duration"), "<NA>");	/* start not read */
	rec.proc_start_ns = 4000000000ull;
	assert_string_equal(get_str(&rec, "proc.duration"), "6000000000");
	assert_string_equal(get_str(&rec, "proc.vpid"), "<NA>");
	assert_string_equal(get_str(&rec, "evt.num"), "<NA>");
	/* ready for environ reads: the process whose environment was read */
	assert_string_equal(get_str(&rec, "cred.owner.pid"), "<NA>");
	assert_int_equal(field_set_u64(&rec, CW_F_CRED_OWNER_PID, 0, 42), 0);
	assert_string_equal(get_str(&rec, "cred.owner.pid"), "42");
	/* O_CREAT: is_open_exec needs the mode, which is not captured */
	strcpy(rec.fd_flags, "O_WRONLY|O_CREAT");
	assert_string_equal(get_str(&rec, "evt.is_open_exec"), "<NA>");
	assert_string_equal(get_str(&rec, "evt.is_open_read"), "false");
	/* creat is neither a read nor a write open for Falco */
	rec.syscall = CW_SYS_CREAT;
	assert_string_equal(get_str(&rec, "evt.is_open_write"), "false");
	/* a directory */
	rec.syscall = CW_SYS_OPENAT;
	strcpy(rec.fd_flags, "O_RDONLY|O_DIRECTORY");
	strcpy(rec.fd_name, "/root/.ssh");
	assert_string_equal(get_str(&rec, "fd.type"), "directory");
	assert_string_equal(get_str(&rec, "fd.typechar"), "d");
	assert_string_equal(get_str(&rec, "fd.directory"), "/root/.ssh");
	assert_string_equal(get_str(&rec, "fd.filename"), "<NA>");
	/* edges of fd.directory: the root, a relative name (directory unknown) */
	strcpy(rec.fd_flags, "O_RDONLY");
	strcpy(rec.fd_name, "/token");
	assert_string_equal(get_str(&rec, "fd.directory"), "/");
	strcpy(rec.fd_name, "token");
	assert_string_equal(get_str(&rec, "fd.directory"), "<NA>");
	assert_string_equal(get_str(&rec, "fd.filename"), "token");
	/* a failed open's text result */
	rec.res = -2;
	assert_string_equal(get_str(&rec, "evt.rawres"), "-2");
	{
		struct cw_value v;

		field_get(&rec, CW_F_EVT_RES_STR, 0, &v);
		assert_string_equal(v.str, "ENOENT");
	}
	/* argv[0] with a space does not shift proc.args */
	strcpy(rec.proc_exe, "my tool");
	strcpy(rec.proc_cmdline, "my tool --exec x");
	assert_string_equal(get_str(&rec, "proc.args"), "--exec x");
}

static void test_fields_falco_only_names_are_known_and_never_set(void **state)
{
	static const char *const absent[] = {
		"fd.sip", "fd.sport", "fd.l4proto", "evt.arg.request", "evt.arg.target",
		"evt.buffer", "fdlist.names",
	};
	static const char *const uncollected[] = {
		"proc.cwd", "proc.env", "proc.env[HOME]", "container.mount.dest[/proc*]",
		"evt.arg.mode", "evt.rawarg.flags", "proc.is_exe_upper_layer", "group.name",
	};
	static struct cw_record rec;
	struct cw_value v;
	int id, idx;

	(void)state;
	memset(&rec, 0x41, sizeof(rec));	/* whatever the record holds */
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		id = field_lookup(absent[i], &idx);
		assert_true(id >= CW_F__ALL);
		assert_int_equal(field_info(id)->kind, CW_FK_ABSENT);
		field_get(&rec, id, idx, &v);
		assert_false(v.is_set);
		assert_false(field_is_collected(id, idx) && field_info(id)->kind != CW_FK_ABSENT);
	}
	for (size_t i = 0; i < sizeof(uncollected) / sizeof(uncollected[0]); i++) {
		id = field_lookup(uncollected[i], &idx);
		assert_true(id >= CW_F__ALL);
		assert_int_equal(field_info(id)->kind, CW_FK_UNCOLLECTED);
		assert_false(field_is_collected(id, idx));
		field_get(&rec, id, idx, &v);
		assert_false(v.is_set);
	}
	assert_non_null(strstr(field_absent_reason(field_lookup("proc.env", &idx)), "secrets"));
	/* the open arguments credwatch has are its own fields */
	assert_int_equal(field_lookup("evt.arg.ino", &idx), CW_F_FD_INO);
	assert_int_equal(field_lookup("evt.arg.flags", &idx), CW_F_EVT_ARG_FLAGS);
	/* an unindexed ancestor field is "any ancestor" */
	assert_int_equal(field_lookup("proc.aname", &idx), CW_F_PROC_ANAME);
	assert_int_equal(idx, CW_INDEX_ANY);
	assert_false(field_is_collected(field_lookup("proc.aexe[2]", &idx), 2));
	/* derived fields are not written back */
	assert_int_equal(field_set_str(&rec, CW_F_FD_DIRECTORY, 0, "/x"), -EINVAL);
	assert_int_equal(field_set_u64(&rec, CW_F_FD_NUM, 0, 1), -EINVAL);
}

static void test_fields_ancestors_past_the_kernel_and_joined(void **state)
{
	static struct cw_record rec;
	struct cw_value v;

	(void)state;
	record_reset(&rec);
	for (int i = 1; i <= CW_ANCESTORS; i++) {
		rec.apid[i] = 100 + (uint64_t)i;
		snprintf(rec.aname[i], sizeof(rec.aname[i]), "a%d", i);
	}
	rec.nanc_extra = 2;
	rec.apid_extra[0] = 200;
	strcpy(rec.aname_extra[0], "a6");
	rec.apid_extra[1] = 1;
	strcpy(rec.aname_extra[1], "systemd");
	field_get(&rec, CW_F_PROC_ANAME, 7, &v);
	assert_string_equal(v.str, "systemd");
	field_get(&rec, CW_F_PROC_APID, 6, &v);
	assert_int_equal(v.u64, 200);
	field_get(&rec, CW_F_PROC_ANAME, 8, &v);
	assert_false(v.is_set);
	field_get(&rec, CW_F_PROC_ANAME, CW_INDEX_ANY, &v);	/* as Falco prints it */
	assert_string_equal(v.str, "a1 a2 a3 a4 a5 a6 systemd");
}

static void test_record_path_normalize_as_falco(void **state)
{
	static const char *const cases[][2] = {
		{ "/etc/shadow", "/etc/shadow" }, { "/etc//./shadow", "/etc/shadow" },
		{ "/var/run/../run/secrets/token", "/var/run/secrets/token" },
		{ "/../../etc/shadow", "/etc/shadow" }, { "/etc/", "/etc" }, { "/", "/" },
		{ "//", "/" }, { "/a/b/..", "/a" }, { "/a/b/../..", "/" }, { "/.", "/" },
		{ "token", "token" }, { "../etc/shadow", "../etc/shadow" }, { "", "" },
		{ "/a/...", "/a/..." }, { "/a/..b/c", "/a/..b/c" },
	};
	char out[64], small[6];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		record_path_normalize(cases[i][0], out, sizeof(out));
		if (strcmp(out, cases[i][1]))
			fail_msg("'%s': got '%s', want '%s'", cases[i][0], out, cases[i][1]);
	}
	record_path_normalize("/etc/kubernetes/admin.conf", small, sizeof(small));
	assert_string_equal(small, "/etc/");
}

static void test_fields_caps_as_falco_prints_them(void **state)
{
	char buf[CW_REC_CAPS_MAX], tiny[20];

	(void)state;
	field_caps_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	field_caps_format((1ull << 0) | (1ull << 21) | (1ull << 39), buf, sizeof(buf));
	assert_string_equal(buf, "CAP_CHOWN CAP_SYS_ADMIN CAP_BPF");
	field_caps_format(~0ull, buf, sizeof(buf));	/* every name fits; unnamed bits skipped */
	assert_ptr_equal(strstr(buf, "CAP_CHOWN CAP_DAC_OVERRIDE "), buf);
	assert_non_null(strstr(buf, " CAP_CHECKPOINT_RESTORE"));
	assert_true(strlen(buf) < sizeof(buf) - 1);
	field_caps_format(~0ull, tiny, sizeof(tiny));
	assert_string_equal(tiny, "CAP_CHOWN");
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
		cmocka_unit_test(test_fields_falco_views_of_an_open),
		cmocka_unit_test(test_fields_falco_only_names_are_known_and_never_set),
		cmocka_unit_test(test_fields_ancestors_past_the_kernel_and_joined),
		cmocka_unit_test(test_record_path_normalize_as_falco),
		cmocka_unit_test(test_fields_caps_as_falco_prints_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
