/* SPDX-License-Identifier: Apache-2.0 */
/*
 * findings.h - periodic credential exposure findings: what to change, not
 * just what happened (docs/findings.md).
 *
 * Every credential access is observed (cheap: hash lookups in bounded
 * tables); every --findings-interval the credential table is evaluated and
 * each finding whose content changed is emitted as one NDJSON line:
 *
 *   unused_sa_token            token mounted >= window, never opened by its pod
 *   unexpected_token_reader    (image, exe) outside the set learned in the window
 *   legacy_sa_token            Secret-based kubernetes.io/service-account-token
 *   exposed_host_credential    a node's or user's credential file (any kind but
 *                              pod volumes and --watch) group/world-readable, or a
 *                              control-plane file owned by a login user (uid >= 1000)
 *   admin_kubeconfig_on_worker admin.conf or super-admin.conf on a worker node
 *   shared_credential          one credential read from two or more pods
 *   ci_workspace_credential    a credential left in a CI runner's job workspace
 *   foreign_owned_credential   under a user's home, owned by another user
 *                              (discovery refuses to watch it)
 *   discovery_refused          a credential location discovery would not watch: a
 *                              link out of a home or entry, a bound reached, the
 *                              map full but for tokens
 *
 * A finding has a stable id (hash of type and resource); it is emitted when
 * it opens or changes and once more, with status "resolved", when its
 * condition goes away. What must survive a restart (when each credential
 * was first seen, whether it was ever read, the learned readers, the open
 * findings) is saved to <state_dir>/findings.state.
 */
#ifndef CW_FINDINGS_H
#define CW_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "record.h"

#define FINDINGS_WINDOW_S_DEFAULT	86400
#define FINDINGS_INTERVAL_S_DEFAULT	300
#define FINDINGS_STATE_DIR_DEFAULT	"/var/lib/credwatch"
#define FINDINGS_STATE_FILE		"findings.state"

/* Bounds; 0 in findings_opts means the default. */
#define FINDINGS_MAX_CREDS_DEFAULT	65536	/* credentials with state */
#define FINDINGS_MAX_READERS_DEFAULT	16384	/* (image, exe) readers, all tokens */
#define FINDINGS_READERS_PER_CRED	16	/* of one token */
#define FINDINGS_MAX_RPODS_DEFAULT	16384	/* reader pods, all credentials */
#define FINDINGS_RPODS_PER_CRED		8	/* of one credential */
#define FINDINGS_MAX_OPEN_DEFAULT	16384	/* open findings */

struct findings_opts {
	uint64_t window_s;	/* --findings-window, default 86400 */
	uint64_t interval_s;	/* --findings-interval, default 300 (the caller's clock) */
	const char *state_dir;	/* --state-dir, default /var/lib/credwatch; created 0700 */
	const char *host_root;	/* --host-root, default "/": host files are stat()ed there */
	const char *node_name;	/* put on every finding and in host resource ids */
	const char *cluster_name; /* NULL: null in findings */
	uint32_t max_creds, max_readers, max_reader_pods, max_open;	/* 0: defaults */
	bool stateless;		/* no state dir, nothing loaded or saved (credwatch inventory) */
};

/* One finding line, JSON without the trailing newline. */
typedef void (*findings_emit_fn)(void *ctx, const char *json_line, size_t len);

/*
 * Owner identity of a pod uid, filled by attribution. Buffers are always
 * NUL-terminated; "" for a part not known. Returns false when the pod is
 * not known at all.
 */
typedef bool (*findings_pod_lookup_fn)(void *ctx, const char *pod_uid, char *ns, size_t ns_size,
				       char *name, size_t name_size, char *sa, size_t sa_size);

struct findings_stats {
	uint64_t creds_tracked;		/* credentials with state now */
	uint64_t creds_untracked;	/* sightings refused: max_creds reached */
	uint64_t readers_untracked;	/* (image, exe) readers refused: caps */
	uint64_t reader_pods_untracked;	/* reader pods refused: caps */
	uint64_t findings_open;
	uint64_t findings_untracked;	/* findings not emitted: max_open reached */
	uint64_t records_without_cred;	/* observed records naming no credential */
	uint64_t emitted;		/* lines emitted, open or changed */
	uint64_t resolved;		/* of which resolved */
	uint64_t state_saves, state_save_failures;
};

struct findings;

/*
 * findings_new - create the state dir if needed and load
 * <state_dir>/findings.state. A corrupt or unreadable state file is logged
 * in one line, renamed to findings.state.corrupt and ignored: this returns
 * 0 with empty state. Returns 0, or -errno when the state dir cannot be
 * created or written (the error is logged naming it).
 */
int findings_new(struct findings **out, const struct findings_opts *o);

/*
 * findings_observe - one complete record (cred.* and, when attribution
 * knows them, k8s.pod.* and container.image.repository set). now_s is wall
 * time in seconds. Allocates only when a credential or reader is seen for
 * the first time, within the bounds above.
 */
void findings_observe(struct findings *f, const struct cw_record *rec, uint64_t now_s);

/*
 * findings_evaluate - compare the table and what was observed with the
 * open findings; emit new, changed and resolved ones. lookup may be NULL.
 * Returns the number of lines emitted, or -ENOMEM.
 */
int findings_evaluate(struct findings *f, const struct creds *table, uint64_t now_s,
		      findings_pod_lookup_fn lookup, void *lookup_ctx,
		      findings_emit_fn emit, void *emit_ctx);

/*
 * What discovery refuses (watch_refused()), for findings_evaluate() to
 * judge: owner: another user's file in a home (foreign_owned_credential);
 * else a discovery_refused finding, high when map_full.
 */
struct findings_refusal {
	const struct cred_entry *cred;	/* path, entry, kind, owner; uid, mode for owner */
	const char *reason;		/* "symlink", "outside", "owner", ... (watch.h) */
	const char *why;		/* in words */
	uint64_t files;
	bool owner, map_full;
};

/* The refusals the next findings_evaluate() judges (the caller keeps them alive till then). */
void findings_set_refusals(struct findings *f, const struct findings_refusal *v, size_t n);

/*
 * findings_check - the findings one credential has right now, without
 * state (credwatch inventory): fn gets each finding's type, severity (0 low
 * .. 3 critical), id and line, exactly as findings_evaluate() would emit it
 * (same types, ids and JSON; findings that need observation - unused,
 * unexpected reader, shared - are never among them). control_plane: this
 * node runs kube-apiserver. foreign_owner: the file was refused under a
 * home because c->uid is not the home's owner (c->home_uid) or root.
 */
typedef void (*findings_check_fn)(void *ctx, const char *type, int severity, const char *id,
				  const char *json_line, size_t len);
void findings_check(struct findings *f, const struct cred_entry *c, bool control_plane,
		    bool foreign_owner, uint64_t now_s, findings_pod_lookup_fn lookup,
		    void *lookup_ctx, findings_check_fn fn, void *ctx);

/* Does this node run kube-apiserver (its kubeadm static pod manifest exists)? */
bool findings_is_control_plane(const char *host_root);

/* findings_save - write the state file durably (temp, fsync, rename, fsync dir; 0600). */
int findings_save(struct findings *f);

void findings_get_stats(const struct findings *f, struct findings_stats *out);

/* The state file's path. */
const char *findings_state_path(const struct findings *f);

void findings_free(struct findings *f);

#endif /* CW_FINDINGS_H */
