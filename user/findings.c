// SPDX-License-Identifier: Apache-2.0
/*
 * findings.c - what is known about each credential (first sighting, reads,
 * readers) and the open findings, and the lifecycle. Tables are dense
 * arrays indexed by 64-bit hashes and bounded (findings.h); observing a
 * known reader of a known credential allocates nothing. The evaluation
 * is in findings_eval.c, persistence in findings_state.c, the lines in
 * findings_render.c. Over 600 lines: the tables and their bounded eviction
 * are one structure, and every public entry point updates several of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "findings_int.h"
#include "log.h"

#define LEARNED_PER_CRED	(FINDINGS_READERS_PER_CRED - 4)	/* room kept for unexpected */

static const char *const type_names[FND__COUNT] = {
	[FND_UNUSED_TOKEN] = "unused_sa_token",
	[FND_UNEXPECTED_READER] = "unexpected_token_reader",
	[FND_LEGACY_TOKEN] = "legacy_sa_token",
	[FND_EXPOSED_HOST_CRED] = "exposed_host_credential",
	[FND_ADMIN_ON_WORKER] = "admin_kubeconfig_on_worker",
	[FND_SHARED_CRED] = "shared_credential",
	[FND_CI_WORKSPACE_CRED] = "ci_workspace_credential",
	[FND_FOREIGN_OWNED_CRED] = "foreign_owned_credential",
	[FND_DISCOVERY_REFUSED] = "discovery_refused",
	[FND_UNMATCHED_FS] = "unmatched_filesystem",
};

static const char *const severity_names[SEV__COUNT] = { "low", "medium", "high", "critical" };

const char *fnd_type_name(enum fnd_type t)
{
	return (unsigned)t < FND__COUNT ? type_names[t] : "unknown";
}

int fnd_type_parse(const char *s)
{
	for (int i = 0; i < FND__COUNT; i++)
		if (!strcmp(s, type_names[i]))
			return i;
	return -EINVAL;
}

const char *fnd_severity_name(enum fnd_severity s)
{
	return (unsigned)s < SEV__COUNT ? severity_names[s] : "unknown";
}

int fnd_severity_parse(const char *s)
{
	for (int i = 0; i < SEV__COUNT; i++)
		if (!strcmp(s, severity_names[i]))
			return i;
	return -EINVAL;
}

/* The string and its terminator, so ("ab","c") and ("a","bc") differ. */
uint64_t fnd_hash_str(uint64_t h, const char *s)
{
	return hash_fnv64(h, s, strlen(s) + 1);
}

static uint64_t nonzero(uint64_t h)
{
	return h ? h : 1;	/* 0 marks an empty slot */
}

uint64_t fnd_cred_key(const char *pod_uid, const char *path)
{
	return nonzero(fnd_hash_str(fnd_hash_str(FND_HASH_INIT, pod_uid), path));
}

/* ---- u64idx: open addressing with backward-shift deletion ---- */

static uint32_t slot_of(uint64_t key, uint32_t cap)
{
	key ^= key >> 33;	/* keys are hashes already; spread the low bits */
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (uint32_t)key & (cap - 1);
}

int u64idx_get(const struct u64idx *x, uint64_t key, uint32_t *val)
{
	if (!x->cap)
		return -ENOENT;
	for (uint32_t i = slot_of(key, x->cap);; i = (i + 1) & (x->cap - 1)) {
		if (!x->keys[i])
			return -ENOENT;
		if (x->keys[i] == key) {
			*val = x->vals[i];
			return 0;
		}
	}
}

void u64idx_set_raw(struct u64idx *x, uint64_t key, uint32_t val)
{
	uint32_t i = slot_of(key, x->cap);

	while (x->keys[i] && x->keys[i] != key)
		i = (i + 1) & (x->cap - 1);
	if (!x->keys[i])
		x->n++;
	x->keys[i] = key;
	x->vals[i] = val;
}

static int u64idx_put(struct u64idx *x, uint64_t key, uint32_t val)
{
	if ((x->n + 1) * 2 > x->cap) {	/* load at most 1/2 */
		struct u64idx y = { 0 };

		y.cap = x->cap ? x->cap * 2 : 64;
		y.keys = calloc(y.cap, sizeof(*y.keys));
		y.vals = calloc(y.cap, sizeof(*y.vals));
		if (!y.keys || !y.vals) {
			free(y.keys);
			free(y.vals);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < x->cap; i++)
			if (x->keys[i])
				u64idx_set_raw(&y, x->keys[i], x->vals[i]);
		free(x->keys);
		free(x->vals);
		*x = y;
	}
	u64idx_set_raw(x, key, val);
	return 0;
}

static void u64idx_del(struct u64idx *x, uint64_t key)
{
	uint32_t i, j, mask = x->cap - 1;

	if (!x->cap)
		return;
	for (i = slot_of(key, x->cap); x->keys[i] != key; i = (i + 1) & mask)
		if (!x->keys[i])
			return;
	/* shift back every later member of the cluster that may fill the hole */
	for (j = (i + 1) & mask; x->keys[j]; j = (j + 1) & mask) {
		uint32_t home = slot_of(x->keys[j], x->cap);

		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			x->keys[i] = x->keys[j];
			x->vals[i] = x->vals[j];
			i = j;
		}
	}
	x->keys[i] = 0;
	x->n--;
}

static void u64idx_free(struct u64idx *x)
{
	free(x->keys);
	free(x->vals);
	memset(x, 0, sizeof(*x));
}

/* ---- credential state ---- */

int fnd_cstate_insert(struct findings *f, uint64_t key, uint64_t first_seen_s,
		      struct cstate **out)
{
	uint32_t i;
	int err;

	if (!u64idx_get(&f->csidx, key, &i)) {
		*out = &f->cs[i];
		return 0;
	}
	if (f->ncs >= f->o.max_creds)
		return -ENOSPC;
	if (f->ncs == f->cscap) {
		uint32_t cap = f->cscap ? f->cscap * 2 : 256;
		struct cstate *v;

		if (cap > f->o.max_creds)
			cap = f->o.max_creds;
		v = realloc(f->cs, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->cs = v;
		f->cscap = cap;
	}
	err = u64idx_put(&f->csidx, key, f->ncs);
	if (err)
		return err;
	memset(&f->cs[f->ncs], 0, sizeof(f->cs[0]));
	f->cs[f->ncs].key = key;
	f->cs[f->ncs].first_seen_s = first_seen_s;
	f->cs[f->ncs].gen = f->gen;
	*out = &f->cs[f->ncs++];
	return 0;
}

static void reader_release(struct reader *r)
{
	free(r->image);
	free(r->exe);
}

void fnd_cstate_remove(struct findings *f, uint32_t i)
{
	struct cstate *cs = &f->cs[i];

	for (int k = 0; k < cs->nreaders; k++)
		reader_release(&cs->readers[k]);
	f->readers_total -= cs->nreaders;
	f->rpods_total -= cs->nrpods;
	free(cs->readers);
	free(cs->rpods);
	u64idx_del(&f->csidx, cs->key);
	if (i != f->ncs - 1) {
		f->cs[i] = f->cs[f->ncs - 1];
		u64idx_set_raw(&f->csidx, f->cs[i].key, i);
	}
	f->ncs--;
}

/* Add a copy of r (its strings duplicated). -ENOSPC at a bound. */
int fnd_reader_add(struct findings *f, struct cstate *cs, const struct reader *r)
{
	struct reader *v, n = *r;

	if (cs->nreaders >= FINDINGS_READERS_PER_CRED ||
	    (!r->unexpected && cs->nreaders >= LEARNED_PER_CRED))
		return -ENOSPC;
	if (f->readers_total >= f->o.max_readers)
		return -ENOSPC;
	v = realloc(cs->readers, (size_t)(cs->nreaders + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	cs->readers = v;
	n.image = strdup(r->image ? r->image : "");
	n.exe = strdup(r->exe ? r->exe : "");
	if (!n.image || !n.exe) {
		reader_release(&n);
		return -ENOMEM;
	}
	cs->readers[cs->nreaders++] = n;
	f->readers_total++;
	return 0;
}

int fnd_rpod_add(struct findings *f, struct cstate *cs, const struct rpod *p)
{
	struct rpod *v;

	if (cs->nrpods >= FINDINGS_RPODS_PER_CRED || f->rpods_total >= f->o.max_reader_pods)
		return -ENOSPC;
	v = realloc(cs->rpods, (size_t)(cs->nrpods + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	cs->rpods = v;
	cs->rpods[cs->nrpods++] = *p;
	f->rpods_total++;
	return 0;
}

static void sat_inc(uint16_t *v)
{
	if (*v < UINT16_MAX)
		(*v)++;
}

/*
 * A reader read after the learning window whose entry cannot be added:
 * replace the unexpected reader read longest ago, since a fresh one is the
 * one to report. Returns 0 when replaced.
 */
static int reader_evict_into(struct cstate *cs, const struct reader *r)
{
	int victim = -1;
	char *image, *exe;

	for (int k = 0; k < cs->nreaders; k++)
		if (cs->readers[k].unexpected &&
		    (victim < 0 || cs->readers[k].last_s < cs->readers[victim].last_s))
			victim = k;
	if (victim < 0)
		return -ENOSPC;
	image = strdup(r->image);
	exe = strdup(r->exe);
	if (!image || !exe) {
		free(image);
		free(exe);
		return -ENOMEM;
	}
	reader_release(&cs->readers[victim]);
	cs->readers[victim] = *r;
	cs->readers[victim].image = image;
	cs->readers[victim].exe = exe;
	return 0;
}

static void observe_reader(struct findings *f, struct cstate *cs, const struct cw_record *rec,
			   uint64_t now_s)
{
	uint64_t h = nonzero(fnd_hash_str(fnd_hash_str(FND_HASH_INIT, rec->container_image),
					  rec->proc_exepath));
	struct reader r;

	for (int k = 0; k < cs->nreaders; k++) {
		if (cs->readers[k].h == h) {
			cs->readers[k].last_s = now_s;
			cs->readers[k].opens += rec->count;	/* evt.count: opens it stands for */
			return;
		}
	}
	memset(&r, 0, sizeof(r));
	r.h = h;
	r.first_s = r.last_s = now_s;
	r.opens = rec->count;
	r.image = (char *)rec->container_image;
	r.exe = (char *)rec->proc_exepath;
	r.unexpected = now_s >= cs->first_seen_s + f->o.window_s;
	if (!fnd_reader_add(f, cs, &r))
		return;
	sat_inc(&cs->readers_dropped);
	f->st.readers_untracked++;
	if (r.unexpected)
		reader_evict_into(cs, &r);
}

static void observe_rpod(struct findings *f, struct cstate *cs, const char *uid, uint64_t now_s)
{
	struct rpod p;

	for (int k = 0; k < cs->nrpods; k++) {
		if (!strcmp(cs->rpods[k].uid, uid)) {
			cs->rpods[k].last_s = now_s;
			return;
		}
	}
	memset(&p, 0, sizeof(p));
	record_strlcpy(p.uid, uid, sizeof(p.uid));
	p.first_s = p.last_s = now_s;
	if (fnd_rpod_add(f, cs, &p)) {
		sat_inc(&cs->rpods_dropped);
		f->st.reader_pods_untracked++;
	}
}

void findings_observe(struct findings *f, const struct cw_record *rec, uint64_t now_s)
{
	const char *owner = rec->owner_pod_uid;
	struct cstate *cs;
	bool reader_known = rec->pod_uid[0] != '\0';

	if (!rec->cred_path[0]) {
		f->st.records_without_cred++;
		return;
	}
	if (fnd_cstate_insert(f, fnd_cred_key(owner, rec->cred_path), now_s, &cs))
		return;		/* at max_creds: counted at evaluation */
	cs->opens += rec->count;	/* an aggregated record stands for evt.count opens */
	cs->last_read_s = now_s;
	/*
	 * "Used by its pod": read by a process of the owner pod, or by one whose
	 * pod attribution could not tell. Counting the unknown as a use means we
	 * never recommend unmounting a token a workload may need; a read from
	 * the host (container.id "host") or another pod is not a use.
	 */
	if (!owner[0] || (reader_known ? !strcmp(rec->pod_uid, owner) :
			  strcmp(rec->container_id, "host") != 0))
		cs->flags |= CS_USED;
	if (reader_known)
		observe_rpod(f, cs, rec->pod_uid, now_s);
	if (owner[0] && !strcmp(rec->cred_kind, cred_kind_name(CW_CRED_SA_TOKEN)))
		observe_reader(f, cs, rec, now_s);
}

/* ---- findings table ---- */

static void finding_release(struct finding *x)
{
	free(x->ns);
	free(x->pod);
	free(x->pod_uid);
	free(x->sa);
	free(x->path);
	free(x->cred_kind);
}

static int finding_copy_strings(struct finding *dst, const struct finding *src)
{
	dst->ns = strdup(src->ns ? src->ns : "");
	dst->pod = strdup(src->pod ? src->pod : "");
	dst->pod_uid = strdup(src->pod_uid ? src->pod_uid : "");
	dst->sa = strdup(src->sa ? src->sa : "");
	dst->path = strdup(src->path ? src->path : "");
	dst->cred_kind = strdup(src->cred_kind ? src->cred_kind : "");
	if (!dst->ns || !dst->pod || !dst->pod_uid || !dst->sa || !dst->path || !dst->cred_kind) {
		finding_release(dst);
		return -ENOMEM;
	}
	return 0;
}

/* Insert or replace by id. -ENOSPC at max_open. */
int fnd_finding_put(struct findings *f, const struct finding *src)
{
	struct finding n = *src;
	uint32_t i;
	int err;

	if (!u64idx_get(&f->fsidx, src->id, &i)) {
		if (finding_copy_strings(&n, src))
			return -ENOMEM;
		finding_release(&f->fs[i]);
		f->fs[i] = n;
		return 0;
	}
	if (f->nfs >= f->o.max_open)
		return -ENOSPC;
	if (f->nfs == f->fscap) {
		uint32_t cap = f->fscap ? f->fscap * 2 : 64;
		struct finding *v = realloc(f->fs, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->fs = v;
		f->fscap = cap;
	}
	if (finding_copy_strings(&n, src))
		return -ENOMEM;
	err = u64idx_put(&f->fsidx, src->id, f->nfs);
	if (err) {
		finding_release(&n);
		return err;
	}
	f->fs[f->nfs++] = n;
	return 0;
}

void fnd_finding_remove(struct findings *f, uint32_t i)
{
	finding_release(&f->fs[i]);
	u64idx_del(&f->fsidx, f->fs[i].id);
	if (i != f->nfs - 1) {
		f->fs[i] = f->fs[f->nfs - 1];
		u64idx_set_raw(&f->fsidx, f->fs[i].id, i);
	}
	f->nfs--;
}

/* ---- aging ---- */

bool fnd_rpod_active(const struct findings *f, const struct rpod *p, uint64_t now_s)
{
	return p->last_s + f->o.window_s > now_s;
}

/* Forget reader pods and unexpected readers not seen for a whole window. */
void fnd_age_readers(struct findings *f, struct cstate *cs, uint64_t now_s)
{
	for (int k = cs->nrpods - 1; k >= 0; k--) {
		if (fnd_rpod_active(f, &cs->rpods[k], now_s))
			continue;
		cs->rpods[k] = cs->rpods[--cs->nrpods];
		f->rpods_total--;
	}
	for (int k = cs->nreaders - 1; k >= 0; k--) {
		if (!cs->readers[k].unexpected || cs->readers[k].last_s + f->o.window_s > now_s)
			continue;
		reader_release(&cs->readers[k]);
		cs->readers[k] = cs->readers[--cs->nreaders];
		f->readers_total--;
	}
}

/* ---- lifecycle ---- */

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int findings_new(struct findings **out, const struct findings_opts *o)
{
	struct findings *f;
	size_t len;
	int err;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->o = *o;
	if (!f->o.window_s)
		f->o.window_s = FINDINGS_WINDOW_S_DEFAULT;
	if (!f->o.interval_s)
		f->o.interval_s = FINDINGS_INTERVAL_S_DEFAULT;
	if (!f->o.max_creds)
		f->o.max_creds = FINDINGS_MAX_CREDS_DEFAULT;
	if (!f->o.max_readers)
		f->o.max_readers = FINDINGS_MAX_READERS_DEFAULT;
	if (!f->o.max_reader_pods)
		f->o.max_reader_pods = FINDINGS_MAX_RPODS_DEFAULT;
	if (!f->o.max_open)
		f->o.max_open = FINDINGS_MAX_OPEN_DEFAULT;
	snprintf(f->state_dir, sizeof(f->state_dir), "%s",
		 o->state_dir && o->state_dir[0] ? o->state_dir : FINDINGS_STATE_DIR_DEFAULT);
	snprintf(f->state_path, sizeof(f->state_path), "%s/" FINDINGS_STATE_FILE, f->state_dir);
	snprintf(f->host_root, sizeof(f->host_root), "%s", o->host_root ? o->host_root : "/");
	len = strlen(f->host_root);
	while (len > 0 && f->host_root[len - 1] == '/')
		f->host_root[--len] = '\0';
	snprintf(f->node, sizeof(f->node), "%s", o->node_name ? o->node_name : "");
	snprintf(f->cluster, sizeof(f->cluster), "%s", o->cluster_name ? o->cluster_name : "");
	f->o.state_dir = f->state_dir;
	f->o.host_root = NULL;		/* the caller's strings are not kept */
	f->o.node_name = f->node;
	f->o.cluster_name = f->cluster;
	jbuf_init(&f->jb);
	if (o->stateless) {	/* credwatch inventory: one evaluation, nothing kept */
		*out = f;
		return 0;
	}
	err = mkdir_p(f->state_dir);
	if (err) {
		log_error("findings: --state-dir %s: %s", f->state_dir, strerror(-err));
		goto cleanup;
	}
	err = fnd_state_load(f);
	if (err)
		goto cleanup;
	*out = f;
	return 0;
cleanup:
	findings_free(f);
	return err;
}

int findings_save(struct findings *f)
{
	int err = fnd_state_save(f);

	f->st.state_saves++;
	if (err)
		f->st.state_save_failures++;
	return err;
}

void findings_get_stats(const struct findings *f, struct findings_stats *out)
{
	*out = f->st;
	out->creds_tracked = f->ncs;
	out->findings_open = f->nfs;
}

const char *findings_state_path(const struct findings *f)
{
	return f->state_path;
}

void fnd_reset(struct findings *f)
{
	while (f->ncs)
		fnd_cstate_remove(f, f->ncs - 1);
	while (f->nfs)
		fnd_finding_remove(f, f->nfs - 1);
}

void findings_free(struct findings *f)
{
	if (!f)
		return;
	fnd_reset(f);
	free(f->cs);
	free(f->fs);
	u64idx_free(&f->csidx);
	u64idx_free(&f->fsidx);
	jbuf_free(&f->jb);
	free(f);
}

static const struct opt_desc findings_option_list[] = {
	OPT_UINT(struct findings_opts, window_s, "findings-window", "SECONDS",
		 FINDINGS_WINDOW_S_DEFAULT, "86400",
		 "observation window: unused tokens, learning of token readers"),
	OPT_UINT(struct findings_opts, interval_s, "findings-interval", "SECONDS",
		 FINDINGS_INTERVAL_S_DEFAULT, "300", "how often findings are evaluated (and state saved)"),
	OPT_STR(struct findings_opts, state_dir, "state-dir", "DIR", FINDINGS_STATE_DIR_DEFAULT,
		"where findings state survives restarts (created 0700)"),
};

static int findings_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct findings_opts *o = opts;

	if (!o->window_s || !o->interval_s) {
		snprintf(err, err_size, "--findings-%s: must be at least 1 second",
			 o->window_s ? "interval" : "window");
		return -EINVAL;
	}
	if (o->state_dir && !o->state_dir[0]) {
		snprintf(err, err_size, "--state-dir: empty path");
		return -EINVAL;
	}
	return 0;
}

const struct opt_table findings_options = OPT_TABLE(findings_option_list, NULL,
						    findings_opts_check);
