// SPDX-License-Identifier: Apache-2.0
/*
 * test_attrib.c - attribution of real processes in real cgroup v2
 * directories named like kubelet's, against a fixture host root (whose
 * proc/ is the machine's /proc) and, for enrichment, a fake API server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/attrib.h"
#include "user/nodeagents.h"
#include "user/sensor.h"
#include "user/cgroup.h"
#include "user/redact.h"
#include "user/fields.h"
#include "tests/lib/fake_apiserver.h"

#define UA "11111111-2222-3333-4444-555555555555"
#define UA_ "11111111_2222_3333_4444_555555555555"
#define UB "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define CA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

#define SD_ROOT "cwtest-at-kubepods.slice"
#define SD_QOS SD_ROOT "/cwtest-at-kubepods-besteffort.slice"
#define SD_POD SD_QOS "/cwtest-at-kubepods-besteffort-pod" UA_ ".slice"
#define SD_CTR SD_POD "/cri-containerd-" CA ".scope"
#define FS_TOP "cwtest-at-cgfs"
#define FS_ROOT FS_TOP "/kubepods"
#define FS_QOS FS_ROOT "/besteffort"
#define FS_POD FS_QOS "/pod" UB
#define FS_CTR FS_POD "/" CC

struct world {
	char hostroot[PATH_MAX];	/* fixture copy with proc -> /proc */
	char ctr_root[PATH_MAX];	/* the "exec" child's chroot */
	char cgroot[PATH_MAX];
	uint64_t ctr_id, cgfs_id, host_id;
	pid_t shim, init, exec;
	struct attrib *a;
};

static void sh(const char *fmt, ...)
{
	char cmd[PATH_MAX * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("%s failed", cmd);
}

static uint64_t mkcg(struct world *w, const char *rel)
{
	char p[PATH_MAX * 2];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", w->cgroot, rel);
	if (mkdir(p, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

static void rmcg(struct world *w, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", w->cgroot, rel);
	rmdir(p);
}

static void join_cgroup(const char *cgroot, const char *rel)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/cgroup.procs", cgroot, rel);
	f = fopen(p, "w");
	if (!f || fprintf(f, "0\n") < 0 || fclose(f))
		_exit(3);
}

/*
 * A fake runtime shim with two children in the container cgroup: the
 * exec-session logic on a process tree this test controls. Under a real
 * containerd-shim and runc: tests/integration/test_demo.sh, test_e2e_runtime.sh.
 */
static void spawn_container(struct world *w)
{
	int fd[2];

	assert_int_equal(pipe(fd), 0);
	w->shim = fork();
	assert_true(w->shim >= 0);
	if (w->shim == 0) {
		pid_t init, ex;

		prctl(PR_SET_NAME, "containerd-shim");
		init = fork();
		if (init == 0) {
			setsid();	/* no controlling tty, as a container's init */
			prctl(PR_SET_NAME, "nginx");
			join_cgroup(w->cgroot, SD_CTR);
			for (;;)
				pause();
		}
		usleep(50000);	/* a later start time than init's */
		ex = fork();
		if (ex == 0) {
			prctl(PR_SET_NAME, "sh");
			join_cgroup(w->cgroot, SD_CTR);
			if (unshare(CLONE_NEWNS) || chroot(w->ctr_root) || chdir("/"))
				_exit(4);
			for (;;)
				pause();
		}
		if (write(fd[1], &init, sizeof(init)) != sizeof(init) ||
		    write(fd[1], &ex, sizeof(ex)) != sizeof(ex))
			_exit(5);
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	close(fd[1]);
	assert_int_equal(read(fd[0], &w->init, sizeof(w->init)), sizeof(w->init));
	assert_int_equal(read(fd[0], &w->exec, sizeof(w->exec)), sizeof(w->exec));
	close(fd[0]);
	/* Wait until both are in the cgroup and the exec child has chrooted. */
	for (int i = 0; i < 200; i++) {
		char p[64], root[PATH_MAX];
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/%d/root", w->exec);
		n = readlink(p, root, sizeof(root) - 1);
		if (n > 0) {
			root[n] = '\0';
			if (!strcmp(root, w->ctr_root))
				break;
		}
		usleep(20000);
	}
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct attrib_opts o = { 0 };
	char self[PATH_MAX], line[PATH_MAX], p[PATH_MAX * 2];
	struct stat st;
	FILE *f;

	strcpy(w->hostroot, "/tmp/cwattr.XXXXXX");
	assert_non_null(mkdtemp(w->hostroot));
	sh("cp -a tests/fixtures/attrib/hostroot/. %s/ && ln -s /proc %s/proc", w->hostroot,
	   w->hostroot);
	snprintf(w->ctr_root, sizeof(w->ctr_root), "%s/ctr-root", w->hostroot);
	sh("mkdir -p %s/etc && echo 'containerroot:x:0:0::/:/bin/sh' > %s/etc/passwd",
	   w->ctr_root, w->ctr_root);
	assert_int_equal(cgroup_root_detect("/", w->cgroot, sizeof(w->cgroot)), 0);
	mkcg(w, SD_ROOT);
	mkcg(w, SD_QOS);
	mkcg(w, SD_POD);
	w->ctr_id = mkcg(w, SD_CTR);
	mkcg(w, FS_TOP);
	mkcg(w, FS_ROOT);
	mkcg(w, FS_QOS);
	mkcg(w, FS_POD);
	w->cgfs_id = mkcg(w, FS_CTR);
	/* Our own cgroup: a host process. */
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	self[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			snprintf(self, sizeof(self), "%s", line + 3);
	fclose(f);
	self[strcspn(self, "\n")] = '\0';
	snprintf(p, sizeof(p), "%s%s", w->cgroot, self);
	assert_int_equal(stat(p, &st), 0);
	w->host_id = st.st_ino;
	spawn_container(w);
	o.host_root = w->hostroot;
	assert_int_equal(attrib_new(&w->a, &o), 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	attrib_free(w->a);
	kill(w->init, SIGKILL);
	kill(w->exec, SIGKILL);
	waitpid(w->shim, NULL, 0);
	rmcg(w, SD_CTR);
	rmcg(w, SD_POD);
	rmcg(w, SD_QOS);
	rmcg(w, SD_ROOT);
	rmcg(w, FS_CTR);
	rmcg(w, FS_POD);
	rmcg(w, FS_QOS);
	rmcg(w, FS_ROOT);
	rmcg(w, FS_TOP);
	sh("rm -rf %s", w->hostroot);
	free(w);
	return 0;
}

static uint32_t mnt_ns_of(pid_t pid)
{
	char p[64], link[64];
	unsigned long ns = 0;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", pid);
	n = readlink(p, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_int_equal(sscanf(link, "mnt:[%lu]", &ns), 1);
	return (uint32_t)ns;
}

/* An event as the sensor would send it, and the record as the lead fills it. */
static void event(struct cw_event *e, struct cw_record *rec, uint64_t cgid, uint32_t tgid,
		  const char *comm, const char *owner_uid, const char *volume)
{
	memset(e, 0, CW_EVENT_HDR_SIZE);
	e->cgroup_id = cgid;
	e->tgid = e->tid = tgid;
	e->mnt_ns = mnt_ns_of(getpid());
	snprintf(e->comm, sizeof(e->comm), "%s", comm);
	record_reset(rec);
	rec->pid = tgid;
	snprintf(rec->proc_name, sizeof(rec->proc_name), "%s", comm);
	snprintf(rec->owner_pod_uid, sizeof(rec->owner_pod_uid), "%s", owner_uid ? owner_uid : "");
	snprintf(rec->secret_name, sizeof(rec->secret_name), "%s", volume ? volume : "");
}

static void anc(struct cw_event *e, int i, uint32_t pid, const char *comm)
{
	e->anc[i].tgid = pid;
	snprintf(e->anc[i].comm, sizeof(e->anc[i].comm), "%s", comm);
}

static void test_attrib_exec_shell_reading_another_pods_token(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;

	event(&e, &rec, w->ctr_id, (uint32_t)w->exec, "sh", UB, "kube-api-access-x7k2p");
	e.mnt_ns = mnt_ns_of(w->exec);
	anc(&e, 0, (uint32_t)w->shim, "containerd-shim");
	anc(&e, 1, (uint32_t)getpid(), "test_attrib");
	attrib_fill(w->a, &rec, &e);
	assert_string_equal(rec.container_id, "aaaaaaaaaaaa");
	assert_string_equal(rec.pod_uid, UA);
	assert_string_equal(rec.pod_name, "web-1");
	assert_string_equal(rec.ns_name, "default");
	assert_string_equal(rec.container_name, "nginx");
	assert_string_equal(rec.owner_pod, "coredns-6d4b");
	assert_string_equal(rec.owner_ns, "kube-system");
	assert_string_equal(rec.secret_name, "kube-api-access-x7k2p");	/* no API: the volume */
	assert_int_equal(rec.same_pod, CW_FALSE);
	assert_string_equal(rec.user_name, "containerroot");	/* its own /etc/passwd */
	assert_int_equal(rec.is_exec_session, CW_TRUE);
	assert_string_equal(rec.proc_pcmdline, "containerd-shim");
	assert_string_equal(rec.pod_sa, "");
}

static void test_attrib_container_init_is_not_an_exec_session(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;

	event(&e, &rec, w->ctr_id, (uint32_t)w->init, "nginx", UA, "db-creds");
	anc(&e, 0, (uint32_t)w->shim, "containerd-shim");
	anc(&e, 1, (uint32_t)getpid(), "test_attrib");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.is_exec_session, CW_FALSE);
	assert_int_equal(rec.same_pod, CW_TRUE);
	assert_string_equal(rec.owner_pod, "web-1");
	/* A worker forked by init: still the container's own tree. */
	event(&e, &rec, w->ctr_id, 4000000, "worker", UA, "db-creds");
	anc(&e, 0, (uint32_t)w->init, "nginx");
	anc(&e, 1, (uint32_t)w->shim, "containerd-shim");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.is_exec_session, CW_FALSE);
	/* ... unless it has a terminal that init never had. */
	e.tty = (136u << 20) | 3;
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.is_exec_session, CW_TRUE);
	/* A child of the exec'd shell is in the exec session too. */
	event(&e, &rec, w->ctr_id, 4000001, "cat", UA, NULL);
	anc(&e, 0, (uint32_t)w->exec, "sh");
	anc(&e, 1, (uint32_t)w->shim, "containerd-shim");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.is_exec_session, CW_TRUE);
	/* Entered from the host with nsenter: the runtime is not an ancestor. */
	event(&e, &rec, w->ctr_id, 4000002, "cat", UA, NULL);
	anc(&e, 0, 4000003, "bash");
	anc(&e, 1, 1, "systemd");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.is_exec_session, CW_TRUE);
	/* runc exec still setting up. */
	event(&e, &rec, w->ctr_id, 4000004, "cat", UA, NULL);
	anc(&e, 0, 4000005, "runc:[2:INIT]");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.is_exec_session, CW_TRUE);
}

static void test_attrib_host_process_reading_a_pods_credential(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;

	event(&e, &rec, w->host_id, (uint32_t)getpid(), "cat", UB, "kube-api-access-x7k2p");
	e.uid = 1000;
	anc(&e, 0, (uint32_t)w->shim, "wrong-comm");	/* not our parent: no pcmdline */
	attrib_fill(w->a, &rec, &e);
	assert_string_equal(rec.container_id, "host");
	assert_string_equal(rec.pod_uid, "");
	assert_string_equal(rec.pod_name, "");
	assert_int_equal(rec.same_pod, CW_FALSE);
	assert_string_equal(rec.owner_pod, "coredns-6d4b");
	assert_string_equal(rec.user_name, "hostuser");	/* <host-root>/etc/passwd */
	assert_int_equal(rec.is_exec_session, CW_FALSE);
	assert_string_equal(rec.proc_pcmdline, "");
}

/*
 * A chain of 9 real processes, lvl0 (a session leader) .. lvl8 (the
 * reader): the kernel would capture lvl7..lvl3; Falco's fields past that,
 * and the ones the event does not carry, come from /proc on demand.
 */
#define CHAIN 9

static pid_t spawn_chain(pid_t *pids)
{
	int fd[2];
	pid_t top;

	assert_int_equal(pipe(fd), 0);
	top = fork();
	assert_true(top >= 0);
	if (top == 0) {
		pid_t mine[CHAIN];

		setsid();
		for (int lvl = 0; lvl < CHAIN; lvl++) {
			char name[16];

			snprintf(name, sizeof(name), "lvl%d", lvl);
			prctl(PR_SET_NAME, name);
			mine[lvl] = getpid();
			if (lvl == CHAIN - 1) {		/* the reader tells the chain */
				if (write(fd[1], mine, sizeof(mine)) != sizeof(mine))
					_exit(2);
				for (;;)
					pause();
			}
			if (fork() != 0) {		/* every level waits for its child */
				while (wait(NULL) > 0)
					;
				_exit(0);
			}
		}
		_exit(3);
	}
	close(fd[1]);
	assert_int_equal(read(fd[0], pids, sizeof(pid_t) * CHAIN), (ssize_t)sizeof(pid_t) * CHAIN);
	close(fd[0]);
	return top;
}

static void chain_event(struct cw_event *e, struct cw_record *rec, struct world *w,
			const pid_t *pids, const char *comm)
{
	event(e, rec, w->host_id, (uint32_t)pids[CHAIN - 1], comm, NULL, NULL);
	e->sid = (uint32_t)pids[0];
	e->loginuid = 1000;
	for (int i = 0; i < CW_ANCESTORS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "lvl%d", CHAIN - 2 - i);
		anc(e, i, (uint32_t)pids[CHAIN - 2 - i], name);
	}
}

static void test_attrib_reads_falco_fields_from_proc_on_demand(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;
	char path[64], line[256], self[PATH_MAX], want[CW_REC_CAPS_MAX] = "";
	pid_t pids[CHAIN], top = spawn_chain(pids);
	struct timespec t0;
	uint64_t now_ns;
	ssize_t n;
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &t0);
	now_ns = (uint64_t)t0.tv_sec * 1000000000ull + (uint64_t)t0.tv_nsec;
	/* not asked for: nothing read */
	chain_event(&e, &rec, w, pids, "lvl8");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.proc_start_ns, 0);
	assert_int_equal(rec.nanc_extra, 0);
	assert_string_equal(rec.cap_effective, "");
	assert_true(rec.evt_num > 0);
	attrib_set_wants(w->a, CW_WANT_PROC_START | CW_WANT_STATUS | CW_WANT_SESSION |
			 CW_WANT_LOGINNAME | CW_WANT_PEXEPATH | CW_WANT_ANCESTORS);
	chain_event(&e, &rec, w, pids, "lvl8");
	attrib_fill(w->a, &rec, &e);
	/* started a moment ago (ticks are 10 ms; a generous window, not a timing test) */
	assert_true(rec.proc_start_ns > now_ns - 60000000000ull);
	assert_true(rec.proc_start_ns < now_ns + 60000000000ull);
	assert_int_equal(rec.vpid, (uint64_t)pids[CHAIN - 1]);	/* same pid namespace */
	assert_string_equal(rec.proc_sname, "lvl0");
	assert_string_equal(rec.user_loginname, "hostuser");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);	/* forked, not exec'd */
	assert_true(n > 0);
	self[n] = '\0';
	assert_string_equal(rec.proc_pexepath, self);
	/* lvl2 .. lvl0, then whoever ran the test */
	assert_true(rec.nanc_extra >= 4);
	assert_string_equal(rec.aname_extra[0], "lvl2");
	assert_int_equal(rec.apid_extra[0], (uint64_t)pids[2]);
	assert_string_equal(rec.aname_extra[2], "lvl0");
	assert_int_equal(rec.apid_extra[3], (uint64_t)getpid());
	/* thread.cap_effective as Falco prints the CapEff mask */
	snprintf(path, sizeof(path), "/proc/%d/status", pids[CHAIN - 1]);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:\t", 8))
			field_caps_format(strtoull(line + 8, NULL, 16), want, sizeof(want));
	fclose(f);
	assert_string_equal(rec.cap_effective, want);
	/* a pid that now names another process: nothing is lent to the event */
	chain_event(&e, &rec, w, pids, "not-lvl8");
	snprintf(e.anc[CW_ANCESTORS - 1].comm, sizeof(e.anc[0].comm), "other");
	snprintf(e.anc[0].comm, sizeof(e.anc[0].comm), "other");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.proc_start_ns, 0);
	assert_int_equal(rec.vpid, 0);
	assert_string_equal(rec.cap_effective, "");
	assert_string_equal(rec.proc_pexepath, "");
	assert_int_equal(rec.nanc_extra, 0);
	/* the reader has exited: the fields stay unset */
	kill(top, SIGKILL);
	for (int i = 1; i < CHAIN; i++)
		kill(pids[i], SIGKILL);
	waitpid(top, NULL, 0);
	for (int i = 0; i < 200 && !kill(pids[CHAIN - 1], 0); i++)
		usleep(10000);
	chain_event(&e, &rec, w, pids, "lvl8");
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.proc_start_ns, 0);
	assert_string_equal(rec.cap_effective, "");
	attrib_set_wants(w->a, 0);
}

static void test_attrib_cgroupfs_driver_container(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;

	event(&e, &rec, w->cgfs_id, 4000010, "coredns", UB, "kube-api-access-x7k2p");
	attrib_fill(w->a, &rec, &e);
	assert_string_equal(rec.container_id, "cccccccccccc");
	assert_string_equal(rec.pod_uid, UB);
	assert_string_equal(rec.pod_name, "coredns-6d4b");
	assert_string_equal(rec.ns_name, "kube-system");
	assert_string_equal(rec.container_name, "coredns");
	assert_int_equal(rec.same_pod, CW_TRUE);
}

/* environ: the owner is the read process's cgroup, attributed like a reader's. */
static void test_attrib_environ_owner_from_its_cgroup(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;
	const struct {
		uint64_t owner_cgid;
		const char *owner_pod, *owner_uid;
		int8_t same_pod;
	} cases[] = {
		{ w->cgfs_id, "coredns-6d4b", UB, CW_FALSE },	/* another pod */
		{ w->host_id, "", "", CW_FALSE },		/* a host process */
		{ w->ctr_id, "web-1", UA, CW_TRUE },		/* its own pod */
		{ 0x7ffffffffffeULL, "", "", CW_UNKNOWN },	/* a cgroup gone meanwhile */
		{ 0, "", "", CW_UNKNOWN },			/* the process had exited */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event(&e, &rec, w->ctr_id, 4000030, "cat", NULL, NULL);
		e.flags = CW_EVF_ENVIRON;
		e.owner_cgroup_id = cases[i].owner_cgid;
		attrib_fill(w->a, &rec, &e);
		assert_string_equal(rec.pod_name, "web-1");
		assert_string_equal(rec.owner_pod, cases[i].owner_pod);
		assert_string_equal(rec.owner_pod_uid, cases[i].owner_uid);
		assert_int_equal(rec.same_pod, cases[i].same_pod);
	}
	/* a host reader of a host process: both on the host */
	event(&e, &rec, w->host_id, 4000031, "ps", NULL, NULL);
	e.flags = CW_EVF_ENVIRON;
	e.owner_cgroup_id = w->host_id;
	attrib_fill(w->a, &rec, &e);
	assert_int_equal(rec.same_pod, CW_TRUE);
}

static void test_attrib_unknown_cgroup_leaves_fields_unknown(void **state)
{
	struct world *w = *state;
	static struct cw_event e;
	static struct cw_record rec;
	struct attrib_stats st;

	event(&e, &rec, 0x7fffffffffffULL, 4000020, "cat", UB, NULL);
	attrib_fill(w->a, &rec, &e);
	assert_string_equal(rec.container_id, "");
	assert_string_equal(rec.pod_uid, "");
	assert_int_equal(rec.same_pod, CW_UNKNOWN);
	assert_int_equal(rec.is_exec_session, CW_UNKNOWN);
	assert_string_equal(rec.owner_pod, "coredns-6d4b");
	attrib_stats(w->a, &st);
	assert_true(st.cgroup_entries >= 3);
	assert_int_equal(st.cgroup_max, CG_CACHE_DEFAULT);
	assert_true(st.cgroup_not_found >= 1);
	assert_int_equal(st.pods_local, 3);
	assert_false(st.api_configured);
	assert_string_equal(st.api_state, "disabled");
}

static void test_attrib_api_adds_service_accounts_images_and_secrets(void **state)
{
	struct world *w = *state;
	struct attrib_opts o = { .host_root = w->hostroot, .node_name = "node-1" };
	static struct cw_event e;
	static struct cw_record rec;
	struct attrib_stats st;
	struct fake_api api;
	struct attrib *a;

	fake_api_start(&api);
	o.kubeconfig = (char *)fake_api_kubeconfig(&api, "test-token");
	assert_int_equal(attrib_new(&a, &o), 0);
	assert_int_equal(attrib_start(a), 0);
	for (int i = 0; i < 400; i++) {	/* the server answers 503 first */
		attrib_stats(a, &st);
		if (st.api_synced)
			break;
		usleep(50000);
	}
	assert_true(st.api_synced);
	assert_true(st.api_configured);
	/* The exec shell of pod A (API uid = fixture uid) reads its own db-creds. */
	event(&e, &rec, w->ctr_id, (uint32_t)w->exec, "sh", UA, "db-creds");
	e.mnt_ns = mnt_ns_of(w->exec);
	anc(&e, 0, (uint32_t)w->shim, "containerd-shim");
	attrib_fill(a, &rec, &e);
	assert_string_equal(rec.pod_name, "web-1");	/* node-local wins */
	assert_true(!strcmp(rec.pod_sa, "sa-one") || !strcmp(rec.pod_sa, "sa-two"));
	assert_string_equal(rec.container_name, "app");	/* the API's, by container id */
	assert_string_equal(rec.container_image, "registry.local:5000/team/app");
	assert_int_equal(rec.container_privileged, CW_TRUE);	/* securityContext */
	assert_string_equal(rec.secret_name, "db-password");
	assert_string_equal(rec.owner_sa, rec.pod_sa);
	assert_int_equal(rec.same_pod, CW_TRUE);
	/* A pod the API knows but the node-local tree does not. */
	event(&e, &rec, w->host_id, (uint32_t)getpid(), "cat",
	      "33333333-2222-3333-4444-555555555555", "kube-api-access-x7k2p");
	for (int i = 0; i < 400 && !rec.owner_pod[0]; i++) {	/* after the relist */
		usleep(50000);
		attrib_fill(a, &rec, &e);
	}
	assert_string_equal(rec.owner_pod, "pod-c");
	assert_string_equal(rec.owner_ns, "team-c");
	assert_string_equal(rec.secret_name, "kube-api-access-x7k2p");	/* projected: no Secret */
	attrib_free(a);
	fake_api_stop(&api);
}

/*
 * proc.pcmdline is read from /proc: it is redacted before it is formatted
 * or cached, and a second reader of the same parent (from the cache while
 * it is fresh) gets the redacted line too.
 */
static void test_attrib_parent_cmdline_is_redacted(void **state)
{
	struct world *w = *state;
	struct attrib_opts o = { .host_root = w->hostroot, .node_name = "node-1" };
	static struct cw_event e;
	static struct cw_record rec;
	char path[64], buf[256], why[128];
	struct redact *r = NULL;
	struct attrib *a;
	pid_t child;
	ssize_t n = 0;

	assert_int_equal(redact_new(&r), 0);
	assert_non_null(r);
	assert_int_equal(redact_add(r, REDACT_LIST_NAMES, "password", why, sizeof(why)), 0);
	o.redact = r;
	assert_int_equal(attrib_new(&a, &o), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		execl("/bin/sh", "sh", "-c", "sleep 60; :", "sh", "--password", "MKPCMD01",
		      "https://u:MKPCMD02@h", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", child);
	for (int i = 0; i < 400; i++) {	/* until the exec is done */
		FILE *f = fopen(path, "r");

		n = f ? (ssize_t)fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		if (n > 0 && memmem(buf, (size_t)n, "MKPCMD02", 8))
			break;
		usleep(10000);
	}
	assert_non_null(memmem(buf, (size_t)n, "MKPCMD02", 8));
	for (int round = 0; round < 2; round++) {
		event(&e, &rec, w->host_id, 4000100 + (uint32_t)round, "cat", NULL, NULL);
		anc(&e, 0, (uint32_t)child, "sh");
		attrib_fill(a, &rec, &e);
		assert_string_equal(rec.proc_pcmdline,
				    "sh -c sleep 60; : sh --password <redacted> https://u:<redacted>@h");
	}
	assert_true(redact_total(r) >= 2);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	attrib_free(a);
	redact_free(r);
}

static void test_attrib_cmdline_format_matches_falco(void **state)
{
	char out[64];

	attrib_cmdline_format("cat", "/bin/cat\0/etc/x\0-n\0", 19, out, sizeof(out));
	assert_string_equal(out, "cat /etc/x -n");
	attrib_cmdline_format("sh", "sh\0", 3, out, sizeof(out));
	assert_string_equal(out, "sh");
	attrib_cmdline_format("sh", "sh\0a\nb\0", 7, out, sizeof(out));
	assert_string_equal(out, "sh a\\x0ab");
	attrib_cmdline_format("x", "x\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40, out, 10);
	assert_string_equal(out, "x aaaaaaa");
	assert_true(attrib_is_runtime_shim("containerd-shim"));
	assert_true(attrib_is_runtime_shim("conmon"));
	assert_true(attrib_is_runtime_shim("runc:[2:INIT]"));
	assert_false(attrib_is_runtime_shim("containerd"));
	assert_false(attrib_is_runtime_shim("sh"));
}

/*
 * proc.node_agent: the host's mount namespace (here: the kernel's flags) AND
 * the executable's (device, inode) in the inventory. The same name with
 * another inode, or the registered inode in another mount namespace, is
 * nobody; without the kernel's flags the host namespace is pid 1's.
 */
static void test_attrib_node_agent_needs_host_mntns_and_inode(void **state)
{
	struct world *w = *state;
	char bin[PATH_MAX + 32], *paths[] = { "/usr/bin/kubelet" };
	struct node_agents *na = NULL;
	static struct cw_event e;
	static struct cw_record rec;
	struct attrib *a;
	struct stat st;

	sh("mkdir -p %s/usr/bin && cp /bin/true %s/usr/bin/kubelet", w->hostroot, w->hostroot);
	snprintf(bin, sizeof(bin), "%s/usr/bin/kubelet", w->hostroot);
	assert_int_equal(stat(bin, &st), 0);
	assert_int_equal(node_agents_new(&na, &(struct node_agents_opts){
		.host_root = w->hostroot, .paths = paths, .n_paths = 1 }), 0);
	assert_int_equal(attrib_new(&a, &(struct attrib_opts){ .host_root = w->hostroot,
							       .node_name = "node-1",
							       .agents = na }), 0);
	event(&e, &rec, w->host_id, 4242, "kubelet", NULL, NULL);
	e.exe_ino = st.st_ino;
	e.exe_dev = dev_to_kernel(st.st_dev);
	e.flags = CW_EVF_MNTNS_KNOWN | CW_EVF_HOST_MNTNS;
	attrib_fill(a, &rec, &e);
	assert_int_equal(rec.is_host_mntns, CW_TRUE);
	assert_string_equal(rec.node_agent, geteuid() == 0 ? "kubelet" : "");

	event(&e, &rec, w->host_id, 4243, "kubelet", NULL, NULL);	/* a copy */
	e.exe_ino = st.st_ino + 1;
	e.exe_dev = dev_to_kernel(st.st_dev);
	e.flags = CW_EVF_MNTNS_KNOWN | CW_EVF_HOST_MNTNS;
	attrib_fill(a, &rec, &e);
	assert_string_equal(rec.node_agent, "");

	event(&e, &rec, w->ctr_id, 4244, "kubelet", NULL, NULL);	/* in a container */
	e.exe_ino = st.st_ino;
	e.exe_dev = dev_to_kernel(st.st_dev);
	e.flags = CW_EVF_MNTNS_KNOWN;
	attrib_fill(a, &rec, &e);
	assert_int_equal(rec.is_host_mntns, CW_FALSE);
	assert_string_equal(rec.node_agent, "");

	/* an ancestor that has exited, running the registered kubelet: its path by inode */
	attrib_set_wants(a, CW_WANT_PEXEPATH);
	event(&e, &rec, w->ctr_id, 4245, "sh", NULL, NULL);
	anc(&e, 0, 4194000, "runc");		/* no such pid */
	anc(&e, 1, 4194001, "kubelet");
	e.anc[1].exe_ino = st.st_ino;
	e.anc[1].exe_dev = dev_to_kernel(st.st_dev);
	attrib_fill(a, &rec, &e);
	assert_string_equal(rec.proc_pexepath, "");
	assert_string_equal(rec.aexepath[0], geteuid() == 0 ? "/usr/bin/kubelet" : "");

	attrib_free(a);
	node_agents_free(na);
}

static void test_attrib_rejects_bad_flags(void **state)
{
	struct attrib_opts o = { .host_root = "/", .cgroup_root = "/nonexistent/cgroup" };
	struct attrib *a;

	assert_int_equal(attrib_new(&a, &o), -EINVAL);
	assert_null(a);
	o.cgroup_root = NULL;
	o.kubeconfig = "/nonexistent/kubeconfig";
	assert_int_equal(attrib_new(&a, &o), -EINVAL);
	attrib_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attrib_exec_shell_reading_another_pods_token),
		cmocka_unit_test(test_attrib_container_init_is_not_an_exec_session),
		cmocka_unit_test(test_attrib_host_process_reading_a_pods_credential),
		cmocka_unit_test(test_attrib_reads_falco_fields_from_proc_on_demand),
		cmocka_unit_test(test_attrib_cgroupfs_driver_container),
		cmocka_unit_test(test_attrib_environ_owner_from_its_cgroup),
		cmocka_unit_test(test_attrib_unknown_cgroup_leaves_fields_unknown),
		cmocka_unit_test(test_attrib_api_adds_service_accounts_images_and_secrets),
		cmocka_unit_test(test_attrib_parent_cmdline_is_redacted),
		cmocka_unit_test(test_attrib_cmdline_format_matches_falco),
		cmocka_unit_test(test_attrib_node_agent_needs_host_mntns_and_inode),
		cmocka_unit_test(test_attrib_rejects_bad_flags),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
