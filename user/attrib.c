// SPDX-License-Identifier: Apache-2.0
/*
 * attrib.c - the per-event attribution facade: reader and owner pods from
 * the cgroup and the credential (node-local facts, the API when
 * reachable), the cluster identity, lookups for findings. The process side
 * (exec sessions, user names, parent command lines) is in attrib_proc.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib_int.h"
#include "fields.h"
#include "fileio.h"
#include "cgroup.h"
#include "k8s.h"
#include "kubeconfig.h"
#include "log.h"
#include "lru.h"
#include "nodeagents.h"
#include "pods.h"
#include "procfs.h"
#include "identity.h"

/*
 * Whether we run in a pid namespace of our own: NSpid lists more than one
 * pid when read through the host's procfs (our own /proc shows only ours).
 */
static bool own_pidns(const char *root)
{
	char path[PATH_MAX + 32], buf[4096], *l;
	int n = 0;

	snprintf(path, sizeof(path), "%s/proc/self/status", root);
	if (read_file_small(path, buf, sizeof(buf)) <= 0)
		return false;
	l = strstr(buf, "\nNSpid:");
	if (!l)
		return false;
	for (l += 7; *l && *l != '\n'; l++)
		if ((*l == ' ' || *l == '\t') && l[1] >= '0' && l[1] <= '9')
			n++;
	return n > 1;
}

static int setup_api(struct attrib *a, const struct attrib_opts *o)
{
	struct k8s_opts ko = { .node_name = a->node };
	struct kube_config *cfg = NULL;

	if (o->kubeconfig) {
		if (kube_config_load_file(o->kubeconfig, &cfg))
			return -EINVAL;	/* logged with the file and the reason */
	} else if (o->in_cluster) {
		if (kube_config_in_cluster(NULL, &cfg))
			return 0;	/* not in a pod: node-local only (logged) */
	} else {
		return 0;
	}
	if (!a->node[0]) {
		log_error("attrib: no node name: set --node-name or NODE_NAME");
		kube_config_free(cfg);
		return -EINVAL;
	}
	ko.config = cfg;
	return k8s_new(&a->k8s, &ko);	/* owns cfg from here */
}

int attrib_start(struct attrib *a)
{
	int err;

	if (!a->k8s)
		return 0;
	err = k8s_start(a->k8s);
	if (err)
		log_error("attrib: k8s: start thread: %s", strerror(-err));
	return err;
}

int attrib_new(struct attrib **out, const struct attrib_opts *opts)
{
	struct attrib_opts none = { 0 };
	const struct attrib_opts *o = opts ? opts : &none;
	struct cgroup_cache_opts co = { 0 };
	struct pods_opts po = { 0 };
	char cgroot[PATH_MAX];
	struct attrib *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	snprintf(a->root, sizeof(a->root), "%s",
		 o->host_root && strcmp(o->host_root, "/") ? o->host_root : "");
	while (a->root[0] && a->root[strlen(a->root) - 1] == '/')
		a->root[strlen(a->root) - 1] = '\0';
	snprintf(a->proc_root, sizeof(a->proc_root), "%s/proc", a->root);
	if (access(a->proc_root, X_OK))
		snprintf(a->proc_root, sizeof(a->proc_root), "/proc");
	identity_node_name(o->node_name, a->node, sizeof(a->node));

	if (o->cgroup_root) {
		snprintf(cgroot, sizeof(cgroot), "%s", o->cgroup_root);
	} else if (cgroup_root_detect(o->host_root ? o->host_root : "/", cgroot, sizeof(cgroot))) {
		log_warn("attrib: no cgroup2 mount found (host root %s): container attribution "
			 "off; set --cgroup-root", o->host_root ? o->host_root : "/");
		cgroot[0] = '\0';
	}
	if (cgroot[0]) {
		co.root = cgroot;
		co.max_entries = o->cache_max;
		err = cgroup_cache_new(&a->cg, &co);
		if (err) {
			log_error("attrib: --cgroup-root %s: %s", cgroot, strerror(-err));
			err = -EINVAL;
			goto cleanup;
		}
	}
	po.host_root = o->host_root;
	err = pods_new(&a->pods, &po);
	if (!err)
		err = lru_new(&a->users, USER_CACHE_MAX, sizeof(struct user_val));
	if (!err)
		err = lru_new(&a->execs, EXEC_CACHE_MAX, sizeof(struct exec_val));
	if (!err)
		err = lru_new(&a->pcmds, PCMD_CACHE_MAX, sizeof(struct pcmd_val));
	if (err)
		goto cleanup;
	a->redact = o->redact;
	a->agents = o->agents;
	a->host_mnt_ns = procfs_mnt_ns(a->root, "1");
	a->pidns_own = own_pidns(a->root);
	err = setup_api(a, o);
	if (err)
		goto cleanup;
	*out = a;
	return 0;
cleanup:
	attrib_free(a);
	return err;
}

void attrib_free(struct attrib *a)
{
	if (!a)
		return;
	k8s_free(a->k8s);
	cgroup_cache_free(a->cg);
	pods_free(a->pods);
	lru_free(a->users);
	lru_free(a->execs);
	lru_free(a->pcmds);
	free(a);
}

/*
 * proc.is_host_mntns and proc.node_agent: what the reader cannot choose.
 * The host's mount namespace is the kernel's (pid 1's, found at a hit),
 * else the inventory's (re-read on each scan), else the one read at start.
 */
static void fill_identity(struct attrib *a, struct cw_record *rec, const struct cw_event *e)
{
	uint32_t host = node_agents_host_mnt_ns(a->agents);
	const struct node_agent *na;

	if (!host)
		host = a->host_mnt_ns;
	if (e->flags & CW_EVF_MNTNS_KNOWN)
		rec->is_host_mntns = e->flags & CW_EVF_HOST_MNTNS ? CW_TRUE : CW_FALSE;
	else if (host && e->mnt_ns)
		rec->is_host_mntns = e->mnt_ns == host ? CW_TRUE : CW_FALSE;
	if (rec->is_host_mntns == CW_TRUE &&
	    (na = node_agents_find(a->agents, e->exe_ino, e->exe_dev)))
		record_strlcpy(rec->node_agent, na->name, sizeof(rec->node_agent));
}

/*
 * proc.aexepath[N] that /proc could not give (the ancestor exited, or the
 * ptrace check refused it, as it does under the chart's capabilities for
 * host processes): the host path of the inventory's file with the inode
 * the kernel captured, for an ancestor running a registered node agent.
 */
static void fill_aexepaths_by_inode(struct attrib *a, struct cw_record *rec,
				    const struct cw_event *e)
{
	for (int i = 0; i < CW_ANCESTORS && e->anc[i].tgid; i++) {
		char *out = i ? rec->aexepath[i - 1] : rec->proc_pexepath;
		size_t size = i ? sizeof(rec->aexepath[0]) : sizeof(rec->proc_pexepath);
		const struct node_agent *na;

		if (!out[0] && (na = node_agents_find(a->agents, e->anc[i].exe_ino,
							e->anc[i].exe_dev)))
			record_strlcpy(out, na->path, size);
	}
}

void attrib_set_wants(struct attrib *a, uint32_t wants)
{
	if (a)
		a->wants = wants;
}

/* Attributed to a pod, a container outside pods, or the host. */
static bool cgroup_known(const struct cgroup_attr *ca)
{
	return ca->pod_uid[0] || ca->kind == CG_HOST || ca->kind == CG_CONTAINER;
}

/* What cred.same_pod compares: the pod uid, else the container id, else "host". */
static const char *cgroup_scope(const struct cgroup_attr *ca)
{
	if (ca->pod_uid[0])
		return ca->pod_uid;
	return ca->kind == CG_CONTAINER ? ca->container_id : "host";
}

/*
 * environ_owner - the owner side of an environ read: the cgroup of the
 * process whose environment it was, captured by the kernel at the open,
 * attributed like the reader's (the process may be gone by now).
 */
static void environ_owner(struct attrib *a, struct cw_record *rec, const struct cw_event *e,
			  struct cgroup_attr *oa)
{
	if (!a->cg || !e->owner_cgroup_id || cgroup_cache_lookup(a->cg, e->owner_cgroup_id, oa)) {
		oa->kind = CG_UNKNOWN;
		oa->pod_uid[0] = '\0';
		return;
	}
	record_strlcpy(rec->owner_pod_uid, oa->pod_uid, sizeof(rec->owner_pod_uid));
}

void attrib_fill(struct attrib *a, struct cw_record *rec, const struct cw_event *e)
{
	struct cgroup_attr ca = { .kind = CG_UNKNOWN }, oa = { .kind = CG_UNKNOWN };
	struct k8s_pod_view kv;
	struct pod_ident pi;
	char cname[PODS_CTR_NAME_MAX];

	a->fills++;
	if (!rec->cgroup_id)
		rec->cgroup_id = e->cgroup_id;
	if (a->cg)
		cgroup_cache_lookup(a->cg, e->cgroup_id, &ca);

	/* Reader: container and pod. */
	if (ca.kind == CG_HOST) {
		record_strlcpy(rec->container_id, "host", sizeof(rec->container_id));
		record_strlcpy(rec->systemd_unit, ca.unit, sizeof(rec->systemd_unit));
	}
	else if (ca.kind == CG_CONTAINER)
		snprintf(rec->container_id, sizeof(rec->container_id), "%.*s",
			 ATTRIB_SHORT_ID_LEN, ca.container_id);
	if (ca.pod_uid[0]) {
		record_strlcpy(rec->pod_uid, ca.pod_uid, sizeof(rec->pod_uid));
		if (!pods_lookup(a->pods, ca.pod_uid, &pi)) {
			record_strlcpy(rec->ns_name, pi.ns, sizeof(rec->ns_name));
			record_strlcpy(rec->pod_name, pi.name, sizeof(rec->pod_name));
		}
	}
	if (ca.kind == CG_CONTAINER &&
	    !pods_container(a->pods, ca.container_id, cname, sizeof(cname), NULL, 0))
		record_strlcpy(rec->container_name, cname, sizeof(rec->container_name));
	if (ca.pod_uid[0] && !k8s_lookup(a->k8s, ca.pod_uid, ca.container_id, NULL, &kv)) {
		record_strlcpy(rec->pod_sa, kv.sa, sizeof(rec->pod_sa));
		if (!rec->ns_name[0])
			record_strlcpy(rec->ns_name, kv.ns, sizeof(rec->ns_name));
		if (!rec->pod_name[0])
			record_strlcpy(rec->pod_name, kv.name, sizeof(rec->pod_name));
		if (kv.container_name[0])
			record_strlcpy(rec->container_name, kv.container_name,
				       sizeof(rec->container_name));
		if (kv.container_image[0])
			record_strlcpy(rec->container_image, kv.container_image,
				       sizeof(rec->container_image));
		if (kv.container_found)
			rec->container_privileged = kv.container_privileged ? CW_TRUE : CW_FALSE;
	}

	/* Owner: the pod whose volume holds the credential, or whose environment was read. */
	if (e->flags & CW_EVF_ENVIRON)
		environ_owner(a, rec, e, &oa);
	if (rec->owner_pod_uid[0]) {
		if (!pods_lookup(a->pods, rec->owner_pod_uid, &pi)) {
			record_strlcpy(rec->owner_ns, pi.ns, sizeof(rec->owner_ns));
			record_strlcpy(rec->owner_pod, pi.name, sizeof(rec->owner_pod));
		}
		if (!k8s_lookup(a->k8s, rec->owner_pod_uid, NULL, rec->secret_name, &kv)) {
			record_strlcpy(rec->owner_sa, kv.sa, sizeof(rec->owner_sa));
			if (!rec->owner_ns[0])
				record_strlcpy(rec->owner_ns, kv.ns, sizeof(rec->owner_ns));
			if (!rec->owner_pod[0])
				record_strlcpy(rec->owner_pod, kv.name, sizeof(rec->owner_pod));
			/* The Secret's name when the volume maps to one; else the volume's. */
			if (kv.secret_name[0])
				record_strlcpy(rec->secret_name, kv.secret_name,
					       sizeof(rec->secret_name));
		}
	}
	if (rec->pod_uid[0] && rec->owner_pod_uid[0])
		rec->same_pod = strcmp(rec->pod_uid, rec->owner_pod_uid) ? CW_FALSE : CW_TRUE;
	else if (ca.kind == CG_HOST && rec->owner_pod_uid[0])
		rec->same_pod = CW_FALSE;
	else if ((e->flags & CW_EVF_ENVIRON) && cgroup_known(&ca) && cgroup_known(&oa))
		rec->same_pod = strcmp(cgroup_scope(&ca), cgroup_scope(&oa)) ? CW_FALSE : CW_TRUE;
	else
		rec->same_pod = CW_UNKNOWN;

	fill_identity(a, rec, e);
	attrib_fill_user(a, rec, e, &ca);
	attrib_fill_pcmdline(a, rec, e);
	rec->is_exec_session = attrib_exec_session(a, e, &ca);
	rec->evt_num = a->fills;
	procfs_fill(a->root, rec, e, a->wants);
	if (a->wants & CW_WANT_PEXEPATH)
		fill_aexepaths_by_inode(a, rec, e);
}

void attrib_stats(struct attrib *a, struct attrib_stats *st)
{
	struct cgroup_cache_stats cs;
	struct pods_stats ps;
	struct k8s_stats ks;

	memset(st, 0, sizeof(*st));
	if (a->cg) {
		cgroup_cache_stats(a->cg, &cs);
		st->cgroup_entries = cs.entries;
		st->cgroup_max = cs.max_entries;
		st->cgroup_hits = cs.hits;
		st->cgroup_misses = cs.misses;
		st->cgroup_evictions = cs.evictions;
		st->cgroup_walks = cs.walks;
		st->cgroup_not_found = cs.not_found;
	}
	pods_stats(a->pods, &ps);
	st->pods_local = ps.pods;
	st->pods_scans = ps.scans;
	st->user_entries = lru_count(a->users);
	st->exec_entries = lru_count(a->execs);
	st->api_state = "disabled";
	st->fills = a->fills;
	if (!a->k8s)
		return;
	k8s_stats(a->k8s, &ks);
	st->api_configured = true;
	st->api_state = k8s_state_name(ks.state);
	st->api_synced = ks.synced;
	st->api_pods = ks.pods;
	st->api_lists = ks.lists;
	st->api_watches = ks.watches;
	st->api_events = ks.events;
	st->api_gone = ks.gone;
	st->api_errors = ks.errors;
}

bool attrib_pod_lookup(struct attrib *a, const char *pod_uid, char *ns, size_t ns_size,
		       char *name, size_t name_size, char *sa, size_t sa_size)
{
	struct k8s_pod_view kv;
	struct pod_ident pi;
	bool found = false;

	ns[0] = name[0] = sa[0] = '\0';
	if (!a || !pod_uid[0])
		return false;
	if (!pods_lookup(a->pods, pod_uid, &pi)) {
		snprintf(ns, ns_size, "%s", pi.ns);
		snprintf(name, name_size, "%s", pi.name);
		found = true;
	}
	if (!k8s_lookup(a->k8s, pod_uid, NULL, NULL, &kv)) {
		snprintf(sa, sa_size, "%s", kv.sa);
		if (!ns[0])
			snprintf(ns, ns_size, "%s", kv.ns);
		if (!name[0])
			snprintf(name, name_size, "%s", kv.name);
		found = true;
	}
	return found;
}

bool attrib_cgroup_pod(struct attrib *a, uint64_t cgroup_id, char *uid, size_t uid_size,
		       char *ns, size_t ns_size, char *name, size_t name_size)
{
	struct cgroup_attr ca = { .kind = CG_UNKNOWN };
	char sa[CW_REC_NAME_MAX];

	uid[0] = ns[0] = name[0] = '\0';
	if (!a || !a->cg || cgroup_cache_lookup(a->cg, cgroup_id, &ca) || !ca.pod_uid[0])
		return false;
	snprintf(uid, uid_size, "%s", ca.pod_uid);
	attrib_pod_lookup(a, ca.pod_uid, ns, ns_size, name, name_size, sa, sizeof(sa));
	return true;
}

bool attrib_node_identity(struct attrib *a, struct cluster_identity *out)
{
	return a && k8s_node_identity(a->k8s, out);
}

static const struct opt_desc attrib_option_list[] = {
	OPT_STR(struct attrib_opts, kubeconfig, "kubeconfig", "FILE",
		"in-cluster service account when present",
		"Kubernetes API access for pod enrichment (the agent works without it)"),
	OPT_STR(struct attrib_opts, cgroup_root, "cgroup-root", "DIR",
		"the cgroup2 mount under --host-root",
		"cgroup v2 hierarchy used to map cgroup ids to containers and pods"),
	OPT_UINT(struct attrib_opts, cache_max, "attrib-cache-max", "N", 0, "16384",
		 "cgroup ids kept in the attribution cache"),
};

const struct opt_table attrib_options = OPT_TABLE(attrib_option_list, NULL, NULL);
