/* SPDX-License-Identifier: Apache-2.0 */
/*
 * findings_int.h - state shared by findings.c (tables, observe, lifecycle),
 * findings_eval.c (evaluation), findings_state.c (persistence) and
 * findings_render.c (finding lines).
 * Not for other modules: they use findings.h.
 */
#ifndef CW_FINDINGS_INT_H
#define CW_FINDINGS_INT_H

#include <limits.h>

#include "findings.h"
#include "hash.h"
#include "json.h"

enum fnd_type {
	FND_UNUSED_TOKEN,
	FND_UNEXPECTED_READER,
	FND_LEGACY_TOKEN,
	FND_EXPOSED_HOST_CRED,
	FND_ADMIN_ON_WORKER,
	FND_SHARED_CRED,
	FND_CI_WORKSPACE_CRED,
	FND_FOREIGN_OWNED_CRED,
	FND_DISCOVERY_REFUSED,
	FND_UNMATCHED_FS,
	FND__COUNT,
};

enum fnd_severity { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV__COUNT };

/* cstate.flags */
#define CS_USED		0x1	/* opened by its own pod (or a reader of unknown pod) */

/* One (image, exe) that read a pod's token. */
struct reader {
	uint64_t h;			/* hash of the raw image and exe bytes */
	uint64_t first_s, last_s, opens;
	char *image, *exe;		/* "" when not known */
	bool unexpected;		/* first read after the learning window */
};

/* One pod that read a credential. */
struct rpod {
	char uid[64];
	uint64_t first_s, last_s;
};

/* What is known about one credential, keyed by hash(owner pod uid, path). */
struct cstate {
	uint64_t key;
	uint64_t first_seen_s;		/* first sighting by this agent (persisted) */
	uint64_t last_read_s, opens;
	uint32_t gen;			/* evaluation that last saw it in the table */
	uint32_t flags;			/* CS_* */
	struct reader *readers;
	struct rpod *rpods;
	uint16_t nreaders, nrpods;
	uint16_t readers_dropped, rpods_dropped;	/* saturating */
};

/* An open finding, kept to de-duplicate and to emit its resolution. */
struct finding {
	uint64_t id, digest, cred_key;
	uint64_t first_seen_s, last_seen_s;
	uint32_t gen;
	uint8_t type, severity;
	char *ns, *pod, *pod_uid, *sa, *path, *cred_kind;	/* never NULL */
};

/* uint64 key -> index into a dense array; open addressing, linear probing. */
struct u64idx {
	uint64_t *keys;		/* 0 = empty */
	uint32_t *vals;
	uint32_t cap, n;	/* cap a power of 2 */
};

struct findings {
	struct findings_opts o;
	char state_dir[PATH_MAX];
	char state_path[PATH_MAX];
	char host_root[PATH_MAX];	/* without trailing '/'; "" for "/" */
	char node[256], cluster[256];
	struct cstate *cs;
	uint32_t ncs, cscap;
	struct u64idx csidx;
	struct finding *fs;
	uint32_t nfs, fscap;
	struct u64idx fsidx;
	uint32_t gen;
	uint64_t readers_total, rpods_total;
	struct findings_stats st;
	struct jbuf jb;
	const struct findings_refusal *refusals;	/* findings_set_refusals() */
	size_t nrefusals;
};

/* A finding as evaluated now: what render needs. */
struct fnd_cand {
	enum fnd_type type;
	enum fnd_severity severity;
	const struct cred_entry *cred;	/* NULL for a resolution */
	const struct cstate *cs;	/* may be NULL (not tracked) */
	uint32_t mode;			/* exposed: current mode bits */
	uint32_t uid;			/* exposed, foreign: the file's owner now */
	bool login_owner;		/* exposed: a node file owned by a login user */
	const struct findings_refusal *refusal;	/* discovery_refused */
	bool control_plane;
	const char *ns, *pod, *pod_uid, *sa, *path, *cred_kind;
	uint64_t first_seen_s, now_s;
	const char *resolved_why;	/* non-NULL: a resolution */
};

/* findings.c */
int u64idx_get(const struct u64idx *x, uint64_t key, uint32_t *val);
void u64idx_set_raw(struct u64idx *x, uint64_t key, uint32_t val);
/* The state key of a credential: hash of owner pod uid and host path, never 0. */
uint64_t fnd_cred_key(const char *pod_uid, const char *path);
void fnd_cstate_remove(struct findings *f, uint32_t i);
void fnd_finding_remove(struct findings *f, uint32_t i);
/* A reader pod counts while it read within the last window. */
bool fnd_rpod_active(const struct findings *f, const struct rpod *p, uint64_t now_s);
/* Forget reader pods and unexpected readers not seen for a whole window. */
void fnd_age_readers(struct findings *f, struct cstate *cs, uint64_t now_s);
/* FNV-1a (hash.h) of s and its terminator: ids of credentials and findings, kept in the state file. */
uint64_t fnd_hash_str(uint64_t h, const char *s);
#define FND_HASH_INIT HASH_FNV64_INIT
int fnd_cstate_insert(struct findings *f, uint64_t key, uint64_t first_seen_s,
		      struct cstate **out);
int fnd_reader_add(struct findings *f, struct cstate *cs, const struct reader *r);
int fnd_rpod_add(struct findings *f, struct cstate *cs, const struct rpod *p);
int fnd_finding_put(struct findings *f, const struct finding *src);
/* Forget all state (a corrupt state file). */
void fnd_reset(struct findings *f);
const char *fnd_type_name(enum fnd_type t);
int fnd_type_parse(const char *s);
const char *fnd_severity_name(enum fnd_severity s);
int fnd_severity_parse(const char *s);

/* findings_render.c: the JSON line of a candidate (open) or a resolution. */
void fnd_render(struct findings *f, struct jbuf *jb, const struct fnd_cand *c, uint64_t id,
		findings_pod_lookup_fn lookup, void *lookup_ctx);
/* RFC 3339 UTC. */
void fnd_time(uint64_t s, char *buf, size_t size);

/* findings_state.c */
int fnd_state_load(struct findings *f);
int fnd_state_save(struct findings *f);

#endif /* CW_FINDINGS_INT_H */
