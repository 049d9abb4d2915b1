// SPDX-License-Identifier: Apache-2.0
/*
 * findings_state.c - <state_dir>/findings.state: what findings must not
 * forget across restarts. NDJSON, one object per line, so that loading
 * needs one line in memory at a time:
 *
 *   {"credwatch_findings_state":1,"saved":T}                     header
 *   {"c":KEY,"first_seen":T,"last_read":T,"opens":N,"used":B,
 *    "readers_dropped":N,"rpods_dropped":N,
 *    "readers":[{"h":H,"image":S,"exe":S,"first":T,"last":T,"opens":N,"unexpected":B}],
 *    "rpods":[{"uid":S,"first":T,"last":T}]}                    one per credential
 *   {"f":ID,"type":S,"severity":S,"digest":H,"cred":KEY,"first_seen":T,"last_seen":T,
 *    "namespace":S,"pod":S,"pod_uid":S,"service_account":S,"path":S,"cred_kind":S}
 *                                                                 one per open finding
 *   {"end":{"credentials":N,"findings":N}}                       trailer
 *
 * KEY, ID and H are 16 hex digits; T is Unix seconds. Readers are matched
 * by H, so a name with bytes the JSON writer escapes still matches after a
 * restart. A file that does not parse, lacks the trailer or disagrees with
 * its counts is corrupt: it is renamed to findings.state.corrupt and the
 * agent starts fresh. Written as temp + fsync + rename + fsync(dir), 0600.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "findings_int.h"
#include "log.h"

#define STATE_VERSION	1
#define LINE_MAX_BYTES	(1u << 20)	/* a credential line is far below this */

/* ---- load ---- */

static bool get_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
		return false;
	*out = (uint64_t)v->valuedouble;
	return true;
}

static bool get_bool(const cJSON *o, const char *key, bool *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsBool(v))
		return false;
	*out = cJSON_IsTrue(v);
	return true;
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool get_hex(const cJSON *o, const char *key, uint64_t *out)
{
	const char *s = get_str(o, key);
	char *end;

	if (!s || strlen(s) != 16)
		return false;
	errno = 0;
	*out = strtoull(s, &end, 16);
	return !errno && !*end && *out;
}

static uint16_t sat16(uint64_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* Returns 0, -EINVAL for a malformed line, -ENOMEM. Bounds drop silently (counted by caller). */
static int load_cred(struct findings *f, const cJSON *o, uint32_t *dropped)
{
	const cJSON *arr, *it;
	struct cstate *cs;
	uint64_t key, first, last, opens, rd, pd;
	bool used;
	int err;

	if (!get_hex(o, "c", &key) || !get_u64(o, "first_seen", &first) ||
	    !get_u64(o, "last_read", &last) || !get_u64(o, "opens", &opens) ||
	    !get_bool(o, "used", &used) || !get_u64(o, "readers_dropped", &rd) ||
	    !get_u64(o, "rpods_dropped", &pd))
		return -EINVAL;
	err = fnd_cstate_insert(f, key, first, &cs);
	if (err == -ENOSPC) {
		(*dropped)++;
		return 0;
	}
	if (err)
		return err;
	cs->first_seen_s = first;
	cs->last_read_s = last;
	cs->opens = opens;
	cs->flags = used ? CS_USED : 0;
	cs->readers_dropped = sat16(rd);
	cs->rpods_dropped = sat16(pd);
	arr = cJSON_GetObjectItemCaseSensitive(o, "readers");
	if (!cJSON_IsArray(arr))
		return -EINVAL;
	cJSON_ArrayForEach(it, arr) {
		struct reader r = { 0 };

		r.image = (char *)get_str(it, "image");
		r.exe = (char *)get_str(it, "exe");
		if (!r.image || !r.exe || !get_hex(it, "h", &r.h) || !get_u64(it, "first", &r.first_s) ||
		    !get_u64(it, "last", &r.last_s) || !get_u64(it, "opens", &r.opens) ||
		    !get_bool(it, "unexpected", &r.unexpected))
			return -EINVAL;
		err = fnd_reader_add(f, cs, &r);
		if (err == -ENOMEM)
			return err;
	}
	arr = cJSON_GetObjectItemCaseSensitive(o, "rpods");
	if (!cJSON_IsArray(arr))
		return -EINVAL;
	cJSON_ArrayForEach(it, arr) {
		struct rpod p = { 0 };
		const char *uid = get_str(it, "uid");

		if (!uid || strlen(uid) >= sizeof(p.uid) || !get_u64(it, "first", &p.first_s) ||
		    !get_u64(it, "last", &p.last_s))
			return -EINVAL;
		memcpy(p.uid, uid, strlen(uid) + 1);
		err = fnd_rpod_add(f, cs, &p);
		if (err == -ENOMEM)
			return err;
	}
	return 0;
}

static int load_finding(struct findings *f, const cJSON *o, uint32_t *dropped)
{
	struct finding x = { 0 };
	const char *type = get_str(o, "type"), *sev = get_str(o, "severity");
	int t, s, err;

	x.ns = (char *)get_str(o, "namespace");
	x.pod = (char *)get_str(o, "pod");
	x.pod_uid = (char *)get_str(o, "pod_uid");
	x.sa = (char *)get_str(o, "service_account");
	x.path = (char *)get_str(o, "path");
	x.cred_kind = (char *)get_str(o, "cred_kind");
	if (!type || !sev || (t = fnd_type_parse(type)) < 0 || (s = fnd_severity_parse(sev)) < 0 ||
	    !get_hex(o, "f", &x.id) || !get_hex(o, "digest", &x.digest) ||
	    !get_hex(o, "cred", &x.cred_key) || !get_u64(o, "first_seen", &x.first_seen_s) ||
	    !get_u64(o, "last_seen", &x.last_seen_s) || !x.ns || !x.pod || !x.pod_uid || !x.sa ||
	    !x.path || !x.cred_kind)
		return -EINVAL;
	x.type = (uint8_t)t;
	x.severity = (uint8_t)s;
	x.gen = f->gen;
	err = fnd_finding_put(f, &x);
	if (err == -ENOSPC) {
		(*dropped)++;
		return 0;
	}
	return err;
}

/* Parse the open file. Returns 0, -EINVAL with *why set, -ENOMEM, or -errno of a read. */
static int load_stream(struct findings *f, FILE *in, const char **why, size_t *lineno)
{
	uint64_t ncred = 0, nfind = 0, want_c, want_f, version;
	uint32_t dropped_c = 0, dropped_f = 0;
	bool header = false, end = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	*lineno = 0;
	while (!err && (len = getline(&line, &cap, in)) >= 0) {
		const cJSON *e;
		cJSON *o;

		(*lineno)++;
		if (end || (size_t)len > LINE_MAX_BYTES) {
			*why = end ? "data after the end marker" : "line too long";
			err = -EINVAL;
			break;
		}
		o = cJSON_ParseWithLength(line, (size_t)len);
		if (!cJSON_IsObject(o)) {
			*why = "not a JSON object";
			err = -EINVAL;
		} else if (!header) {
			if (!get_u64(o, "credwatch_findings_state", &version) || version != STATE_VERSION) {
				*why = "not a version 1 findings state header";
				err = -EINVAL;
			}
			header = true;
		} else if (cJSON_GetObjectItemCaseSensitive(o, "c")) {
			err = load_cred(f, o, &dropped_c);
			ncred++;
			*why = "bad credential entry";
		} else if (cJSON_GetObjectItemCaseSensitive(o, "f")) {
			err = load_finding(f, o, &dropped_f);
			nfind++;
			*why = "bad finding entry";
		} else if ((e = cJSON_GetObjectItemCaseSensitive(o, "end"))) {
			if (!get_u64(e, "credentials", &want_c) || !get_u64(e, "findings", &want_f) ||
			    want_c != ncred || want_f != nfind) {
				*why = "end marker does not match the entries";
				err = -EINVAL;
			}
			end = true;
		} else {
			*why = "unknown entry";
			err = -EINVAL;
		}
		cJSON_Delete(o);
	}
	if (!err && ferror(in))
		err = -(errno ? errno : EIO), *why = strerror(errno ? errno : EIO);
	else if (!err && !end)
		err = -EINVAL, *why = header ? "no end marker, truncated" : "empty";
	free(line);
	if (!err && (dropped_c || dropped_f))
		log_warn("findings: %s: %u credentials and %u findings over the bounds not loaded",
			 f->state_path, dropped_c, dropped_f);
	return err;
}

int fnd_state_load(struct findings *f)
{
	char corrupt[PATH_MAX + 16];
	const char *why = "";
	size_t lineno = 0;
	FILE *in;
	int err;

	in = fopen(f->state_path, "re");
	if (!in && errno == ENOENT)
		return 0;
	if (!in) {
		err = -errno;
		why = strerror(-err);
	} else {
		err = load_stream(f, in, &why, &lineno);
		fclose(in);
		if (!err)
			return 0;
		if (err == -ENOMEM) {
			log_error("findings: %s: out of memory loading state", f->state_path);
			return err;
		}
	}
	/* keep the bad file for a human; never overwrite it silently */
	fnd_reset(f);
	snprintf(corrupt, sizeof(corrupt), "%s.corrupt", f->state_path);
	if (rename(f->state_path, corrupt))
		log_warn("findings: %s: unusable at line %zu (%s), and renaming it to %s failed: "
			 "%s; starting with empty state", f->state_path, lineno, why, corrupt,
			 strerror(errno));
	else
		log_warn("findings: %s: unusable at line %zu (%s): moved to %s, starting with "
			 "empty state", f->state_path, lineno, why, corrupt);
	return 0;
}

/* ---- save ---- */

static void kv_hex(struct jbuf *jb, const char *key, uint64_t v)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016" PRIx64, v);
	jbuf_kv_str(jb, key, hex);
}

static void write_cred(struct jbuf *jb, const struct cstate *cs)
{
	jbuf_obj_begin(jb);
	kv_hex(jb, "c", cs->key);
	jbuf_kv_u64(jb, "first_seen", cs->first_seen_s);
	jbuf_kv_u64(jb, "last_read", cs->last_read_s);
	jbuf_kv_u64(jb, "opens", cs->opens);
	jbuf_kv_bool(jb, "used", cs->flags & CS_USED);
	jbuf_kv_u64(jb, "readers_dropped", cs->readers_dropped);
	jbuf_kv_u64(jb, "rpods_dropped", cs->rpods_dropped);
	jbuf_key(jb, "readers");
	jbuf_arr_begin(jb);
	for (int k = 0; k < cs->nreaders; k++) {
		const struct reader *r = &cs->readers[k];

		jbuf_elem(jb);
		jbuf_obj_begin(jb);
		kv_hex(jb, "h", r->h);
		jbuf_kv_str(jb, "image", r->image);
		jbuf_kv_str(jb, "exe", r->exe);
		jbuf_kv_u64(jb, "first", r->first_s);
		jbuf_kv_u64(jb, "last", r->last_s);
		jbuf_kv_u64(jb, "opens", r->opens);
		jbuf_kv_bool(jb, "unexpected", r->unexpected);
		jbuf_obj_end(jb);
	}
	jbuf_arr_end(jb);
	jbuf_key(jb, "rpods");
	jbuf_arr_begin(jb);
	for (int k = 0; k < cs->nrpods; k++) {
		jbuf_elem(jb);
		jbuf_obj_begin(jb);
		jbuf_kv_str(jb, "uid", cs->rpods[k].uid);
		jbuf_kv_u64(jb, "first", cs->rpods[k].first_s);
		jbuf_kv_u64(jb, "last", cs->rpods[k].last_s);
		jbuf_obj_end(jb);
	}
	jbuf_arr_end(jb);
	jbuf_obj_end(jb);
}

static void write_finding(struct jbuf *jb, const struct finding *x)
{
	jbuf_obj_begin(jb);
	kv_hex(jb, "f", x->id);
	jbuf_kv_str(jb, "type", fnd_type_name(x->type));
	jbuf_kv_str(jb, "severity", fnd_severity_name(x->severity));
	kv_hex(jb, "digest", x->digest);
	kv_hex(jb, "cred", x->cred_key);
	jbuf_kv_u64(jb, "first_seen", x->first_seen_s);
	jbuf_kv_u64(jb, "last_seen", x->last_seen_s);
	jbuf_kv_str(jb, "namespace", x->ns);
	jbuf_kv_str(jb, "pod", x->pod);
	jbuf_kv_str(jb, "pod_uid", x->pod_uid);
	jbuf_kv_str(jb, "service_account", x->sa);
	jbuf_kv_str(jb, "path", x->path);
	jbuf_kv_str(jb, "cred_kind", x->cred_kind);
	jbuf_obj_end(jb);
}

/* Write the line in jb (plus '\n') to out; reset jb. */
static int put_line(struct jbuf *jb, FILE *out)
{
	int err = 0;

	if (jb->oom)
		err = -ENOMEM;
	else {
		jbuf_raw(jb, "\n", 1);
		if (jb->oom)
			err = -ENOMEM;
		else if (fwrite(jb->buf, 1, jb->len, out) != jb->len)
			err = -(errno ? errno : EIO);
	}
	jbuf_reset(jb);
	return err;
}

int fnd_state_save(struct findings *f)
{
	struct file_replace r;
	struct jbuf jb;
	FILE *out;
	int err;

	jbuf_init(&jb);
	err = file_replace_open(&r, AT_FDCWD, f->state_path, ".tmp", 0600);
	if (err)
		goto cleanup;
	out = file_replace_stream(&r);
	if (!out) {
		err = -errno;
		r.op = "write";
		file_replace_abort(&r);
		goto cleanup;
	}
	jbuf_obj_begin(&jb);
	jbuf_kv_u64(&jb, "credwatch_findings_state", STATE_VERSION);
	jbuf_kv_u64(&jb, "saved", (uint64_t)time(NULL));
	jbuf_obj_end(&jb);
	err = put_line(&jb, out);
	for (uint32_t i = 0; !err && i < f->ncs; i++) {
		write_cred(&jb, &f->cs[i]);
		err = put_line(&jb, out);
	}
	for (uint32_t i = 0; !err && i < f->nfs; i++) {
		write_finding(&jb, &f->fs[i]);
		err = put_line(&jb, out);
	}
	if (!err) {
		jbuf_obj_begin(&jb);
		jbuf_key(&jb, "end");
		jbuf_obj_begin(&jb);
		jbuf_kv_u64(&jb, "credentials", f->ncs);
		jbuf_kv_u64(&jb, "findings", f->nfs);
		jbuf_obj_end(&jb);
		jbuf_obj_end(&jb);
		err = put_line(&jb, out);
	}
	if (err) {
		r.op = "write";
		file_replace_abort(&r);
	} else {
		err = file_replace_commit(&r);
	}
	if (err && !strcmp(r.op, "fsync dir")) {
		log_warn("findings: %s: fsync: %s", f->state_dir, strerror(-err));
		err = 0;	/* renamed: the state is in place, only its durability is late */
	}
cleanup:
	if (err)
		log_warn("findings: %s: %s: %s", r.tmp, r.op, strerror(-err));
	jbuf_free(&jb);
	return err;
}
