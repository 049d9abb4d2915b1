// SPDX-License-Identifier: Apache-2.0
/* test_cond.c - the condition language: accept/reject tables, semantics, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/cond.h"
#include "user/fields.h"

/* cond_compile_src(), checking that *out is set exactly when it returns 0. */
static struct cond *compile_src(const char *text, const struct cond_env *env,
				const struct cond_src *src, struct cond_error *err)
{
	struct cond *c = (struct cond *)1;
	int ret = cond_compile_src(&c, text, env, src, err);

	if (ret)
		assert_true(ret == -EINVAL || ret == -ENOMEM);
	assert_int_equal(ret == 0, c != NULL);
	return c;
}

static struct cond *compile(const char *text, const struct cond_env *env,
			    struct cond_error *err)
{
	struct cond *c = (struct cond *)1;
	int ret = cond_compile(&c, text, env, err);

	assert_int_equal(ret == 0, c != NULL);
	return c;
}

static void sample_record(struct cw_record *rec)
{
	int idx;

	record_reset(rec);
	assert_int_equal(field_set_str(rec, CW_F_PROC_NAME, 0, "curl"), 0);
	assert_int_equal(field_set_u64(rec, CW_F_PROC_PID, 0, 1234), 0);
	assert_int_equal(field_set_str(rec, CW_F_PROC_CMDLINE, 0, "curl -s http://x"), 0);
	assert_int_equal(field_set_str(rec, CW_F_FD_NAME, 0,
		"/var/lib/kubelet/pods/abc/volumes/kubernetes.io~projected/kube-api-access-x/token"), 0);
	assert_int_equal(field_set_str(rec, CW_F_FD_FLAGS, 0, "O_RDONLY|O_CLOEXEC"), 0);
	assert_int_equal(field_set_str(rec, CW_F_CONTAINER_ID, 0, "0123456789ab"), 0);
	assert_int_equal(field_set_str(rec, CW_F_K8S_NS_NAME, 0, "default"), 0);
	assert_int_equal(field_set_str(rec, CW_F_K8S_POD_NAME, 0, "web-1"), 0);
	assert_int_equal(field_set_str(rec, CW_F_CRED_KIND, 0, "sa_token"), 0);
	assert_int_equal(field_set_u64(rec, CW_F_CRED_SAME_POD, 0, 0), 0);
	assert_int_equal(field_set_str(rec, CW_F_EVT_TYPE, 0, "openat"), 0);
	assert_int_equal(field_set_u64(rec, CW_F_EVT_RES, 0, 3), 0);
	assert_int_equal(field_set_str(rec, CW_F_PROC_ANAME, 1, "bash"), 0);
	assert_int_equal(field_set_u64(rec, CW_F_PROC_APID, 1, 1000), 0);
	assert_int_equal(field_lookup("proc.aname[1]", &idx), CW_F_PROC_ANAME);
}

static struct cond_env *sample_env(void)
{
	static const char *const shells[] = { "bash", "sh", "zsh" };
	static const char *const netbins[] = { "curl", "wget" };
	static const char *const tools[] = { "shells", "netbins" };
	static const char *const pids[] = { "1", "1234" };
	static const char *const badpids[] = { "1", "one" };
	static const struct cond_srcseg badpos[] = {
		{ 0, "lists.yaml", 7, 10 }, { 0, "lists.yaml", 7, 13 },
	};
	static const struct cond_srcseg badseg[] = { { 0, "m.yaml", 3, 14 } };
	struct cond_src badsrc = { badseg, 1 };
	struct cond_env *env = NULL;

	assert_int_equal(cond_env_new(&env), 0);
	assert_non_null(env);
	assert_int_equal(cond_env_set_list(env, "shells", shells, NULL, 3), 0);
	assert_int_equal(cond_env_set_list(env, "netbins", netbins, NULL, 2), 0);
	assert_int_equal(cond_env_set_list(env, "tools", tools, NULL, 2), 0);
	assert_int_equal(cond_env_set_list(env, "pids", pids, NULL, 2), 0);
	assert_int_equal(cond_env_set_list(env, "badpids", badpids, badpos, 2), 0);
	assert_int_equal(cond_env_set_macro(env, "is_net", "proc.name in (netbins)", NULL), 0);
	assert_int_equal(cond_env_set_macro(env, "net_or_shell", "is_net or proc.name in (shells)", NULL), 0);
	assert_int_equal(cond_env_set_macro(env, "not_net", "not is_net", NULL), 0);
	assert_int_equal(cond_env_set_macro(env, "curl_or_bash",
					    "proc.name = curl or proc.name = bash", NULL), 0);
	assert_int_equal(cond_env_set_macro(env, "self_ref", "self_ref or proc.pid = 1", NULL), 0);
	assert_int_equal(cond_env_set_macro(env, "bad", "proc.nope = 1", &badsrc), 0);
	return env;
}

struct accept_case {
	const char *text;
	bool result;
};

static const struct accept_case accept_cases[] = {
	/* whitespace variants */
	{ "proc.name = curl", true },
	{ "proc.name=curl", true },
	{ "   proc.name   =   curl   ", true },
	{ "proc.name\t=\n curl\r\n", true },
	{ "proc.name == curl", true },
	{ "proc.name = \"curl\"", true },
	{ "proc.name = 'curl'", true },
	{ "proc.name='curl'and proc.pid=1234", true },
	/* every operator on strings */
	{ "proc.name != curl", false },
	{ "proc.name != wget", true },
	{ "proc.name < d", true },
	{ "proc.name <= curl", true },
	{ "proc.name > curl", false },
	{ "proc.name >= curl", true },
	{ "proc.cmdline contains http", true },
	{ "proc.cmdline contains HTTP", false },
	{ "proc.cmdline icontains HTTP", true },
	{ "proc.cmdline contains \"-s http\"", true },
	{ "fd.name startswith /var/lib/kubelet/", true },
	{ "fd.name startswith /etc", false },
	{ "fd.name endswith /token", true },
	{ "fd.name endswith token/", false },
	{ "fd.name glob '/var/lib/kubelet/pods/*/volumes/*/*/token'", true },
	{ "fd.name glob /etc/*", false },
	{ "proc.name iglob CU*", true },
	{ "proc.name glob CU*", false },
	{ "fd.name pmatch (/var/lib/kubelet, /etc)", true },
	{ "fd.name pmatch (/var/lib/kubelet/)", true },
	{ "fd.name pmatch (/var/lib/kube)", false },
	{ "proc.name in (bash, curl, \"c d\")", true },
	{ "proc.name in(bash,curl)", true },
	{ "proc.name in ( bash , 'c d' )", false },
	{ "proc.name in ()", false },
	{ "proc.name intersects (curl)", true },
	{ "proc.name exists", true },
	{ "fd.flags contains O_TRUNC", false },
	{ "fd.flags contains O_RDONLY", true },
	/* numbers compare numerically */
	{ "proc.pid = 1234", true },
	{ "proc.pid = 0x4d2", true },
	{ "proc.pid = 01234", false },		/* octal, as strtoull base 0 */
	{ "proc.pid < 2000", true },
	{ "proc.pid < 200", false },		/* would be true as strings */
	{ "proc.pid <= 1234", true },
	{ "proc.pid > 1234", false },
	{ "proc.pid >= 1234", true },
	{ "proc.pid != 1", true },
	{ "proc.pid in (1, 1234)", true },
	{ "proc.pid intersects (5, 6)", false },
	{ "evt.res = 3", true },
	{ "evt.res > -1", true },
	{ "evt.res < -1", false },
	/* booleans and unset fields: false for every operator but exists */
	{ "cred.same_pod = false", true },
	{ "cred.same_pod = true", false },
	{ "cred.same_pod != true", true },
	{ "cred.same_pod in (true, false)", true },
	{ "proc.is_exec_session = true", false },
	{ "proc.is_exec_session != true", false },
	{ "proc.is_exec_session exists", false },
	{ "not proc.is_exec_session = true", true },
	{ "container.name exists", false },
	{ "container.name = x", false },
	{ "container.name != x", false },
	{ "container.name in (x, y)", false },
	{ "not container.name = x", true },
	{ "proc.aname[3] exists", false },
	{ "proc.apid[3] = 0", false },
	{ "proc.aname[1] = bash", true },
	{ "proc.aname[0] = bash", false },
	{ "proc.apid[1] = 1000", true },
	{ "evt.type = openat", true },
	{ "evt.type in (open, openat, openat2)", true },
	/* precedence: not > and > or */
	{ "proc.name = curl or proc.name = x and proc.pid = 1", true },
	{ "(proc.name = curl or proc.name = x) and proc.pid = 1", false },
	{ "not proc.name = curl or proc.pid = 1234", true },
	{ "not (proc.name = curl or proc.pid = 1234)", false },
	{ "not not proc.name = curl", true },
	{ "not(proc.name = bash)", true },
	{ "proc.name = bash or(proc.pid = 1234)", true },
	{ "((((proc.name = curl))))", true },
	{ "proc.name = curl and proc.pid = 1234 and k8s.ns.name = default", true },
	{ "proc.name = curl and proc.pid = 1234 and k8s.ns.name = kube-system", false },
	{ "proc.name = a or proc.name = b or proc.name = curl", true },
	/* lists and macros */
	{ "proc.name in (shells)", false },
	{ "proc.name in (tools)", true },
	{ "proc.name in tools", true },
	{ "proc.name in (shells, curl)", true },
	{ "proc.name in (\"netbins\")", false },	/* quoted: not a list reference */
	{ "proc.pid in (pids)", true },
	{ "is_net", true },
	{ "not is_net", false },
	{ "net_or_shell and proc.pid = 1234", true },
	{ "not_net or proc.pid = 1", false },
	/* a macro is one node: not "curl or (bash and pid = 1)" */
	{ "curl_or_bash and proc.pid = 1", false },
	{ "(is_net)", true },
	/* Falco's fields and semantics */
	{ "proc.aname = bash", true },		/* any ancestor */
	{ "proc.aname = curl", false },		/* ancestors start at the parent */
	{ "proc.aname in (sh, bash)", true },
	{ "not proc.aname = zsh", true },
	{ "proc.aname exists", true },
	{ "proc.apid = 1000", true },
	{ "proc.apid = 1234", false },
	{ "proc.aname[6] exists", false },
	{ "evt.res = SUCCESS", true },		/* Falco's text form */
	{ "evt.res startswith E", false },
	{ "evt.res != ENOENT", true },
	{ "evt.res in (3, 4)", true },
	{ "evt.rawres >= 0", true },
	{ "fd.num = 3", true },
	{ "evt.dir = <", true },
	{ "evt.is_open_read = true", true },
	{ "evt.is_open_write = false", true },
	{ "evt.is_open_create = false", true },
	{ "evt.is_open_exec = false", true },
	{ "fd.typechar = f and fd.type = file", true },
	{ "fd.filename = token", true },
	{ "fd.directory endswith /kube-api-access-x", true },
	{ "fd.sip = 10.0.0.1", false },		/* never set on a file */
	{ "not fd.sip = 10.0.0.1", true },
	{ "fd.sip exists", false },
	{ "evt.arg.request contains X", false },
	{ "evt.arg.flags contains O_RDONLY", true },
	{ "proc.env icontains X", false },
	{ "container.mount.dest[/var/run/docker.sock] exists", false },
	{ "user.loginuid = -1", false },
	{ "proc.cmdline bcontains 2d73", true },	/* "-s" */
	{ "proc.cmdline bstartswith 6375726c", true },	/* "curl" */
	{ "proc.cmdline bstartswith 2d73", false },
};

static void test_cond_accept_table_evaluates_as_expected(void **state)
{
	struct cond_env *env = sample_env();
	struct cw_record rec;
	struct cond_error err;

	sample_record(&rec);
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		const struct accept_case *tc = &accept_cases[i];
		struct cond *c = compile(tc->text, env, &err);

		if (!c)
			fail_msg("compile '%s': %d:%d: %s", tc->text, err.line, err.col, err.msg);
		if (cond_eval(c, &rec) != tc->result)
			fail_msg("'%s' evaluated %s", tc->text, tc->result ? "false" : "true");
		cond_free(c);
	}
	cond_env_free(env);
}

struct reject_case {
	const char *text;
	const char *file;
	int line, col;
	const char *msg;	/* substring */
};

static const struct reject_case reject_cases[] = {
	{ "", "", 1, 1, "unexpected end of condition" },
	{ "   ", "", 1, 4, "unexpected end of condition" },
	{ "proc.name", "", 1, 10, "expected an operator after field 'proc.name'" },
	{ "proc.nme = x", "", 1, 1, "unknown field 'proc.nme'" },
	{ "  proc.nme = x", "", 1, 3, "unknown field 'proc.nme'" },
	{ "proc.name = ", "", 1, 13, "expected a value after '='" },
	{ "proc.name = )", "", 1, 13, "expected a value after '='" },
	{ "proc.pid = abc", "", 1, 12, "value 'abc' for numeric field 'proc.pid' is not an unsigned integer" },
	{ "proc.pid = -1", "", 1, 12, "is not an unsigned integer" },
	{ "proc.pid = 1.5", "", 1, 12, "is not an unsigned integer" },
	{ "evt.rawres = x", "", 1, 14, "is not an integer" },
	{ "proc.pid contains 3", "", 1, 10, "operator 'contains' is not supported for numeric field 'proc.pid'" },
	{ "proc.pid glob 3*", "", 1, 10, "operator 'glob' is not supported" },
	{ "cred.same_pod = yes", "", 1, 17, "is not true or false" },
	{ "cred.same_pod < true", "", 1, 15, "operator '<' is not supported for boolean field" },
	{ "proc.name = curl and", "", 1, 21, "unexpected end of condition" },
	{ "proc.name = curl proc.pid = 1", "", 1, 18, "unexpected 'proc.pid'" },
	{ "(proc.name = curl", "", 1, 1, "unbalanced '('" },
	{ "proc.name = curl)", "", 1, 17, "unexpected ')'" },
	{ "proc.name in (a, b", "", 1, 19, "unterminated list" },
	{ "proc.name in (a b)", "", 1, 17, "expected ',' or ')' in list" },
	{ "proc.name in shells b", "", 1, 21, "unexpected 'b'" },
	{ "proc.name in nolist", "", 1, 14, "undefined list 'nolist'" },
	{ "proc.name in", "", 1, 13, "expected '(' or a list name" },
	{ "undefined_macro", "", 1, 1, "undefined macro 'undefined_macro'" },
	{ "proc.name = curl or nope", "", 1, 21, "undefined macro 'nope'" },
	{ "proc.name = \"abc", "", 1, 13, "unterminated string" },
	{ "proc.name bcontains 4", "", 1, 21, "is not an even number of hex digits" },
	{ "proc.name bcontains zz", "", 1, 21, "is not an even number of hex digits" },
	{ "proc.name regex x", "", 1, 11, "operator 'regex' is not supported" },
	{ "proc.name ~ x", "", 1, 11, "unknown operator '~'" },
	{ "proc.name like x", "", 1, 11, "unknown operator 'like'" },
	{ "proc.aname[33] = x", "", 1, 1, "bad index in field 'proc.aname[33]'" },
	{ "proc.aname[] = x", "", 1, 1, "bad index" },
	{ "fd.sip[1] = x", "", 1, 1, "bad index" },
	{ "proc.name[1] = x", "", 1, 1, "bad index" },
	{ "proc.aname[1 = x", "", 1, 11, "missing ']'" },
	{ "and proc.name = x", "", 1, 1, "unexpected 'and'" },
	{ "proc.name = x or or proc.pid = 1", "", 1, 18, "unexpected 'or'" },
	{ "not", "", 1, 4, "unexpected end of condition" },
	{ "proc.name = curl and\n  proc.pid = abc", "", 2, 14, "is not an unsigned integer" },
	{ "proc.name = curl\nand\n\tproc.nope = 1", "", 3, 2, "unknown field 'proc.nope'" },
	{ "proc.pid in (1, x)", "", 1, 17, "value 'x'" },
	{ "proc.pid in (shells)", "", 1, 14, "list 'shells': value 'bash'" },
	{ "proc.pid in (badpids)", "lists.yaml", 7, 13, "list 'badpids': value 'one'" },
	{ "self_ref", "", 1, 1, "macro 'self_ref' references itself" },
	{ "proc.pid = 1 and bad", "m.yaml", 3, 14, "macro 'bad': unknown field 'proc.nope'" },
};

struct analysis_case {
	const char *text;
	enum cond_truth truth;
	const char *why;	/* COND_NEVER: exactly; else the missing fields */
};

static const struct analysis_case analysis_cases[] = {
	{ "evt.type = execve and proc.name = bash", COND_NEVER, "needs evt.type in (execve)" },
	{ "evt.type in (execve, execveat) and evt.dir = <", COND_NEVER,
	  "needs evt.type in (execve, execveat)" },
	{ "(evt.type = connect or evt.type = sendto) and fd.typechar = 4", COND_NEVER,
	  "needs evt.type in (connect, sendto)" },
	{ "evt.type = openat and fd.typechar = 4", COND_NEVER, "needs fd.typechar = 4" },
	{ "evt.type = openat and evt.dir = >", COND_NEVER, "needs evt.dir = >" },
	{ "proc.name = x and fd.sip = 1.2.3.4", COND_NEVER,
	  "needs fd.sip (a socket field: credwatch events are opens of files)" },
	{ "evt.type = socket or fd.l4proto = tcp", COND_NEVER,
	  "needs evt.type in (socket) or fd.l4proto (a socket field: credwatch events are opens of files)" },
	{ "not evt.type in (open, openat, openat2, creat, open_by_handle_at, io_uring_openat, io_uring_openat2)",
	  COND_NEVER, "needs not evt.type in (open, openat, openat2, creat, open_by_handle_at, "
	  "io_uring_openat, io_uring_openat2)" },
	{ "evt.res startswith E", COND_NEVER, "needs evt.res startswith E" },
	{ "evt.type in (open, openat) and proc.name = cat", COND_MAYBE, "" },
	{ "evt.type exists", COND_ALWAYS, "" },
	{ "evt.dir = < and evt.is_open_create = false", COND_ALWAYS, "" },
	{ "evt.type = execve or proc.name = cat", COND_MAYBE, "" },
	/* settled parts do not count: proc.cwd only matters after an execve */
	{ "(evt.type = execve and proc.cwd = /tmp) or proc.name = cat", COND_MAYBE, "" },
	{ "proc.name = cat and not proc.cwd startswith /tmp", COND_MAYBE, "proc.cwd" },
	{ "proc.env contains X or proc.cwd = / or proc.aexe[2] = sh", COND_MAYBE,
	  "proc.env, proc.cwd, proc.aexe[2]" },
	{ "proc.aexe[1] = sh and proc.aname[9] = x", COND_MAYBE, "" },
};

/* What cond_analyze says about conditions on credwatch's events. */
static void test_cond_analysis_decides_what_opens_can_match(void **state)
{
	struct cond_env *env = sample_env();
	struct cond_analysis an;
	struct cond_error err;

	for (size_t i = 0; i < sizeof(analysis_cases) / sizeof(analysis_cases[0]); i++) {
		const struct analysis_case *tc = &analysis_cases[i];
		struct cond *c = compile(tc->text, env, &err);

		if (!c)
			fail_msg("'%s': %s", tc->text, err.msg);
		cond_analyze(c, &an);
		if (an.truth != tc->truth)
			fail_msg("'%s': truth %d, want %d", tc->text, an.truth, tc->truth);
		if (strcmp(tc->truth == COND_NEVER ? an.why : an.missing, tc->why))
			fail_msg("'%s': got '%s', want '%s'", tc->text,
				 tc->truth == COND_NEVER ? an.why : an.missing, tc->why);
		cond_free(c);
	}
	/* what attribution must read from /proc for a condition */
	{
		struct cond *c = compile("proc.duration > 5 and (thread.cap_effective contains "
					      "CAP_SYS_ADMIN or proc.aname = sshd)", env, &err);

		assert_non_null(c);
		cond_analyze(c, &an);
		assert_int_equal(an.wants, CW_WANT_PROC_START | CW_WANT_STATUS | CW_WANT_ANCESTORS);
		cond_free(c);
		c = compile("evt.type = execve and proc.aname[9] = x", env, &err);
		cond_analyze(c, &an);
		assert_int_equal(an.wants, 0);	/* settled: nothing to read */
		cond_free(c);
	}
	cond_env_free(env);
}

static void test_cond_reject_table_reports_position_and_reason(void **state)
{
	struct cond_env *env = sample_env();
	struct cond_error err;

	for (size_t i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *tc = &reject_cases[i];
		struct cond *c = compile(tc->text, env, &err);

		if (c)
			fail_msg("'%s' compiled", tc->text);
		if (strcmp(err.file, tc->file) || err.line != tc->line || err.col != tc->col ||
		    !strstr(err.msg, tc->msg))
			fail_msg("'%s': got %s:%d:%d: %s; want %s:%d:%d: ...%s...", tc->text,
				 err.file, err.line, err.col, err.msg, tc->file, tc->line,
				 tc->col, tc->msg);
	}
	cond_env_free(env);
}

static void test_cond_deep_nesting_is_an_error_not_a_crash(void **state)
{
	char text[4096];
	struct cond_error err;
	size_t n = 0;

	for (int i = 0; i < 500; i++)
		text[n++] = '(';
	strcpy(text + n, "proc.pid = 1");
	assert_null(compile(text, NULL, &err));
	assert_non_null(strstr(err.msg, "nested too deeply"));

	n = 0;
	for (int i = 0; i < 500; i++)
		n += (size_t)sprintf(text + n, "not ");
	strcpy(text + n, "proc.pid = 1");
	assert_null(compile(text, NULL, &err));
	assert_non_null(strstr(err.msg, "nested too deeply"));
}

static void test_cond_source_map_points_into_the_file(void **state)
{
	/* "proc.name = x and" on line 4 col 5, "proc.pd = 1" on line 5 col 5 */
	static const struct cond_srcseg segs[] = {
		{ 0, "r.yaml", 4, 5 }, { 18, "r.yaml", 5, 5 },
	};
	struct cond_src src = { segs, 2 };
	struct cond_error err;
	char buf[600];

	assert_null(compile_src("proc.name = x and proc.pd = 1", NULL, &src, &err));
	assert_string_equal(err.file, "r.yaml");
	assert_int_equal(err.line, 5);
	assert_int_equal(err.col, 5);
	assert_string_equal(cond_error_format(&err, buf, sizeof(buf)),
			    "r.yaml:5:5: unknown field 'proc.pd'");
	assert_null(compile_src("proc.name = x and proc.pid = y", NULL, &src, &err));
	assert_int_equal(err.line, 5);
	assert_int_equal(err.col, 5 + 29 - 18);
}

static void test_cond_env_redefinition_replaces(void **state)
{
	static const char *const a[] = { "curl" };
	static const char *const b[] = { "wget" };
	struct cond_env *env = NULL;
	struct cw_record rec;
	struct cond_error err;
	struct cond *c;

	assert_int_equal(cond_env_new(&env), 0);
	sample_record(&rec);
	assert_int_equal(cond_env_set_list(env, "l", a, NULL, 1), 0);
	assert_int_equal(cond_env_set_macro(env, "m", "proc.name in (l)", NULL), 0);
	c = compile("m", env, &err);
	assert_true(cond_eval(c, &rec));
	cond_free(c);
	assert_int_equal(cond_env_set_list(env, "l", b, NULL, 1), 0);
	c = compile("m", env, &err);
	assert_false(cond_eval(c, &rec));
	cond_free(c);
	assert_int_equal(cond_env_set_macro(env, "m", "not proc.name in (l)", NULL), 0);
	c = compile("m", env, &err);
	assert_true(cond_eval(c, &rec));
	cond_free(c);
	cond_env_free(env);
}

static void test_cond_eval_allocates_nothing(void **state)
{
	struct cond_env *env = sample_env();
	struct cw_record rec;
	struct cond_error err;
	struct cond *c;
	size_t before;

	sample_record(&rec);
	c = compile("net_or_shell and fd.name glob '/var/*/token' and "
			 "proc.cmdline icontains HTTP and not proc.pid in (pids, 7)", env, &err);
	assert_non_null(c);
	before = mallinfo2().uordblks;
	for (int i = 0; i < 1000; i++)
		(void)cond_eval(c, &rec);
	assert_int_equal(mallinfo2().uordblks, before);
	cond_free(c);
	cond_env_free(env);
}

static void test_cond_free_accepts_null(void **state)
{
	cond_free(NULL);
	cond_env_free(NULL);
	assert_false(cond_eval(NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cond_accept_table_evaluates_as_expected),
		cmocka_unit_test(test_cond_analysis_decides_what_opens_can_match),
		cmocka_unit_test(test_cond_reject_table_reports_position_and_reason),
		cmocka_unit_test(test_cond_deep_nesting_is_an_error_not_a_crash),
		cmocka_unit_test(test_cond_source_map_points_into_the_file),
		cmocka_unit_test(test_cond_env_redefinition_replaces),
		cmocka_unit_test(test_cond_eval_allocates_nothing),
		cmocka_unit_test(test_cond_free_accepts_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
