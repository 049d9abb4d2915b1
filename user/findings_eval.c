// SPDX-License-Identifier: Apache-2.0
/*
 * findings_eval.c - the periodic evaluation: each credential in the table
 * and what was observed about it become candidate findings; a candidate is
 * emitted only when it is new or its content (digest) changed; an open
 * finding that is no candidate any more is emitted once as resolved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "findings_int.h"
#include "log.h"

#define APISERVER_MANIFEST	"/etc/kubernetes/manifests/kube-apiserver.yaml"
#define LOGIN_UID_MIN		1000	/* below: system accounts (etcd, kube, ...) */
#define NOBODY_UID		65534

struct eval_ctx {
	struct findings *f;
	uint64_t now_s;
	findings_pod_lookup_fn lookup;
	void *lookup_ctx;
	findings_emit_fn emit;
	void *emit_ctx;
	int emitted;
	uint64_t untracked;	/* findings not kept this round: max_open */
	findings_check_fn check;	/* findings_check(): report, keep nothing */
	void *check_ctx;
};

/* Per credential: the owner's identity, looked up once. */
struct owner_id {
	bool looked_up;
	char ns[CW_REC_NAME_MAX], pod[CW_REC_NAME_MAX], sa[CW_REC_NAME_MAX];
};

static uint64_t finding_id(const struct findings *f, enum fnd_type type, const char *pod_uid,
			   const char *path)
{
	uint64_t h = fnd_hash_str(FND_HASH_INIT, fnd_type_name(type));

	h = fnd_hash_str(h, f->cluster);
	/* a host file exists on every node; a pod uid is unique in the cluster */
	h = fnd_hash_str(h, pod_uid[0] ? "" : f->node);
	h = fnd_hash_str(h, pod_uid);
	h = fnd_hash_str(h, path);
	return h ? h : 1;
}

/* What makes a finding "changed": never counters or times. */
static uint64_t cand_digest(const struct findings *f, const struct fnd_cand *c)
{
	uint64_t h = fnd_hash_str(FND_HASH_INIT, fnd_type_name(c->type));
	uint64_t set = 0;

	h = fnd_hash_str(h, fnd_severity_name(c->severity));
	h = fnd_hash_str(h, c->ns);
	h = fnd_hash_str(h, c->pod);
	h = fnd_hash_str(h, c->sa);
	switch (c->type) {
	case FND_UNUSED_TOKEN:
		h = fnd_hash_str(h, c->cred->volume);
		break;
	case FND_LEGACY_TOKEN:
		h = fnd_hash_str(fnd_hash_str(h, c->cred->volume), c->cred->secret_name);
		break;
	case FND_EXPOSED_HOST_CRED:
		h = hash_fnv64(h, &c->mode, sizeof(c->mode));
		h = hash_fnv64(h, &c->uid, sizeof(c->uid));
		break;
	case FND_FOREIGN_OWNED_CRED:
		h = hash_fnv64(h, &c->uid, sizeof(c->uid));
		break;
	case FND_DISCOVERY_REFUSED:	/* the reason; a count that moves is no change */
		h = fnd_hash_str(h, c->refusal ? c->refusal->reason : "");
		break;
	case FND_UNEXPECTED_READER:
		/* the set of unexpected readers, in any order */
		for (int k = 0; k < c->cs->nreaders; k++)
			if (c->cs->readers[k].unexpected)
				set ^= c->cs->readers[k].h * 0x9E3779B97F4A7C15ULL;
		h = hash_fnv64(h, &set, sizeof(set));
		break;
	case FND_UNMATCHED_FS:
		h = fnd_hash_str(fnd_hash_str(h, c->cred->fstype), c->cred->unmatched);
		break;
	case FND_SHARED_CRED:
		for (int k = 0; k < c->cs->nrpods; k++)
			if (fnd_rpod_active(f, &c->cs->rpods[k], c->now_s))
				set ^= fnd_hash_str(FND_HASH_INIT, c->cs->rpods[k].uid);
		h = hash_fnv64(h, &set, sizeof(set));
		break;
	default:
		break;
	}
	return h;
}

static void emit_line(struct eval_ctx *e)
{
	struct jbuf *jb = &e->f->jb;

	if (jb->oom) {
		log_warn("findings: out of memory formatting a finding");
		return;
	}
	if (e->emit)
		e->emit(e->emit_ctx, jb->buf, jb->len);
	e->emitted++;
	e->f->st.emitted++;
}

static void consider(struct eval_ctx *e, struct fnd_cand *c, uint64_t cred_key_v)
{
	struct findings *f = e->f;
	uint64_t id = finding_id(f, c->type, c->pod_uid, c->path);
	uint64_t digest = cand_digest(f, c);

	/*
	 * One place can be refused for two reasons at once (~/.kube/config a link
	 * out of the home, and the first pattern of a home's entry past its max):
	 * each is a finding of its own, or they would take turns under one id.
	 */
	if (c->type == FND_DISCOVERY_REFUSED && c->refusal) {
		id = fnd_hash_str(fnd_hash_str(id, c->refusal->reason), c->refusal->cred->entry);
		id = id ? id : 1;
	}
	struct finding n;
	uint32_t i;

	c->now_s = e->now_s;
	if (e->check) {		/* a one-off check: the line as it would be emitted */
		char ids[32];

		c->first_seen_s = e->now_s;
		fnd_render(f, &f->jb, c, id, e->lookup, e->lookup_ctx);
		snprintf(ids, sizeof(ids), "cwf-%016llx", (unsigned long long)id);
		if (!f->jb.oom)
			e->check(e->check_ctx, fnd_type_name(c->type), (int)c->severity, ids,
				 f->jb.buf, f->jb.len);
		return;
	}
	if (!u64idx_get(&f->fsidx, id, &i)) {
		f->fs[i].gen = f->gen;
		f->fs[i].last_seen_s = e->now_s;
		if (f->fs[i].digest == digest)
			return;		/* unchanged: said already */
		c->first_seen_s = f->fs[i].first_seen_s;
	} else {
		c->first_seen_s = e->now_s;
	}
	memset(&n, 0, sizeof(n));
	n.id = id;
	n.digest = digest;
	n.cred_key = cred_key_v;
	n.first_seen_s = c->first_seen_s;
	n.last_seen_s = e->now_s;
	n.gen = f->gen;
	n.type = (uint8_t)c->type;
	n.severity = (uint8_t)c->severity;
	n.ns = (char *)c->ns;
	n.pod = (char *)c->pod;
	n.pod_uid = (char *)c->pod_uid;
	n.sa = (char *)c->sa;
	n.path = (char *)c->path;
	n.cred_kind = (char *)c->cred_kind;
	if (fnd_finding_put(f, &n)) {
		/* not kept means it would be re-sent every interval: send none */
		e->untracked++;
		return;
	}
	fnd_render(f, &f->jb, c, id, e->lookup, e->lookup_ctx);
	emit_line(e);
}

/*
 * The severity of an exposure: the catalog entry's (cred_entry.exposure, 0:
 * high) when anyone may read it, one lower when only its group may.
 */
static enum fnd_severity exposure_severity(const struct cred_entry *c, bool to_everyone)
{
	int sev = c->exposure ? c->exposure - 1 : SEV_HIGH;

	if (!to_everyone && sev > SEV_LOW)
		sev--;
	return (enum fnd_severity)(sev < SEV__COUNT ? sev : SEV_CRITICAL);
}

static bool is_admin_kubeconfig(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strcmp(base, "admin.conf") || !strcmp(base, "super-admin.conf");
}

static void owner_lookup(struct eval_ctx *e, const struct cred_entry *c, struct owner_id *o)
{
	if (o->looked_up)
		return;
	o->looked_up = true;
	if (!c->pod_uid[0] || !e->lookup ||
	    !e->lookup(e->lookup_ctx, c->pod_uid, o->ns, sizeof(o->ns), o->pod, sizeof(o->pod),
		       o->sa, sizeof(o->sa)))
		o->ns[0] = o->pod[0] = o->sa[0] = '\0';
}

static void cand_init(struct eval_ctx *e, struct fnd_cand *k, enum fnd_type type,
		      enum fnd_severity sev, const struct cred_entry *c, const struct cstate *cs,
		      struct owner_id *o)
{
	owner_lookup(e, c, o);
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->severity = sev;
	k->cred = c;
	k->cs = cs;
	k->mode = c->mode;
	k->uid = c->uid;
	k->ns = o->ns;
	k->pod = o->pod;
	k->sa = o->sa;
	k->pod_uid = c->pod_uid;
	k->path = c->path;
	k->cred_kind = cred_kind_name(c->kind);
	k->now_s = e->now_s;
}

static void evaluate_cred(struct eval_ctx *e, const struct cred_entry *c, const struct cstate *cs,
			  bool control_plane)
{
	struct findings *f = e->f;
	uint64_t key = fnd_cred_key(c->pod_uid, c->path);
	struct owner_id o = { 0 };
	struct fnd_cand k;
	int nactive = 0;

	if (c->pod_uid[0] && c->kind == CW_CRED_SA_TOKEN) {
		if (cs && !(cs->flags & CS_USED) && e->now_s >= cs->first_seen_s + f->o.window_s) {
			cand_init(e, &k, FND_UNUSED_TOKEN, SEV_LOW, c, cs, &o);
			consider(e, &k, key);
		}
		if (c->legacy_token) {
			cand_init(e, &k, FND_LEGACY_TOKEN, SEV_MEDIUM, c, cs, &o);
			consider(e, &k, key);
		}
		for (int i = 0; cs && i < cs->nreaders; i++) {
			if (cs->readers[i].unexpected) {
				cand_init(e, &k, FND_UNEXPECTED_READER, SEV_HIGH, c, cs, &o);
				consider(e, &k, key);
				break;
			}
		}
	}
	if (!c->pod_uid[0] && c->kind != CW_CRED_CUSTOM) {
		char path[PATH_MAX * 2];
		struct stat st;
		uint32_t mode = c->mode, uid = c->uid;
		bool login_owner;

		/*
		 * chmod and chown move no inode, so the table's may be stale: stat
		 * now - the same file only (a link a user swapped since says nothing
		 * about the file that is watched)
		 */
		snprintf(path, sizeof(path), "%s%s", f->host_root, c->path);
		if (!stat(path, &st) && st.st_ino == c->ino && st.st_dev == c->dev) {
			mode = st.st_mode & 07777;
			uid = st.st_uid;
		}
		/*
		 * the cluster's credential a login account owns is that user's to
		 * read and replace (a node entry's may be a user's by design:
		 * /run/user/<uid>/containers/auth.json)
		 */
		login_owner = c->owner == CRED_OWNER_CONTROL_PLANE && uid >= LOGIN_UID_MIN &&
			      uid != NOBODY_UID;
		if ((mode & 0044) || login_owner) {
			cand_init(e, &k, FND_EXPOSED_HOST_CRED,
				  exposure_severity(c, (mode & 0004) || login_owner), c, cs, &o);
			k.mode = mode;
			k.uid = uid;
			k.login_owner = login_owner;
			consider(e, &k, key);
		}
		if (c->kind == CW_CRED_KUBECONFIG && !control_plane && is_admin_kubeconfig(c->path)) {
			cand_init(e, &k, FND_ADMIN_ON_WORKER, SEV_CRITICAL, c, cs, &o);
			consider(e, &k, key);
		}
		if (c->flags & CRED_F_CI_WORKSPACE) {
			cand_init(e, &k, FND_CI_WORKSPACE_CRED, exposure_severity(c, true), c, cs, &o);
			consider(e, &k, key);
		}
	}
	if (c->unmatched) {
		cand_init(e, &k, FND_UNMATCHED_FS, SEV_MEDIUM, c, cs, &o);
		consider(e, &k, key);
	}
	for (int i = 0; cs && i < cs->nrpods; i++)
		nactive += fnd_rpod_active(f, &cs->rpods[i], e->now_s);
	if (nactive >= 2) {
		bool high = c->pod_uid[0] || c->kind == CW_CRED_KUBECONFIG || c->kind == CW_CRED_PKI;

		cand_init(e, &k, FND_SHARED_CRED, high ? SEV_HIGH : SEV_MEDIUM, c, cs, &o);
		consider(e, &k, key);
	}
}

static const char *resolved_why(const struct findings *f, const struct finding *x)
{
	uint32_t i;

	/* refusals have no credential state: their reason went away */
	if ((x->type == FND_FOREIGN_OWNED_CRED || x->type == FND_DISCOVERY_REFUSED) &&
	    u64idx_get(&f->csidx, x->cred_key, &i))
		return x->type == FND_FOREIGN_OWNED_CRED ?
		       "the file now belongs to the home's owner, or is gone" :
		       "discovery no longer refuses it (the link, the files or the map changed)";
	if (u64idx_get(&f->csidx, x->cred_key, &i) || f->cs[i].gen != f->gen)
		return "the credential is no longer on the node (pod deleted or file removed)";
	switch (x->type) {
	case FND_UNUSED_TOKEN:
		return "the token has been opened by its pod";
	case FND_UNEXPECTED_READER:
		return "no unexpected reader within the last window";
	case FND_EXPOSED_HOST_CRED:
		return "the file is no longer group- or world-readable nor owned by a login user";
	case FND_ADMIN_ON_WORKER:
		return "this node now runs kube-apiserver (control plane)";
	case FND_SHARED_CRED:
		return "fewer than two pods read it within the last window";
	case FND_CI_WORKSPACE_CRED:
		return "the file is gone from the workspace";
	case FND_FOREIGN_OWNED_CRED:
		return "the file now belongs to the home's owner, or is gone";
	case FND_DISCOVERY_REFUSED:
		return "discovery no longer refuses it (the link, the files or the map changed)";
	case FND_UNMATCHED_FS:
		return "the credential is now on a filesystem where its opens are matched";
	default:
		return "the condition no longer holds";
	}
}

static void resolve(struct eval_ctx *e, uint32_t i)
{
	struct findings *f = e->f;
	struct finding *x = &f->fs[i];
	struct fnd_cand c;

	memset(&c, 0, sizeof(c));
	c.type = x->type;
	c.severity = x->severity;
	c.ns = x->ns;
	c.pod = x->pod;
	c.pod_uid = x->pod_uid;
	c.sa = x->sa;
	c.path = x->path;
	c.cred_kind = x->cred_kind;
	c.first_seen_s = x->first_seen_s;
	c.now_s = e->now_s;
	c.resolved_why = resolved_why(f, x);
	fnd_render(f, &f->jb, &c, x->id, NULL, NULL);
	emit_line(e);
	f->st.resolved++;
	fnd_finding_remove(f, i);
}

void findings_set_refusals(struct findings *f, const struct findings_refusal *v, size_t n)
{
	f->refusals = v;
	f->nrefusals = n;
}

bool findings_is_control_plane(const char *host_root)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s" APISERVER_MANIFEST,
		 host_root && strcmp(host_root, "/") ? host_root : "");
	return !stat(path, &st);
}

void findings_check(struct findings *f, const struct cred_entry *c, bool control_plane,
		    bool foreign_owner, uint64_t now_s, findings_pod_lookup_fn lookup,
		    void *lookup_ctx, findings_check_fn fn, void *ctx)
{
	struct eval_ctx e = { f, now_s, lookup, lookup_ctx, NULL, NULL, 0, 0, fn, ctx };
	struct owner_id o = { 0 };
	struct fnd_cand k;

	if (foreign_owner) {
		cand_init(&e, &k, FND_FOREIGN_OWNED_CRED, exposure_severity(c, true), c, NULL, &o);
		consider(&e, &k, 0);
		return;
	}
	evaluate_cred(&e, c, NULL, control_plane);
}

int findings_evaluate(struct findings *f, const struct creds *table, uint64_t now_s,
		      findings_pod_lookup_fn lookup, void *lookup_ctx,
		      findings_emit_fn emit, void *emit_ctx)
{
	struct eval_ctx e = { f, now_s, lookup, lookup_ctx, emit, emit_ctx, 0, 0, NULL, NULL };
	const struct cred_entry *c;
	uint64_t untracked = 0;
	uint32_t cursor = 0;
	bool control_plane;
	int err;

	f->gen++;
	/* kubeadm control planes run kube-apiserver as a static pod */
	control_plane = findings_is_control_plane(f->host_root);
	while ((c = creds_next(table, &cursor))) {
		struct cstate *cs = NULL;

		err = fnd_cstate_insert(f, fnd_cred_key(c->pod_uid, c->path), now_s, &cs);
		if (err == -ENOMEM)
			return -ENOMEM;
		if (err) {
			untracked++;
			cs = NULL;
		} else {
			cs->gen = f->gen;
			fnd_age_readers(f, cs, now_s);
		}
		evaluate_cred(&e, c, cs, control_plane);
	}
	/* what discovery refuses: findings of their own, no credential state */
	for (size_t r = 0; r < f->nrefusals; r++) {
		const struct findings_refusal *x = &f->refusals[r];
		struct owner_id o = { 0 };
		struct fnd_cand k;

		cand_init(&e, &k, x->owner ? FND_FOREIGN_OWNED_CRED : FND_DISCOVERY_REFUSED,
			  x->owner || x->map_full ? SEV_HIGH : SEV_MEDIUM, x->cred, NULL, &o);
		k.refusal = x;
		consider(&e, &k, fnd_cred_key(x->cred->pod_uid, x->cred->path));
	}
	/* state of credentials gone from the table goes first: resolutions need it */
	for (uint32_t i = f->nfs; i-- > 0;)
		if (f->fs[i].gen != f->gen)
			resolve(&e, i);
	for (uint32_t i = f->ncs; i-- > 0;)
		if (f->cs[i].gen != f->gen)
			fnd_cstate_remove(f, i);
	if (untracked > f->st.creds_untracked)
		log_warn("findings: %llu credentials have no state (the bound is %u): unused-token "
			 "and reader findings are not computed for them",
			 (unsigned long long)untracked, f->o.max_creds);
	if (e.untracked > f->st.findings_untracked)
		log_warn("findings: %llu findings not emitted: %u findings are open already",
			 (unsigned long long)e.untracked, f->o.max_open);
	f->st.creds_untracked = untracked;
	f->st.findings_untracked = e.untracked;
	return e.emitted;
}
