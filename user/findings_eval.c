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

struct eval_ctx {
	struct findings *f;
	uint64_t now_s;
	findings_pod_lookup_fn lookup;
	void *lookup_ctx;
	findings_emit_fn emit;
	void *emit_ctx;
	int emitted;
	uint64_t untracked;	/* findings not kept this round: max_open */
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
		h = fnd_hash_bytes(h, &c->mode, sizeof(c->mode));
		break;
	case FND_UNEXPECTED_READER:
		/* the set of unexpected readers, in any order */
		for (int k = 0; k < c->cs->nreaders; k++)
			if (c->cs->readers[k].unexpected)
				set ^= c->cs->readers[k].h * 0x9E3779B97F4A7C15ULL;
		h = fnd_hash_bytes(h, &set, sizeof(set));
		break;
	case FND_UNMATCHED_FS:
		h = fnd_hash_str(fnd_hash_str(h, c->cred->fstype), c->cred->unmatched);
		break;
	case FND_SHARED_CRED:
		for (int k = 0; k < c->cs->nrpods; k++)
			if (fnd_rpod_active(f, &c->cs->rpods[k], c->now_s))
				set ^= fnd_hash_str(FND_HASH_INIT, c->cs->rpods[k].uid);
		h = fnd_hash_bytes(h, &set, sizeof(set));
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
	struct finding n;
	uint32_t i;

	c->now_s = e->now_s;
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
	if (!c->pod_uid[0] && (c->kind == CW_CRED_KUBECONFIG || c->kind == CW_CRED_PKI ||
			       c->kind == CW_CRED_CLOUD)) {
		char path[PATH_MAX * 2];
		struct stat st;
		uint32_t mode = c->mode;

		/* chmod moves no inode, so the table's mode may be stale: stat now */
		snprintf(path, sizeof(path), "%s%s", f->host_root, c->path);
		if (!stat(path, &st))
			mode = st.st_mode & 07777;
		if (mode & 0044) {
			cand_init(e, &k, FND_EXPOSED_HOST_CRED, (mode & 0004) ? SEV_HIGH : SEV_MEDIUM,
				  c, cs, &o);
			k.mode = mode;
			consider(e, &k, key);
		}
		if (c->kind == CW_CRED_KUBECONFIG && !control_plane && is_admin_kubeconfig(c->path)) {
			cand_init(e, &k, FND_ADMIN_ON_WORKER, SEV_CRITICAL, c, cs, &o);
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

	if (u64idx_get(&f->csidx, x->cred_key, &i) || f->cs[i].gen != f->gen)
		return "the credential is no longer on the node (pod deleted or file removed)";
	switch (x->type) {
	case FND_UNUSED_TOKEN:
		return "the token has been opened by its pod";
	case FND_UNEXPECTED_READER:
		return "no unexpected reader within the last window";
	case FND_EXPOSED_HOST_CRED:
		return "the file is no longer group- or world-readable";
	case FND_ADMIN_ON_WORKER:
		return "this node now runs kube-apiserver (control plane)";
	case FND_SHARED_CRED:
		return "fewer than two pods read it within the last window";
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

int findings_evaluate(struct findings *f, const struct creds *table, uint64_t now_s,
		      findings_pod_lookup_fn lookup, void *lookup_ctx,
		      findings_emit_fn emit, void *emit_ctx)
{
	struct eval_ctx e = { f, now_s, lookup, lookup_ctx, emit, emit_ctx, 0, 0 };
	const struct cred_entry *c;
	uint64_t untracked = 0;
	char path[PATH_MAX * 2];
	struct stat st;
	uint32_t cursor = 0;
	bool control_plane;
	int err;

	f->gen++;
	/* kubeadm control planes run kube-apiserver as a static pod */
	snprintf(path, sizeof(path), "%s" APISERVER_MANIFEST, f->host_root);
	control_plane = !stat(path, &st);
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
