// SPDX-License-Identifier: Apache-2.0
/*
 * test_falco_compat.c - Falco rule files as their users write them load
 * unchanged (tests/fixtures/rules/falco_compat{,_local}.yaml: every item key,
 * exception form and field of the upstream falcosecurity/rules files), the
 * rules that can never match an open are counted and listed with the
 * reason, the others match with Falco's semantics, and every alert they
 * raise is one falcosidekick accepts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "user/alert.h"
#include "user/fields.h"
#include "user/rules.h"
#include "user/shipfmt.h"

#define BASE "tests/fixtures/rules/falco_compat.yaml"
#define LOCAL "tests/fixtures/rules/falco_compat_local.yaml"

/*
 * Every field the upstream files use in a condition, an exception or an
 * output (falcosecurity/rules main at c72713e, rules/falco_rules.yaml,
 * falco-incubating_rules.yaml and falco-sandbox_rules.yaml, as
 * tests/lib/falco-rule-fields.py lists them), plus the ones the Falco docs
 * name for open events.
 */
static const char *const upstream_fields[] = {
	"container.id", "container.image.repository", "container.mount.dest[/var/run/docker.sock]",
	"container.mounts", "container.privileged", "container.start_ts", "evt.arg.cmd",
	"evt.arg.domain", "evt.arg.fd", "evt.arg.filename", "evt.arg.flags", "evt.arg.linkpath",
	"evt.arg.mode", "evt.arg.name", "evt.arg.newpath", "evt.arg.oldpath", "evt.arg.path",
	"evt.arg.request", "evt.arg.target", "evt.arg.uid", "evt.args", "evt.buffer",
	"evt.is_open_exec", "evt.is_open_read", "evt.is_open_write", "evt.num", "evt.rawres",
	"evt.res", "evt.type", "fd.cip", "fd.cip.name", "fd.cnet", "fd.connected", "fd.directory",
	"fd.filename", "fd.ip", "fd.l4proto", "fd.lip.name", "fd.lport", "fd.name",
	"fd.name_changed", "fd.nameraw", "fd.net", "fd.num", "fd.port", "fd.rip", "fd.rip.name",
	"fd.rnet", "fd.rport", "fd.sip", "fd.sip.name", "fd.snet", "fd.sockfamily", "fd.sport",
	"fd.type", "fd.typechar", "group.gid", "group.name", "k8s.ns.name", "k8s.pod.name",
	"proc.aexe[2]", "proc.aexepath[2]", "proc.aname", "proc.aname[1]", "proc.aname[2]",
	"proc.aname[3]", "proc.aname[4]", "proc.aname[5]", "proc.aname[6]", "proc.aname[7]",
	"proc.args", "proc.cmdline", "proc.cwd", "proc.duration", "proc.env", "proc.exe",
	"proc.exe_ino.ctime", "proc.exe_ino.ctime_duration_proc_start", "proc.exe_ino.mtime",
	"proc.exepath", "proc.is_exe_from_memfd", "proc.is_exe_upper_layer",
	"proc.is_vpgid_leader", "proc.name", "proc.pcmdline", "proc.pexe", "proc.pexepath",
	"proc.pname", "proc.sname", "proc.tty", "proc.vpid", "thread.cap_effective",
	"thread.cap_permitted", "user.loginname", "user.loginuid", "user.name", "user.uid",
	/* named by the Falco docs for opens */
	"evt.dir", "evt.is_open_create", "proc.apid", "thread.cap_inheritable", "thread.tid",
	"k8s.pod.id",
};

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/cw-test-falco-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static struct rules *load_both(struct rules_diag *d)
{
	const char *files[] = { BASE, LOCAL };
	struct rules *r = NULL;

	if (rules_load(&r, files, 2, d))
		rules_diag_print(d, stderr);
	assert_non_null(r);
	rules_set_match_all(r, true);
	return r;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* name occurs in text as a whole field name (not as a prefix of a longer one) */
static bool has_field(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; (p = strstr(p, name)); p += n) {
		char before = p == text ? ' ' : p[-1], after = p[n];

		if ((before == ' ' || before == '(' || before == '%' || before == '[' ||
		     before == '\n') && !(after == '.' || after == '_' ||
		     (after >= 'a' && after <= 'z') || (after == '[' && !strchr(name, '['))))
			return true;
	}
	return false;
}

static void test_compat_files_use_every_upstream_field(void **state)
{
	char *base = slurp(BASE);
	int idx;

	for (size_t i = 0; i < sizeof(upstream_fields) / sizeof(upstream_fields[0]); i++) {
		if (field_lookup(upstream_fields[i], &idx) < 0)
			fail_msg("field '%s' is not known", upstream_fields[i]);
		if (!has_field(base, upstream_fields[i]))
			fail_msg("field '%s' is not used by %s", upstream_fields[i], BASE);
	}
	free(base);
}

static void test_compat_files_load_with_falco_warnings_only(void **state)
{
	struct rules_diag d;
	struct rules *r = load_both(&d);

	assert_int_equal(d.count, 0);
	/* Falco 0.44 warns about an unknown key and about a skipped rule, and loads */
	assert_int_equal(d.nwarnings, 2);
	assert_string_equal(d.warnings[0].file, LOCAL);
	assert_non_null(strstr(d.warnings[0].msg, "unknown key 'rule_version', ignored"));
	assert_non_null(strstr(d.warnings[1].msg, "unknown field 'myplugin.flag'; skipped"));
	assert_int_equal(rules_count(r), 12);
	assert_int_equal(rules_nfiles(r), 2);
	/* thread.cap_effective and proc.duration are read from /proc on demand */
	assert_int_equal(rules_wants(r) & (CW_WANT_STATUS | CW_WANT_PROC_START),
			 CW_WANT_STATUS | CW_WANT_PROC_START);
	rules_free(r);
}

static void test_compat_inapplicable_rules_are_counted_and_listed(void **state)
{
	static const char *const want[] = {
		"inapplicable: " BASE ":338: Shell spawned in a privileged container: needs evt.type in (execve, execveat)",
		"inapplicable: " BASE ":355: Connection to the metadata service: needs evt.type in (connect, sendto, sendmsg)",
		"inapplicable: " BASE ":365: Listening on an ssh port: needs evt.type in (accept, accept4, listen, connect)",
		"inapplicable: " BASE ":372: Symlink over a secret file: needs evt.type in (symlink, symlinkat)",
		"inapplicable: " BASE ":381: Hardlink or rename over a secret file: needs evt.type in (link, linkat, rename, renameat)",
		"inapplicable: " BASE ":391: Set setuid bit: needs evt.type in (chmod, fchmod, fchmodat)",
		"inapplicable: " BASE ":401: Unlink shell history: needs evt.type in (unlink, unlinkat, rename)",
		"inapplicable: " BASE ":412: Packet socket: needs evt.type in (socket)",
		"inapplicable: " BASE ":419: Ptrace traceme: needs evt.type in (ptrace)",
		"inapplicable: " BASE ":426: Setuid by a non-root user: needs evt.type in (setuid)",
		"inapplicable: " BASE ":433: BPF program loaded: needs evt.type in (bpf)",
		"inapplicable: " BASE ":440: Java class written: needs evt.type in (write)",
		"inapplicable: " BASE ":447: Sensitive mount in a container: needs evt.type in (execve, execveat)",
		"inapplicable: " BASE ":457: File open with a socket address: needs fd.sip (a socket field: credwatch events are opens of files)",
		"inapplicable: " BASE ":464: Kubernetes audit rule: source 'k8s_audit' (credwatch's events are syscall opens)",
		"not evaluated: " BASE ":474: Open from a temporary working directory: depends on proc.cwd, which credwatch does not collect",
		"skipped: " BASE ":481: Open by an unknown plugin field: unknown field 'myplugin.flag' (skip-if-unknown-filter)",
	};
	struct rules_diag d;
	struct rules *r = load_both(&d);
	char *buf = NULL, line[512], *save = NULL, *l;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_string_equal(rules_summary(r, line, sizeof(line)),
			    "rules: 12 of 29 enabled rules apply to credential opens; 15 inapplicable "
			    "(need event types or fields credwatch does not see), 1 need fields "
			    "credwatch does not collect, 1 skipped (skip-if-unknown-filter); "
			    "--validate-rules -v lists them");
	rules_list_unused(r, f);
	fclose(f);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_string_equal(l, want[n]);
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	free(buf);
	rules_free(r);
}

static void test_compat_validate_rules_exits_0_and_prints_the_count(void **state)
{
	const char *files[] = { BASE, LOCAL };
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);

	assert_int_equal(rules_validate(files, 2, true, out, err), 0);
	fclose(out);
	fclose(err);
	assert_ptr_equal(strstr(obuf, "12 rules loaded from 2 files\nrules: 12 of 29 enabled "
				"rules apply to credential opens; 15 inapplicable"), obuf);
	assert_non_null(strstr(obuf, "\ninapplicable: " BASE ":412: Packet socket: "));
	assert_string_equal(ebuf, "");
	free(obuf);
	free(ebuf);
}

/* A directory stands for its *.yaml and *.yml files, in name order. */
static void test_compat_rules_directory_loads_yaml_files_in_order(void **state)
{
	char dir[128], p[256], cwd[512], target[640];
	struct rules_diag d;
	struct rules *r;
	const char *files[1];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(dir, sizeof(dir), "%s/rules.d", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	/* symlinks, as in a ConfigMap mount; the local file must come second */
	snprintf(p, sizeof(p), "%s/10-local.yml", dir);
	snprintf(target, sizeof(target), "%s/%s", cwd, LOCAL);
	assert_int_equal(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/00-falco_compat.yaml", dir);
	snprintf(target, sizeof(target), "%s/%s", cwd, BASE);
	assert_int_equal(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/README.md", dir);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/nested.yaml", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	files[0] = dir;
	if (rules_load(&r, files, 1, &d))
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	assert_int_equal(rules_nfiles(r), 2);
	assert_int_equal(rules_count(r), 12);	/* the local file's changes applied */
	rules_free(r);
	/* an empty directory is an error, not a silent start without rules */
	snprintf(p, sizeof(p), "%s/empty", tmpdir);
	assert_int_equal(mkdir(p, 0700), 0);
	files[0] = p;
	assert_int_equal(rules_load(&r, files, 1, &d), -EINVAL);
	assert_null(r);
	assert_non_null(strstr(d.items[0].msg, "no *.yaml or *.yml file"));
}

/* ---- behaviour ----------------------------------------------------------- */

struct hits {
	int n;
	char names[16][96];
	struct cw_rule *rules[16];
};

static void collect(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct hits *h = ctx;

	if (h->n < 16) {
		snprintf(h->names[h->n], sizeof(h->names[0]), "%s", rule_name(rule));
		h->rules[h->n++] = (struct cw_rule *)rule;
	}
}

/* "A|B|C": the rules rec matches, in file order */
static const char *matches(const struct rules *r, const struct cw_record *rec, char *buf,
			   size_t size)
{
	struct hits h = { 0 };

	rules_eval(r, rec, collect, &h);
	buf[0] = '\0';
	for (int i = 0; i < h.n; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? "|" : "", h.names[i]);
	return buf;
}

/* cat, run from bash under sshd under systemd, opens /etc/shadow on the host */
static void host_read(struct cw_record *rec, const char *path)
{
	static const char *const chain[] = { "cat", "bash", "sshd", "systemd" };

	record_reset(rec);
	rec->time_ns = 1800000000000000000ull;
	rec->syscall = CW_SYS_OPENAT;
	rec->res = 3;
	rec->pid = rec->tid = rec->vpid = 100;
	rec->uid = 1000;
	for (int i = 0; i < 4; i++) {
		rec->apid[i] = i == 3 ? 1 : 100 - 10 * (uint64_t)i;
		strcpy(rec->aname[i], chain[i]);
	}
	rec->ppid = 90;
	strcpy(rec->proc_name, "cat");
	strcpy(rec->proc_pname, "bash");
	strcpy(rec->proc_exe, "cat");
	strcpy(rec->proc_cmdline, "cat /etc/shadow");
	strcpy(rec->proc_exepath, "/usr/bin/cat");
	strcpy(rec->fd_flags, "O_RDONLY|O_CLOEXEC");
	strcpy(rec->fd_name, path);
	strcpy(rec->fd_nameraw, path);
	strcpy(rec->container_id, "host");
	strcpy(rec->user_name, "alice");
}

static void in_container(struct cw_record *rec)
{
	strcpy(rec->container_id, "0123456789ab");
	strcpy(rec->pod_uid, "2f6c1f4e-0000-4000-8000-000000000001");
	strcpy(rec->pod_name, "web-1");
	strcpy(rec->ns_name, "shop");
}

#define R_UNTRUSTED "Read secret file untrusted"
#define R_AFTER "Read secret file after startup"
#define R_ANCESTOR "Opened by a process with a known ancestor pid"
#define R_NOISY "Noisy open"
#define R_EXC "Secret opened with exceptions"

static void test_compat_open_rules_match_as_falco_would(void **state)
{
	struct rules_diag d;
	struct rules *r = load_both(&d);
	static struct cw_record rec;
	char got[512];

	host_read(&rec, "/etc/shadow");
	assert_string_equal(matches(r, &rec, got, sizeof(got)),
			    R_UNTRUSTED "|" R_ANCESTOR "|" R_NOISY "|" R_EXC);
	/* the list appended by the local file, and an exception tuple */
	strcpy(rec.proc_name, "vipw");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), R_ANCESTOR "|" R_NOISY);
	/* an ancestor the kernel did not capture (index 7, read from /proc) */
	host_read(&rec, "/etc/shadow");
	for (int i = 4; i <= CW_ANCESTORS; i++) {
		rec.apid[i] = 50 - (uint64_t)i;
		strcpy(rec.aname[i], "init-step");
	}
	rec.nanc_extra = 2;
	rec.apid_extra[0] = 40;
	strcpy(rec.aname_extra[0], "screen");
	rec.apid_extra[1] = 30;
	strcpy(rec.aname_extra[1], "dpkg");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), R_ANCESTOR "|" R_NOISY "|" R_EXC);
	/* proc.pexe: a java parent run with -jar is expected */
	host_read(&rec, "/etc/shadow");
	strcpy(rec.proc_pexe, "/usr/lib/jvm/bin/java");
	strcpy(rec.proc_pcmdline, "java -jar app.jar");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), R_ANCESTOR "|" R_NOISY "|" R_EXC);
	/* a sudoers.d file: fd.directory; the exception appended by the local file */
	host_read(&rec, "/etc/sudoers.d/90-cloud");
	strcpy(rec.proc_name, "viewer");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), R_UNTRUSTED "|" R_ANCESTOR "|" R_NOISY);
	/* ... and the exception's exepath added there */
	host_read(&rec, "/etc/gshadow");
	strcpy(rec.proc_exepath, "/opt/vendor/bin/scan");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), R_UNTRUSTED "|" R_ANCESTOR "|" R_NOISY);
	/* an old server process (proc.duration) vs one that just started */
	host_read(&rec, "/etc/shadow");
	strcpy(rec.proc_name, "nginx");
	rec.proc_start_ns = rec.time_ns - 60000000000ull;
	assert_string_equal(matches(r, &rec, got, sizeof(got)),
			    R_UNTRUSTED "|" R_AFTER "|" R_ANCESTOR "|" R_NOISY "|" R_EXC);
	rec.proc_start_ns = rec.time_ns - 1000000000ull;
	assert_string_equal(matches(r, &rec, got, sizeof(got)),
			    R_UNTRUSTED "|" R_ANCESTOR "|" R_NOISY "|" R_EXC);
	/* Falco's evt.type names: an io_uring open is not an openat */
	host_read(&rec, "/etc/shadow");
	rec.syscall = CW_SYS_IO_URING_OPENAT;
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "");
	rules_free(r);
}

static void test_compat_write_environ_ssh_dev_tar_sshd_rules(void **state)
{
	struct rules_diag d;
	struct rules *r = load_both(&d);
	static struct cw_record rec;
	char got[512];

	/* a log truncated: evt.arg.flags, fd.directory of the log dirs */
	host_read(&rec, "/var/log/syslog");
	strcpy(rec.fd_flags, "O_WRONLY|O_TRUNC");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "Clear log files");
	/* release_agent: thread.cap_effective from /proc */
	host_read(&rec, "/sys/fs/cgroup/rdma/release_agent");
	in_container(&rec);
	strcpy(rec.fd_flags, "O_WRONLY");
	rec.uid = 0;
	strcpy(rec.cap_effective, "CAP_CHOWN CAP_DAC_OVERRIDE CAP_SYS_ADMIN");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "Write to release_agent");
	strcpy(rec.cap_effective, "CAP_CHOWN CAP_DAC_OVERRIDE");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "");
	/* another process's environment */
	host_read(&rec, "/proc/4242/environ");
	in_container(&rec);
	assert_non_null(strstr(matches(r, &rec, got, sizeof(got)),
			       "Read environment of another process"));
	strcpy(rec.proc_name, "ps");
	assert_null(strstr(matches(r, &rec, got, sizeof(got)), "Read environment"));
	/* ssh keys, and the directory itself (open_directory, fd.type) */
	host_read(&rec, "/home/alice/.ssh/id_ed25519");
	strcpy(rec.proc_name, "python3");
	strcpy(rec.aname[2], "tmux");
	assert_non_null(strstr(matches(r, &rec, got, sizeof(got)), "Read ssh information"));
	host_read(&rec, "/root/.ssh");
	strcpy(rec.aname[2], "tmux");
	strcpy(rec.fd_flags, "O_RDONLY|O_DIRECTORY");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "Read ssh information");
	/* the same by a child of sshd: proc.aname without an index */
	strcpy(rec.aname[2], "sshd");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "");
	/* creat below /dev (creat is neither is_open_read nor is_open_write) */
	host_read(&rec, "/dev/.hidden");
	rec.syscall = CW_SYS_CREAT;
	strcpy(rec.fd_flags, "O_WRONLY|O_CREAT|O_TRUNC");
	assert_string_equal(matches(r, &rec, got, sizeof(got)), "Create file below dev");
	/* tar in a container without a terminal, parent unknown */
	host_read(&rec, "/srv/data/orders.db");
	in_container(&rec);
	strcpy(rec.proc_name, "tar");
	rec.proc_pname[0] = '\0';
	assert_non_null(strstr(matches(r, &rec, got, sizeof(got)), "Copy out of a container with tar"));
	/* sshd and a backdoored liblzma */
	host_read(&rec, "/usr/lib/x86_64-linux-gnu/liblzma.so.5.6.1");
	strcpy(rec.proc_name, "sshd");
	assert_non_null(strstr(matches(r, &rec, got, sizeof(got)), "Backdoored library opened by sshd"));
	rules_free(r);
}

/* What tests/integration/test_ship.sh requires of a falcosidekick body. */
static void assert_falcosidekick_accepts(const char *body)
{
	static const char *const prios[] = {
		"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational",
		"Debug",
	};
	static const char *const keys[] = {
		"output", "priority", "rule", "time", "source", "hostname", "uuid",
	};
	cJSON *o = cJSON_Parse(body), *tags, *t;
	bool prio_ok = false;

	assert_non_null(o);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cJSON *v = cJSON_GetObjectItem(o, keys[i]);

		if (!cJSON_IsString(v) || !v->valuestring[0])
			fail_msg("%s missing in %s", keys[i], body);
	}
	for (size_t i = 0; i < 8; i++)
		prio_ok |= !strcmp(cJSON_GetObjectItem(o, "priority")->valuestring, prios[i]);
	assert_true(prio_ok);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(o, "output_fields")));
	tags = cJSON_GetObjectItem(o, "tags");
	assert_true(cJSON_IsArray(tags) && cJSON_GetArraySize(tags) > 0);
	cJSON_ArrayForEach(t, tags)
		assert_true(cJSON_IsString(t));
	assert_null(cJSON_GetObjectItem(o, "kind"));
	assert_null(strstr(cJSON_GetObjectItem(o, "output")->valuestring, "%"));
	cJSON_Delete(o);
}

static void test_compat_alerts_are_what_falcosidekick_accepts(void **state)
{
	static const char *const paths[] = {
		"/etc/shadow", "/proc/1/environ", "/root/.ssh/authorized_keys", "/var/log/messages",
		"/sys/fs/cgroup/x/release_agent", "/dev/evil", "/usr/lib/liblzma.so.5.6.0",
	};
	static const char *const flags[] = { "O_RDONLY", "O_WRONLY|O_TRUNC|O_CREAT" };
	struct rules_diag d;
	struct rules *r = load_both(&d);
	static struct cw_record rec;
	int alerts = 0, seen = 0;
	struct jbuf jb, fb;

	jbuf_init(&jb);
	jbuf_init(&fb);
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		for (int f = 0; f < 2; f++) {
			struct hits h = { 0 };

			host_read(&rec, paths[p]);
			in_container(&rec);
			strcpy(rec.fd_flags, flags[f]);
			strcpy(rec.cap_effective, "CAP_SYS_ADMIN");
			strcpy(rec.proc_name, p == 6 ? "sshd" : "cat");
			rules_eval(r, &rec, collect, &h);
			for (int i = 0; i < h.n; i++) {
				struct alert a;

				alert_init(&a, h.rules[i], &rec);
				jbuf_reset(&jb);
				alert_render_json(&a, "node-1", &jb);
				assert_false(jb.oom);
				assert_falcosidekick_accepts(jb.buf);
				/* complete as it stands: the falcosidekick format sends it as is */
				jbuf_reset(&fb);
				assert_int_equal(shipfmt_falco(&fb, SPOOL_ALERT, jb.buf, jb.len, "x"), 0);
				assert_string_equal(fb.buf, jb.buf);
				seen |= 1 << (h.rules[i] == h.rules[0] ? 0 : 1);
				alerts++;
			}
		}
	}
	assert_true(alerts >= 10);
	assert_int_equal(seen, 3);
	jbuf_free(&jb);
	jbuf_free(&fb);
	rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_files_use_every_upstream_field),
		cmocka_unit_test(test_compat_files_load_with_falco_warnings_only),
		cmocka_unit_test(test_compat_inapplicable_rules_are_counted_and_listed),
		cmocka_unit_test(test_compat_validate_rules_exits_0_and_prints_the_count),
		cmocka_unit_test(test_compat_rules_directory_loads_yaml_files_in_order),
		cmocka_unit_test(test_compat_open_rules_match_as_falco_would),
		cmocka_unit_test(test_compat_write_environ_ssh_dev_tar_sshd_rules),
		cmocka_unit_test(test_compat_alerts_are_what_falcosidekick_accepts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
