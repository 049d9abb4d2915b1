// SPDX-License-Identifier: Apache-2.0
/*
 * dump_gen.c - writes N realistic events (and an alert every 1000) to a
 * trace dump directory and reports the writer's cost: the rate of
 * dump_write_event() including the block compression and writes it causes.
 * Used by tests/bench/inspect_rate.sh and the inspect integration tests.
 * With F > 0, a finding line (open, later resolved, of a few ids) follows
 * every F-th event too: the fuzz seed with findings is made this way.
 * --node NAME records as that node (default: the host name); --pods P
 * spreads the events over P pods in 50 namespaces, each reading its own
 * token, and one event in 97 another pod's (the report's tests and bench).
 *
 *   dump_gen [--node NAME] [--pods P] DIR N [block_bytes] [zlib_level] [F]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "user/dump.h"
#include "user/fields.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A kubelet-style access: a handful of pods and processes, varying pids. */
static void make_event(struct cw_record *rec, uint64_t i)
{
	static const char *const procs[] = { "cat", "curl", "python3", "kubectl", "vault-agent" };
	static const char *const pods[] = { "web-7d9f8-abcde", "api-5c6b7-x2k9p", "batch-29k3j",
					    "coredns-5d78c9869d-q8xl2" };
	static const char *const kinds[] = { "sa_token", "secret", "kubeconfig", "pki" };
	unsigned p = (unsigned)(i % 5), q = (unsigned)((i / 7) % 4);
	char buf[512];

	record_reset(rec);
	rec->time_ns = 1700000000000000000ull + i * 1000;
	field_set_str(rec, CW_F_EVT_TYPE, 0, i % 3 ? "openat" : "openat2");
	field_set_u64(rec, CW_F_EVT_RES, 0, 3 + i % 5);
	field_set_u64(rec, CW_F_PROC_PID, 0, 4000 + i % 977);
	field_set_u64(rec, CW_F_PROC_TID, 0, 4000 + i % 977);
	field_set_str(rec, CW_F_PROC_NAME, 0, procs[p]);
	snprintf(buf, sizeof(buf), "/usr/bin/%s", procs[p]);
	field_set_str(rec, CW_F_PROC_EXEPATH, 0, buf);
	snprintf(buf, sizeof(buf), "%s /var/run/secrets/kubernetes.io/serviceaccount/token", procs[p]);
	field_set_str(rec, CW_F_PROC_CMDLINE, 0, buf);
	field_set_u64(rec, CW_F_PROC_PPID, 0, 3900 + i % 13);
	field_set_str(rec, CW_F_PROC_PNAME, 0, "bash");
	field_set_str(rec, CW_F_PROC_PCMDLINE, 0, "/bin/bash -c entrypoint.sh");
	field_set_str(rec, CW_F_PROC_ANAME, 0, procs[p]);
	field_set_str(rec, CW_F_PROC_ANAME, 1, "bash");
	field_set_str(rec, CW_F_PROC_ANAME, 2, "containerd-shim");
	field_set_str(rec, CW_F_PROC_ANAME, 3, "systemd");
	field_set_u64(rec, CW_F_PROC_APID, 0, 4000 + i % 977);
	field_set_u64(rec, CW_F_PROC_APID, 1, 3900 + i % 13);
	field_set_u64(rec, CW_F_PROC_APID, 2, 812);
	field_set_u64(rec, CW_F_PROC_APID, 3, 1);
	field_set_u64(rec, CW_F_PROC_SID, 0, 3900);
	field_set_u64(rec, CW_F_PROC_IS_EXEC_SESSION, 0, i % 11 == 0);
	field_set_u64(rec, CW_F_USER_UID, 0, 1000);
	field_set_str(rec, CW_F_USER_NAME, 0, "app");
	field_set_u64(rec, CW_F_USER_LOGINUID, 0, 4294967295u);
	field_set_str(rec, CW_F_FD_NAME, 0, "/var/run/secrets/kubernetes.io/serviceaccount/token");
	field_set_u64(rec, CW_F_FD_INO, 0, 131000 + q);
	field_set_u64(rec, CW_F_FD_DEV, 0, 0x2f);
	field_set_str(rec, CW_F_FD_FLAGS, 0, "O_RDONLY|O_CLOEXEC");
	snprintf(buf, sizeof(buf), "%064x", q * 2654435761u);
	field_set_str(rec, CW_F_CONTAINER_ID, 0, buf);
	field_set_str(rec, CW_F_CONTAINER_NAME, 0, "main");
	field_set_str(rec, CW_F_CONTAINER_IMAGE_REPOSITORY, 0, "registry.example.com/team/app");
	field_set_str(rec, CW_F_K8S_NS_NAME, 0, q == 3 ? "kube-system" : "default");
	field_set_str(rec, CW_F_K8S_POD_NAME, 0, pods[q]);
	snprintf(buf, sizeof(buf), "6f1c2d3e-0000-4000-8000-%012u", q);
	field_set_str(rec, CW_F_K8S_POD_UID, 0, buf);
	field_set_str(rec, CW_F_K8S_POD_SA, 0, "default");
	field_set_str(rec, CW_F_CRED_KIND, 0, kinds[(i / 3) % 4]);
	snprintf(buf, sizeof(buf), "/var/lib/kubelet/pods/6f1c2d3e-0000-4000-8000-%012u/volumes/"
		 "kubernetes.io~projected/kube-api-access-x/token", q);
	field_set_str(rec, CW_F_CRED_PATH, 0, buf);
	field_set_str(rec, CW_F_CRED_OWNER_NS, 0, q == 3 ? "kube-system" : "default");
	field_set_str(rec, CW_F_CRED_OWNER_POD, 0, pods[(i / 5) % 4]);
	field_set_str(rec, CW_F_CRED_OWNER_SA, 0, "default");
	field_set_str(rec, CW_F_CRED_SECRET_NAME, 0, "kube-api-access-x");
	field_set_u64(rec, CW_F_CRED_SAME_POD, 0, q == (i / 5) % 4);
	field_set_str(rec, CW_F_K8S_CLUSTER_NAME, 0, "prod-eu");
	field_set_str(rec, CW_F_CLOUD_PROVIDER, 0, "aws");
	field_set_str(rec, CW_F_CLOUD_REGION, 0, "eu-west-1");
}

/* A --findings line; each of 3 ids opens, then the one of i / F % 3 resolves. */
static int make_finding(char *buf, size_t size, uint64_t k)
{
	static const char *const types[] = { "unused_sa_token", "exposed_host_credential",
					     "shared_credential" };
	static const char *const sev[] = { "low", "high", "high" };
	unsigned id = (unsigned)(k % 3);

	return snprintf(buf, size,
		"{\"kind\":\"finding\",\"id\":\"cwf-00000000000000%02x\",\"type\":\"%s\","
		"\"severity\":\"%s\",\"status\":\"%s\",\"source\":\"credwatch\","
		"\"node\":\"worker-1\",\"cluster\":null,\"resource\":{\"namespace\":%s,"
		"\"pod\":%s,\"pod_uid\":null,\"service_account\":null,\"path\":\"%s\","
		"\"cred_kind\":\"%s\"},\"evidence\":{},\"recommendation\":null,"
		"\"first_seen\":\"2023-11-14T22:13:20Z\",\"last_seen\":\"2023-11-14T22:13:2%uZ\"}",
		id, types[id], sev[id], k >= 3 ? "resolved" : "open",
		id == 1 ? "null" : "\"default\"", id == 1 ? "null" : "\"web-7d9f8-abcde\"",
		id == 1 ? "/root/.kube/config" : "/var/lib/kubelet/pods/x/token",
		id == 1 ? "kubeconfig" : "sa_token", (unsigned)(k % 10));
}

/* Event i as one of P pods: pod i % P reads its own token, or one in 97 times the next pod's. */
static void set_pod(struct cw_record *rec, uint64_t i, unsigned pods)
{
	unsigned p = (unsigned)(i % pods), o = i % 97 == 0 ? (p + 1) % pods : p;

	snprintf(rec->ns_name, sizeof(rec->ns_name), "ns-%02u", p % 50);
	snprintf(rec->pod_name, sizeof(rec->pod_name), "app-%05u", p);
	snprintf(rec->pod_uid, sizeof(rec->pod_uid), "6f1c2d3e-0000-4000-8000-%012u", p);
	snprintf(rec->owner_ns, sizeof(rec->owner_ns), "ns-%02u", o % 50);
	snprintf(rec->owner_pod, sizeof(rec->owner_pod), "app-%05u", o);
	snprintf(rec->cred_path, sizeof(rec->cred_path), "/var/lib/kubelet/pods/6f1c2d3e-0000-"
		 "4000-8000-%012u/volumes/kubernetes.io~projected/kube-api-access-x/token", o);
	record_strlcpy(rec->cred_kind, "sa_token", sizeof(rec->cred_kind));
	rec->same_pod = o == p ? CW_TRUE : CW_FALSE;
}

static uint64_t event_clock(void *ctx)
{
	return *(const uint64_t *)ctx;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "pods", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned pods = 0;
	int c;
	struct dump_writer_stats st;
	struct dump_writer *w;
	struct cw_record *rec;
	struct dump_opts o;
	uint64_t n, every = 0, nf = 0, now = 1700000000000000000ull;
	char finding[1024];
	double t0, t;
	int err;

	dump_opts_default(&o);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			o.hostname = optarg;
		else if (c == 'p')
			pods = (unsigned)strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3) {
		fprintf(stderr, "usage: dump_gen [--node NAME] [--pods P] DIR N [block_bytes] "
			"[zlib_level] [F]\n");
		return 2;
	}
	o.dir = argv[1];
	o.max_bytes = 0;	/* one file: the benchmark reads it back whole */
	o.keep = 0;
	o.max_age_s = 0;
	if (argc > 3)
		o.block_bytes = (uint32_t)strtoul(argv[3], NULL, 0);
	if (argc > 4)
		o.level = atoi(argv[4]);
	if (argc > 5)
		every = strtoull(argv[5], NULL, 10);
	if (every) {	/* findings are timed by the writer's clock: the events' time */
		o.clock_ns = event_clock;
		o.clock_ctx = &now;
	}
	n = strtoull(argv[2], NULL, 10);
	rec = malloc(sizeof(*rec) * 64);
	if (!rec)
		return 1;
	for (int k = 0; k < 64; k++)	/* built before timing: the sensor's job */
		make_event(&rec[k], (uint64_t)k);
	err = dump_writer_open(&w, &o);
	if (err) {
		fprintf(stderr, "dump_gen: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		struct cw_record *r = &rec[i % 64];

		r->time_ns = now = 1700000000000000000ull + i * 1000;
		r->pid = r->tid = 4000 + i % 977;
		if (pods)
			set_pod(r, i, pods);
		if (dump_write_event(w, r))
			return 1;
		if (i % 1000 == 999 &&
		    dump_write_alert(w, r, "{\"rule\":\"Credential read by shell\",\"priority\":\"Warning\"}"))
			return 1;
		if (every && i % every == every - 1 &&
		    dump_write_finding(w, finding, (size_t)make_finding(finding, sizeof(finding), nf++)))
			return 1;
	}
	dump_flush(w);
	t = now_s() - t0;
	dump_writer_stats(w, &st);
	printf("dump_gen: %" PRIu64 " events in %.3f s: %.0f events/s, %" PRIu64
	       " bytes (%.1f B/event), deflate %.0f%% of the time, %s\n",
	       n, t, (double)n / t, st.bytes, (double)st.bytes / (double)(n ? n : 1),
	       100.0 * (double)st.compress_ns / 1e9 / t, dump_writer_path(w));
	if (dump_writer_close(w))
		return 1;
	free(rec);
	return 0;
}
