// SPDX-License-Identifier: Apache-2.0
/* test_event.c - decoding kernel events: dev_t encoding, lineage, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/event.h"
#include "user/fields.h"
#include "user/redact.h"
#include "user/sensor.h"

static void test_dev_encoding_matches_kernel(void **state)
{
	dev_t d = makedev(259, 3);

	assert_int_equal(dev_to_kernel(d), (259u << 20) | 3);
	assert_true(dev_from_kernel(dev_to_kernel(d)) == d);
	d = makedev(8, 1048575);
	assert_true(dev_from_kernel(dev_to_kernel(d)) == d);
}

static struct cw_event *make_event(void)
{
	struct cw_event *e = calloc(1, sizeof(*e));
	const char args[] = "cat\0/var/run/secrets/token";

	e->tgid = 10;
	e->tid = 11;
	e->ret = 3;
	e->syscall = CW_SYS_OPENAT;
	e->dev = (254u << 20) | 1;
	e->ino = 99;
	memcpy(e->comm, "0123456789abcdef", 16);	/* 16 bytes, no NUL */
	e->anc[0].tgid = 5;
	strcpy(e->anc[0].comm, "bash");
	e->anc[1].tgid = 1;
	strcpy(e->anc[1].comm, "init");
	e->exe_ino = 4242;
	e->exe_dev = (8u << 20) | 3;
	e->anc[1].exe_ino = 7;
	e->anc[1].exe_dev = (8u << 20) | 1;
	strcpy(e->data + CW_EXE_MAX - 9, "/usr/cat");
	e->exe_off = CW_EXE_MAX - 9;
	e->exe_len = 9;
	memcpy(e->data + CW_ARGS_OFF, args, sizeof(args));
	e->args_len = sizeof(args);
	strcpy(e->data + CW_PATH_OFF, "/var/run/secrets/token");
	e->path_len = 23;
	e->open_flags = 02000000;
	return e;
}

static void test_event_to_record_fills_fields(void **state)
{
	struct cw_event *e = make_event();
	struct cred_entry c;
	struct cw_record *rec = malloc(sizeof(*rec));

	memset(&c, 0, sizeof(c));
	c.kind = CW_CRED_SA_TOKEN;
	c.path = "/var/lib/kubelet/pods/u/volumes/p/v/token";
	c.pod_uid = "u";
	c.volume = "v";
	c.secret_name = "";
	assert_int_equal(event_to_record(e, CW_EVENT_HDR_SIZE + CW_PATH_OFF + 23, &c, 0, NULL, rec), 0);
	assert_string_equal(rec->proc_name, "0123456789abcdef");
	assert_int_equal(rec->ppid, 5);
	assert_string_equal(rec->proc_pname, "bash");
	assert_string_equal(rec->aname[2], "init");
	assert_int_equal(rec->apid[0], 10);
	assert_string_equal(rec->proc_exepath, "/usr/cat");
	assert_string_equal(rec->proc_cmdline, "cat /var/run/secrets/token");
	assert_string_equal(rec->fd_name, "/var/run/secrets/token");
	assert_string_equal(rec->fd_flags, "O_RDONLY|O_CLOEXEC");
	assert_int_equal(rec->fd_dev, makedev(254, 1));
	/* the executables' identity, as st_dev; anc[0] had none (a kernel thread's 0) */
	assert_int_equal(rec->aexe_ino[0], 4242);
	assert_int_equal(rec->aexe_dev[0], makedev(8, 3));
	assert_int_equal(rec->aexe_ino[1], 0);
	assert_int_equal(rec->aexe_ino[2], 7);
	assert_int_equal(rec->aexe_dev[2], makedev(8, 1));
	assert_string_equal(rec->cred_kind, "sa_token");
	assert_string_equal(rec->owner_pod_uid, "u");
	assert_string_equal(rec->secret_name, "v");
	free(e);
	free(rec);
}

static void test_event_to_record_bounds_short_and_lying_events(void **state)
{
	struct cw_event *e = make_event();
	struct cw_record *rec = malloc(sizeof(*rec));

	assert_int_not_equal(event_to_record(e, 10, NULL, 0, NULL, rec), 0);
	/* path_len claims more than was sent: cut at what arrived */
	e->path_len = 4000;
	assert_int_equal(event_to_record(e, CW_EVENT_HDR_SIZE + CW_PATH_OFF + 5, NULL, 0, NULL, rec), 0);
	assert_string_equal(rec->fd_nameraw, "/var/");
	assert_string_equal(rec->fd_name, "/var");
	/* absurd offsets and lengths */
	e->exe_off = 60000;
	e->args_len = 60000;
	e->syscall = 999;
	assert_int_equal(event_to_record(e, sizeof(*e), NULL, 0, NULL, rec), 0);
	assert_string_equal(rec->proc_exepath, "");
	assert_int_equal(rec->syscall, 0);
	free(e);
	free(rec);
}

static void test_event_marks_kernel_cuts(void **state)
{
	struct cw_event *e = make_event();
	struct cw_record *rec = malloc(sizeof(*rec));

	e->flags = CW_EVF_ARGS_TRUNC | CW_EVF_EXE_TRUNC;
	assert_int_equal(event_to_record(e, sizeof(*e), NULL, 0, NULL, rec), 0);
	assert_string_equal(rec->proc_cmdline, "cat /var/run/secrets/token...");
	assert_string_equal(rec->proc_exepath, ".../usr/cat");
	free(e);
	free(rec);
}

/*
 * An environ read has no watched file: cred.kind environ and the owner's
 * pid from the kernel, whatever cred table entry the (unused) id would name.
 */
static void test_event_environ_read_names_the_owner(void **state)
{
	struct cw_event *e = make_event();
	struct cw_record *rec = malloc(sizeof(*rec));
	struct cred_entry c;

	memset(&c, 0, sizeof(c));
	c.kind = CW_CRED_SA_TOKEN;
	c.path = "/var/lib/kubelet/pods/u/volumes/p/v/token";
	c.pod_uid = "u";
	c.volume = "v";
	c.secret_name = "";
	e->flags = CW_EVF_ENVIRON;
	e->cred_id = CW_CRED_ID_NONE;
	e->owner_tgid = 4242;
	e->owner_tid = 4243;
	e->owner_cgroup_id = 77;
	strcpy(e->data + CW_PATH_OFF, "/proc/4242/task/4243/environ");
	e->path_len = 29;
	assert_int_equal(event_to_record(e, sizeof(*e), &c, 0, NULL, rec), 0);
	assert_string_equal(rec->cred_kind, "environ");
	assert_int_equal(rec->owner_pid, 4242);
	assert_string_equal(rec->fd_name, "/proc/4242/task/4243/environ");
	assert_string_equal(rec->cred_path, "");
	assert_string_equal(rec->owner_pod_uid, "");
	assert_string_equal(rec->secret_name, "");
	free(e);
	free(rec);
}

/* Markers in every shape of secret redact.c recognises, in one argv. */
static const char secret_argv[] =
	"kubectl\0--token=MKTOKEN01\0--password\0MKPASS02\0-H\0"
	"Authorization: Bearer MKBEARER03\0https://u:MKURL04@h\0"
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJNSyJ9.MKJWT05sig\0"
	"ghp_MKGHP06aaaaaaaaaaaaaaaaaaaa\0PASSWORD=MKENV07\0";
static const char *const markers[] = {
	"MKTOKEN01", "MKPASS02", "MKBEARER03", "MKURL04", "MKJWT05", "MKGHP06", "MKENV07",
};

/* Whether any field of rec, as text, holds a marker. */
static bool any_field_leaks(const struct cw_record *rec)
{
	char buf[64];

	for (int id = 0; id < CW_F__COUNT; id++) {
		for (int idx = 0; idx <= (field_info(id)->indexed ? CW_ANCESTORS : 0); idx++) {
			struct cw_value v;
			const char *text;

			field_get(rec, id, idx, &v);
			text = field_format(&v, buf, sizeof(buf));
			for (size_t m = 0; m < sizeof(markers) / sizeof(markers[0]); m++)
				if (strstr(text, markers[m]))
					return true;
		}
	}
	return false;
}

/*
 * Redaction is a property of the record: built with a redactor, no field
 * of the table (whatever fields are added later) shows a secret of argv.
 */
static void test_event_record_fields_carry_no_argv_secret(void **state)
{
	struct cw_event *e = make_event();
	struct cw_record *rec = malloc(sizeof(*rec));
	struct redact *r = NULL;
	char why[128];

	assert_int_equal(redact_new(&r), 0);
	assert_non_null(r);
	for (int l = 0; l < REDACT_LIST__MAX; l++) {
		size_t n;
		const char *const *items = redact_defaults(l, &n);

		for (size_t i = 0; i < n; i++)
			assert_int_equal(redact_add(r, l, items[i], why, sizeof(why)), 0);
	}
	memcpy(e->data + CW_ARGS_OFF, secret_argv, sizeof(secret_argv) - 1);
	e->args_len = sizeof(secret_argv) - 1;
	/* without a redactor (--no-redact) the markers are there: the check sees them */
	assert_int_equal(event_to_record(e, sizeof(*e), NULL, 0, NULL, rec), 0);
	assert_true(any_field_leaks(rec));
	assert_int_equal(event_to_record(e, sizeof(*e), NULL, 0, r, rec), 0);
	assert_false(any_field_leaks(rec));
	assert_non_null(strstr(rec->proc_cmdline, "kubectl --token=<redacted> --password <redacted>"));
	assert_non_null(strstr(rec->proc_cmdline, "Bearer <redacted> https://u:<redacted>@h"));
	assert_true(redact_total(r) >= 7);
	/* the kernel cut argv inside a token: still nothing of it */
	e->args_len = (uint32_t)((const char *)memmem(secret_argv, sizeof(secret_argv), "MKGHP06", 7) -
				 secret_argv) + 4;
	e->flags = CW_EVF_ARGS_TRUNC;
	assert_int_equal(event_to_record(e, sizeof(*e), NULL, 0, r, rec), 0);
	assert_null(strstr(rec->proc_cmdline, "MKGH"));
	assert_non_null(strstr(rec->proc_cmdline, "ghp_<redacted>..."));
	redact_free(r);
	free(e);
	free(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_encoding_matches_kernel),
		cmocka_unit_test(test_event_to_record_fills_fields),
		cmocka_unit_test(test_event_to_record_bounds_short_and_lying_events),
		cmocka_unit_test(test_event_marks_kernel_cuts),
		cmocka_unit_test(test_event_environ_read_names_the_owner),
		cmocka_unit_test(test_event_record_fields_carry_no_argv_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
