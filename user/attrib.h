/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attrib.h - who read it: fills the reader's container and pod, the owner
 * of the credential, user.name, the parent's command line and the exec
 * session mark into a struct cw_record, from one kernel event.
 *
 * Node-local facts first (cgroup v2 path, /var/log/pods, /proc), the
 * Kubernetes API when reachable (see k8s.h). attrib_fill() runs on the
 * event loop and never waits for the network.
 */
#ifndef CW_ATTRIB_H
#define CW_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt.h"
#include "record.h"

#define ATTRIB_SHORT_ID_LEN	12	/* container.id is shortened like Falco's */

struct redact;
struct node_agents;

struct attrib_opts {
	char *kubeconfig;	/* --kubeconfig; NULL: in-cluster when in_cluster */
	char *cgroup_root;	/* --cgroup-root; NULL: detect the cgroup2 mount */
	uint64_t cache_max;	/* --attrib-cache-max; 0: 16384 cgroup ids */
	/* not options: */
	const char *host_root;	/* --host-root (the agent's); NULL: "/" */
	const char *node_name;	/* identity_node_name(); NULL: its default */
	bool in_cluster;	/* try the pod's service account when no kubeconfig */
	struct redact *redact;	/* argv read from /proc goes through it; NULL: as is */
	const struct node_agents *agents; /* borrowed: proc.node_agent; NULL: none */
};

/* --kubeconfig, --cgroup-root, --attrib-cache-max (opt.h) */
extern const struct opt_table attrib_options;

struct attrib;

/*
 * attrib_new - set up caches, the pod index and (when configured) the API
 * client, without starting its thread. Returns 0, -EINVAL for an unusable
 * --kubeconfig or --cgroup-root (logged, naming the flag and file), or
 * -ENOMEM. A missing cgroup2 mount or API only degrades attribution, with a
 * warning.
 */
int attrib_new(struct attrib **out, const struct attrib_opts *opts);

/*
 * attrib_start - start the API thread when an API is configured (a no-op
 * otherwise). Separate from attrib_new so the agent starts it only after
 * dropping capabilities: a thread keeps those of the thread that made it.
 * 0 or -errno (logged).
 */
int attrib_start(struct attrib *a);

/*
 * attrib_fill - complete rec for event e. The caller has filled evt, proc
 * (pid, name, exepath, cmdline, ppid, pname, apid/aname), fd, uid and cred
 * basics, owner_pod_uid and secret_name (= the volume name). Fills:
 * container.id/name/image.repository, k8s.pod.uid/name, k8s.ns.name,
 * k8s.pod.sa, proc.is_host_mntns, proc.node_agent, cred.owner.pod/ns/sa, cred.secret.name (the Secret when the
 * API knows the volume), cred.same_pod, user.name, proc.pcmdline and
 * proc.pexe (from /proc when the parent still lives and the caller had
 * none, redacted before it is formatted or cached), proc.is_exec_session,
 * evt.num (this attribution's sequence, from 1) and the on-demand fields of
 * attrib_set_wants(). Never fails: what is not known stays empty/unknown.
 * Call it from one thread (the event loop): its caches are not locked.
 */
void attrib_fill(struct attrib *a, struct cw_record *rec, const struct cw_event *e);

/*
 * attrib_fd_name - fd.name when the event carried no path (io_uring,
 * open_by_handle_at): what the reader's fd table says now
 * (<host-root>/proc when present, else /proc), else the credential's path.
 * A name already there is kept.
 */
void attrib_fd_name(const struct attrib *a, struct cw_record *rec);

/*
 * attrib_set_wants - which of Falco's on-demand fields attrib_fill also
 * reads from /proc (enum cw_want, fields.h: proc.duration, thread.cap_*,
 * proc.sname, proc.pexepath, user.loginname, ancestors past the kernel's);
 * rules_wants() says which the loaded rules need. 0 (the default): none.
 */
void attrib_set_wants(struct attrib *a, uint32_t wants);

struct attrib_stats {
	size_t cgroup_entries, cgroup_max;
	uint64_t cgroup_hits, cgroup_misses, cgroup_evictions, cgroup_walks, cgroup_not_found;
	size_t pods_local;		/* pods in /var/log/pods */
	uint64_t pods_scans;
	size_t user_entries, exec_entries;
	bool api_configured;
	const char *api_state;		/* "disabled", "listing", "watching", "backoff"... */
	bool api_synced;
	size_t api_pods;
	uint64_t api_lists, api_watches, api_events, api_gone, api_errors;
	uint64_t fills;
};

void attrib_stats(struct attrib *a, struct attrib_stats *st);

/*
 * attrib_pod_lookup - namespace, name and service account of a pod by uid,
 * from /var/log/pods and the API when reachable. Unknown parts are "".
 * Returns false when the pod is not known at all. Event-loop thread only.
 */
struct cluster_identity;
/* This node's cloud identity from the API's Node object; false until known. */
bool attrib_node_identity(struct attrib *a, struct cluster_identity *out);

bool attrib_pod_lookup(struct attrib *a, const char *pod_uid, char *ns, size_t ns_size,
		       char *name, size_t name_size, char *sa, size_t sa_size);

/*
 * attrib_cgroup_pod - the pod a cgroup id belongs to (for per-pod counts of
 * what the kernel refused): its uid, namespace and name, "" when not
 * known. Returns false for a host cgroup or an unknown one (uid ""), true
 * for a pod's. Event-loop thread only.
 */
bool attrib_cgroup_pod(struct attrib *a, uint64_t cgroup_id, char *uid, size_t uid_size,
		       char *ns, size_t ns_size, char *name, size_t name_size);

/* Stops the API thread. Accepts NULL. */
void attrib_free(struct attrib *a);

/*
 * attrib_cmdline_format - Falco's proc.cmdline shape: comm, then argv[1..]
 * separated by spaces; control bytes written as \xNN. args holds len bytes
 * of NUL-separated argv (as the kernel and /proc/<pid>/cmdline give it).
 */
void attrib_cmdline_format(const char *comm, const char *args, size_t len,
			   char *out, size_t size);

/* A runtime shim or OCI runtime comm (containerd-shim*, conmon, runc*, crun). */
bool attrib_is_runtime_shim(const char *comm);

#endif /* CW_ATTRIB_H */
