// SPDX-License-Identifier: Apache-2.0
/*
 * watch_refuse.c - what discovery found but will not watch, and why: a
 * refusal is counted and logged once per reason and place, passed to the
 * sink, and kept (watch_refused()) while rescans of its group still see it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "watch_int.h"

uint64_t watch_refusal_key(enum watch_refusal r, const char *a, const char *b)
{
	uint32_t h1 = hash_fnv32_str(a), h2 = hash_fnv32_str(b);

	return ((uint64_t)h1 << 32 | h2) ^ ((uint64_t)r * 0x9E3779B97F4A7C15ULL);
}

/*
 * First time this refusal is seen (by reason and place)? Remembers up to
 * REFUSALS_SEEN_MAX; past that every refusal is new, so a flood of them
 * costs counting, not memory.
 */
static bool refusal_is_new(struct watch *w, uint64_t key)
{
	uint32_t i;

	if (!key)
		key = 1;
	i = (uint32_t)(key % REFUSALS_SEEN_MAX);
	for (uint32_t n = 0; n < REFUSALS_SEEN_MAX; n++, i = (i + 1) % REFUSALS_SEEN_MAX) {
		if (w->refusals_seen[i] == key)
			return false;
		if (!w->refusals_seen[i]) {
			if (w->nrefusals_seen + 1 >= REFUSALS_SEEN_MAX * 3 / 4)
				return true;	/* full enough: stop remembering */
			w->refusals_seen[i] = key;
			w->nrefusals_seen++;
			return true;
		}
	}
	return true;
}

void watch_refused_rec_free(struct refused_rec *r)
{
	free(r->strings);
	free(r->group);
}

/* Keep (or refresh) the record of a refusal seen by the rescan under way. */
void watch_refused_keep(struct watch *w, uint64_t key, enum watch_refusal reason,
			 const struct cred_entry *c, uint64_t files, bool add, const char *why)
{
	const char *src[5] = { c->path, c->entry, c->pod_uid, c->volume, why };
	size_t len[5], total = 0;
	struct refused_rec *r = NULL;
	char *buf, *p;

	for (size_t i = 0; i < w->nrefused; i++)
		if (w->refused[i].key == key) {
			r = &w->refused[i];
			break;
		}
	if (r) {	/* add: one more file of the same place in this rescan */
		r->pub.files = add && r->seen == w->refusal_gen ? r->pub.files + files : files;
		r->seen = w->refusal_gen;
		return;
	}
	if (w->nrefused == WATCH_REFUSED_KEPT)
		return;
	for (int i = 0; i < 5; i++) {
		len[i] = src[i] ? strlen(src[i]) : 0;
		total += len[i] + 1;
	}
	buf = malloc(total);
	r = &w->refused[w->nrefused];
	memset(r, 0, sizeof(*r));
	r->group = strdup(c->group ? c->group : "");
	if (!buf || !r->group) {
		free(buf);
		free(r->group);
		return;
	}
	r->strings = buf;
	r->key = key;
	r->seen = w->refusal_gen;
	r->pub.reason = reason;
	r->pub.cred = *c;
	r->pub.files = files;
	p = buf;
	for (int i = 0; i < 5; i++) {
		memcpy(p, src[i] ? src[i] : "", len[i]);
		p[len[i]] = '\0';
		if (i == 0)
			r->pub.cred.path = p;
		else if (i == 1)
			r->pub.cred.entry = p;
		else if (i == 2)
			r->pub.cred.pod_uid = p;
		else if (i == 3)
			r->pub.cred.volume = p;
		else
			r->pub.why = p;
		p += len[i] + 1;
	}
	r->pub.cred.group = r->group;
	r->pub.cred.secret_name = "";
	w->nrefused++;
}

/* After a rescan of group: forget its refusals that rescan did not see again. */
void watch_refused_sweep(struct watch *w, const char *group, uint32_t gen)
{
	for (size_t i = w->nrefused; i-- > 0;) {
		struct refused_rec *r = &w->refused[i];

		if (r->seen == gen || strcmp(r->group, group))
			continue;
		watch_refused_rec_free(r);
		*r = w->refused[--w->nrefused];
	}
}

const struct watch_refused *watch_refused(const struct watch *w, size_t i)
{
	return i < w->nrefused ? &w->refused[i].pub : NULL;
}

void watch_refuse(struct watch *w, enum watch_refusal r, const struct cred_entry *c,
		  const char *where, const char *place, uint64_t files, const char *fmt, ...)
{
	char why[PATH_MAX * 2 + 256];
	uint64_t key = watch_refusal_key(r, where, place);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	watch_refused_keep(w, key, r, c, files, false, why);
	if (!refusal_is_new(w, key))
		return;
	w->stats.refused[r] += files;
	log_warn("watch: %s: %s: not watched", where, why);
	if (w->sink.refused)
		w->sink.refused(w->sink.ctx, r, c, files, why);
}

const char *watch_refusal_name(enum watch_refusal r)
{
	static const char *const names[WATCH_REFUSED__COUNT] = {
		[WATCH_REFUSED_SYMLINK] = "symlink",
		[WATCH_REFUSED_OUTSIDE] = "outside",
		[WATCH_REFUSED_OWNER] = "owner",
		[WATCH_REFUSED_ENTRY_BOUND] = "entry_bound",
		[WATCH_REFUSED_POD_BOUND] = "pod_bound",
		[WATCH_REFUSED_RESERVE] = "reserve",
	};

	return (unsigned)r < WATCH_REFUSED__COUNT ? names[r] : "unknown";
}
