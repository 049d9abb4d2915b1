// SPDX-License-Identifier: Apache-2.0
/*
 * redact.c - the recognisers of redact.h over a NUL-separated argv.
 *
 * redact_argv() marks the bytes of every secret in a mask (one byte per
 * input byte: 0 kept, else kind + 1; the first recogniser to mark a byte
 * names it), then copies the input with each run of marked bytes written
 * as one REDACT_MARK. Marks never cover a NUL, so arguments stay apart.
 *
 * Per argument, in order:
 *   1. what the previous argument asked for: the value after --token, -p
 *      (sshpass), a long base64 word after a bare aws_secret_access_key;
 *   2. glued program flags (mysql -pVALUE), and what this argument asks of
 *      the next one;
 *   3. one pass over the bytes: a byte whose trigger bits are set starts
 *      the recognisers it names (= and : key/value and URLs, e JWTs, b B
 *      Bearer/Basic, - PEM, a prefix's first byte token prefixes).
 * Linear time: in 3, each recogniser keeps a high-water mark and starts
 * only past it, and returns how far it read, so it reads every byte at most
 * once; a successful one also marks what it read, and marked bytes start
 * nothing. The key of a key/value pair is read backwards from its = or :,
 * over key bytes only, which never include the previous = or :. Name checks
 * read at most NAME_SCAN_MAX bytes. So the work is O(len) times the list
 * sizes, for any input (tests/unit/test_redact.c runs 100 KiB of hostile
 * repetitions of every trigger).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "redact_int.h"

const char *redact_kind_name(enum redact_kind kind)
{
	static const char *const names[REDACT__MAX] = {
		[REDACT_NAME] = "name",
		[REDACT_PROGRAM_FLAG] = "program_flag",
		[REDACT_URL_PASSWORD] = "url_password",
		[REDACT_AUTH_SCHEME] = "auth_scheme",
		[REDACT_JWT] = "jwt",
		[REDACT_TOKEN_PREFIX] = "token_prefix",
		[REDACT_PRIVATE_KEY] = "private_key",
	};

	return (unsigned)kind < REDACT__MAX ? names[kind] : "unknown";
}

/* ---- per argument -------------------------------------------------------- */

static bool all_b64(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_b64((unsigned char)s[i]) && s[i] != '=')
			return false;
	return true;
}

/* Step 1: what the previous argument asked for, on [b, e). True when all of it is marked. */
static bool apply_pending(struct scan *sc, const struct pending *pd, size_t b, size_t e)
{
	const char *s = sc->s;

	if (!pd->on || b == e)
		return false;
	if (pd->not_flags && e - b > 2 && s[b] == '-' && s[b + 1] == '-')
		return false;	/* --password --host x: mysql asks, --host is no password */
	/* the bare name is checked only now: most positional words have no such successor */
	if (pd->b64_only && (e - b < B64_WORD_MIN || !all_b64(s + b, e - b) ||
			     !redact_name_is_secret(sc->r, s + pd->bare, pd->bare_len)))
		return false;
	redact_mark_value(sc, b, e, pd->user_sep, pd->kind);
	return !pd->user_sep;
}

/* Step 2: glued program flags in [b, e); what this argument asks of the next. */
static void program_and_names(struct scan *sc, size_t b, size_t e, struct pending *next)
{
	const struct redact *r = sc->r;
	const char *s = sc->s;
	size_t n = e - b;

	memset(next, 0, sizeof(*next));
	for (size_t k = 0; k < r->nactive; k++) {
		const struct prog_flag *pf = &r->progs[r->active[k]];

		if (pf->next && pf->flag_len == n && !memcmp(s + b, pf->flag, n)) {
			*next = (struct pending){ .on = true, .kind = REDACT_PROGRAM_FLAG,
						  .user_sep = pf->user_sep };
			return;
		}
		if (n > pf->glued_len && !memcmp(s + b, pf->glued, pf->glued_len)) {
			redact_mark_value(sc, b + pf->glued_len, e, pf->user_sep, REDACT_PROGRAM_FLAG);
			return;
		}
	}
	/* --token VALUE, -password VALUE; a bare aws_secret_access_key <40 chars> */
	if (!n || !is_keychar((unsigned char)s[b]))
		return;		/* (a name with '=' or ':' in it is not a name: its check fails) */
	if (s[b] != '-')
		*next = (struct pending){ .on = true, .kind = REDACT_NAME, .b64_only = true,
					  .bare = b, .bare_len = n };
	else if (redact_name_is_secret(r, s + b, n))
		*next = (struct pending){ .on = true, .kind = REDACT_NAME, .not_flags = true };
}

/* Which program entries apply: argv[0]'s base name or the comm (cut at 15 bytes). */
static void select_programs(struct redact *r, const char *comm, const char *args, size_t len)
{
	const char *a0_end = memchr(args, '\0', len), *base;
	size_t a0_len = a0_end ? (size_t)(a0_end - args) : len, base_len, comm_len;

	base = memrchr(args, '/', a0_len);
	base = base ? base + 1 : args;
	base_len = a0_len - (size_t)(base - args);
	comm_len = comm ? strlen(comm) : 0;
	r->nactive = 0;
	for (int pass = 0; pass < 2; pass++) {
		/* the entries whose name starts as argv[0]'s base name, then as comm */
		const char *name = pass ? comm : base;
		size_t name_len = pass ? comm_len : base_len;
		const struct index_list *ix;

		if (!name_len || (pass && base_len && comm[0] == base[0]))
			continue;	/* same first byte: the first pass saw them */
		ix = &r->progs_by_first[(unsigned char)name[0]];
		for (size_t k = 0; k < ix->n; k++) {
			const struct prog_flag *pf = &r->progs[ix->v[k]];

			/* the kernel cuts comm at 15 bytes: mariadb-convert-t... */
			if ((pf->prog_len == base_len && !memcmp(pf->prog, base, base_len)) ||
			    (comm_len && (pf->prog_len == comm_len ||
					  (comm_len == 15 && pf->prog_len > 15)) &&
			     !memcmp(pf->prog, comm, comm_len)))
				r->active[r->nactive++] = ix->v[k];
		}
	}
}

/* ---- memo ------------------------------------------------------------------ */

/* The memo key of one call: what decides its result. Never 0 (empty slot). */
static uint64_t memo_hash(const struct redact *r, const char *comm, const char *args,
			  size_t len, bool cut)
{
	struct hash_sip h;
	uint64_t v;
	char c = cut;

	hash_sip_init(&h, r->memo_key);
	if (comm)
		hash_sip_update(&h, comm, strlen(comm) + 1);
	hash_sip_update(&h, &c, 1);
	hash_sip_update(&h, args, len);
	v = hash_sip_final(&h);
	return v ? v : 1;
}

static int mask_reserve(struct redact *r, size_t len)
{
	uint8_t *m;
	size_t cap = r->mask_cap;

	if (len <= cap)
		return 0;
	while (cap < len)
		cap *= 2;
	m = realloc(r->mask, cap);
	if (!m)
		return -ENOMEM;
	r->mask = m;
	r->mask_cap = cap;
	return 0;
}

size_t redact_argv(struct redact *r, const char *comm, const char *args, size_t len, bool cut,
		   char *out, size_t size, bool *out_cut)
{
	struct scan sc = { .r = r, .s = args, .cut_end = cut ? len : SIZE_MAX };
	struct pending pd = { 0 }, next;
	uint64_t before[REDACT__MAX], hash = 0;
	struct memo *m = NULL;
	size_t o = 0, i, b, arg;

	*out_cut = false;
	if (!len)
		return 0;
	if (r->memo && len <= MEMO_OUT_MAX) {
		struct memo *set;

		hash = memo_hash(r, comm, args, len, cut);
		set = &r->memo[hash % (MEMO_SLOTS / MEMO_WAYS) * MEMO_WAYS];
		r->calls++;
		for (int w = 0; w < MEMO_WAYS; w++) {
			if (set[w].hash == hash) {
				m = &set[w];	/* the same reader again: its result, counted again */
				m->used = r->calls;
				o = m->out_len < size ? m->out_len : size;
				memcpy(out, m->out, o);
				*out_cut = o < m->out_len;
				for (int k = 0; k < REDACT__MAX; k++)
					r->counts[k] += m->counts[k];
				return o;
			}
			if (!m || set[w].used < m->used)
				m = &set[w];	/* the least recently used way (empty ones are 0) */
		}
		memcpy(before, r->counts, sizeof(before));
	}
	if (mask_reserve(r, len)) {
		/* no scratch: nothing of this argv may pass unexamined */
		o = size < REDACT_MARK_LEN ? size : REDACT_MARK_LEN;
		memcpy(out, REDACT_MARK, o);
		*out_cut = o < REDACT_MARK_LEN;
		return o;
	}
	sc.mask = r->mask;
	memset(sc.mask, 0, len);
	select_programs(r, comm, args, len);
	for (b = 0, arg = 0; b < len; arg++) {
		const char *nul = memchr(args + b, '\0', len - b);
		size_t e = nul ? (size_t)(nul - args) : len;

		if (!apply_pending(&sc, &pd, b, e)) {
			if (arg)
				program_and_names(&sc, b, e, &next);
			else
				memset(&next, 0, sizeof(next));
			redact_scan_bytes(&sc, b, e);
			pd = next;
		} else {
			pd.on = false;
		}
		b = e + 1;
	}
	if (!sc.marked) {	/* the usual case: nothing to hide */
		o = len < size ? len : size;
		memcpy(out, args, o);
		*out_cut = o < len;
		goto done;
	}
	for (i = 0; i < len;) {
		if (!sc.mask[i]) {
			if (o == size)
				goto full;
			out[o++] = args[i++];
			continue;
		}
		r->counts[sc.mask[i] - 1]++;
		if (size - o < REDACT_MARK_LEN) {
			memcpy(out + o, REDACT_MARK, size - o);
			o = size;
			goto full;
		}
		memcpy(out + o, REDACT_MARK, REDACT_MARK_LEN);
		o += REDACT_MARK_LEN;
		while (i < len && sc.mask[i])
			i++;
	}
done:
	if (m && !*out_cut && o <= MEMO_OUT_MAX) {
		m->hash = hash;
		m->used = r->calls;
		m->out_len = (uint32_t)o;
		memcpy(m->out, out, o);
		for (int k = 0; k < REDACT__MAX; k++)
			m->counts[k] = (uint16_t)(r->counts[k] - before[k]);
	}
	return o;
full:
	*out_cut = true;
	return o;
}

void redact_counts(const struct redact *r, uint64_t counts[REDACT__MAX])
{
	memcpy(counts, r->counts, sizeof(r->counts));
}

uint64_t redact_total(const struct redact *r)
{
	uint64_t t = 0;

	for (int k = 0; k < REDACT__MAX; k++)
		t += r->counts[k];
	return t;
}
