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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact_int.h"

#define NAME_SCAN_MAX	256	/* the last bytes of a key that are examined */
#define PEM_LABEL_MAX	64	/* "RSA PRIVATE KEY" between the dashes */
#define JWT_HEADER_MIN	10	/* eyJ + 7: shorter is a word, not a header */
#define B64_WORD_MIN	32	/* a bare name's next argument: an AWS secret is 40 */

/* High-water marks of the recognisers in scan_bytes() */
enum { HW_SEP, HW_JWT, HW_AUTH, HW_PEM, HW__MAX };

/* What the previous argument said about this one. */
struct pending {
	bool on;
	enum redact_kind kind;
	char user_sep;		/* only what follows the first user_sep */
	bool b64_only;		/* only a long base64 or hex word after the bare */
	size_t bare, bare_len;	/* word at argv[bare], when that word names a secret */
	bool not_flags;		/* not an argument that looks like --another-flag */
};

struct scan {
	struct redact *r;
	const char *s;		/* the whole argv */
	uint8_t *mask;
	bool marked;		/* anything at all: else the copy is one memcpy */
	size_t cut_end;		/* len when the input was cut, else SIZE_MAX */
};

/* Authorization schemes kept in front of a redacted value. */
static const char *const auth_schemes[] = {
	"bearer", "basic", "token", "digest", "negotiate", "ntlm", "bot", "oauth",
};

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

/* ---- names --------------------------------------------------------------- */

/* a[0..n) equals the lower-case word w (length n), ignoring a's case */
static bool ci_eq(const char *a, const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != (unsigned char)w[i])
			return false;
	return true;
}

/*
 * The word c[0..n) (any case, trailing digits already dropped) against w
 * (lower case): w itself or w + "s"; with suffix, also ending with w (or
 * w + "s") when w has 5 letters or more (pgpassword, authtoken; not bypass
 * or monkey).
 */
static bool word_matches(const char *c, size_t n, const char *w, size_t wl, bool suffix)
{
	for (size_t plural = 0; plural < 2; plural++) {
		size_t m = n - plural;

		if (plural && (n < 2 || lower((unsigned char)c[n - 1]) != 's'))
			break;
		if (m == wl && ci_eq(c, w, wl))
			return true;
		if (suffix && wl >= 5 && m > wl && ci_eq(c + m - wl, w, wl))
			return true;
	}
	return false;
}

/*
 * word_matches() against every word of a set, looking only at the words
 * that end as c does (with or without its plural s): a name costs a few
 * byte compares per word whatever the set's size.
 */
static bool word_set_has(const struct word_set *ws, const char *c, size_t n, bool suffix)
{
	for (size_t plural = 0; plural < 2; plural++) {
		const struct index_list *ix;
		int cls, cls2;

		if (plural && (n < 2 || lower((unsigned char)c[n - 1]) != 's'))
			break;
		cls = name_class((unsigned char)c[n - 1 - plural]);
		if (cls < 0)
			continue;
		/* most words of most flags end in no word's last two letters */
		cls2 = n >= 2 + plural ? name_class((unsigned char)c[n - 2 - plural]) : -1;
		if (!ws->has_one_letter && (cls2 < 0 || !ws->tail2[cls2][cls]))
			continue;
		ix = &ws->by_last[cls];
		for (size_t k = 0; k < ix->n; k++) {
			const struct name_word *w = &ws->w[ix->v[k]];

			if (word_matches(c, n, w->w, w->len, suffix))
				return true;
		}
	}
	return false;
}

/* Bytes of a name, by what they do to its words. */
enum { NC_BAD = 0, NC_SEP, NC_LOWER, NC_UPPER, NC_DIGIT };
static const uint8_t name_class_of[256] = {
	['-'] = NC_SEP, ['_'] = NC_SEP, ['.'] = NC_SEP,
	['a' ... 'z'] = NC_LOWER, ['A' ... 'Z'] = NC_UPPER, ['0' ... '9'] = NC_DIGIT,
};

/*
 * Whether s[0..n), a flag or key name with its leading dashes, names a
 * secret (the rules are in redact.h). Reads at most NAME_SCAN_MAX bytes.
 * One pass: words end at - _ . and before an upper-case letter that
 * follows a lower-case one or a digit; each is looked up as it ends.
 */
static bool name_is_secret(const struct redact *r, const char *s, size_t n)
{
	char joined[NAME_SCAN_MAX];
	size_t jl = 0, ws = 0, nwords = 0, last = 0, last_len = 0;
	bool hit = false, negated = false;
	uint8_t prev = NC_SEP;

	while (n && *s == '-') {
		s++;
		n--;
	}
	if (n < r->names.min_len || !r->names.n)
		return false;	/* "x" in x:y, "a" in a=1: cheaper than looking */
	if (n > NAME_SCAN_MAX) {	/* the words that say what it is come last */
		s += n - NAME_SCAN_MAX;
		n = NAME_SCAN_MAX;
	}
	for (size_t i = 0; i <= n; i++) {
		uint8_t c = i < n ? name_class_of[(unsigned char)s[i]] : NC_SEP;

		if (c == NC_BAD)
			return false;
		if (c == NC_SEP || (c == NC_UPPER && (prev == NC_LOWER || prev == NC_DIGIT))) {
			if (i > ws) {	/* a word ends */
				size_t m = i - ws;

				while (m > 1 && is_digit((unsigned char)s[ws + m - 1]))
					m--;	/* password2, key1 */
				hit = hit || word_set_has(&r->names, s + ws, m, true);
				if (!nwords)
					negated = m == 2 && ci_eq(s + ws, "no", 2);
				last = ws;
				last_len = m;
				nwords++;
			}
			ws = c == NC_SEP ? i + 1 : i;
		}
		if (c != NC_SEP)
			joined[jl++] = (char)lower((unsigned char)s[i]);
		prev = c;
	}
	/* the words joined: api-key is apikey, session-id is sessionid */
	if (nwords > 1 && jl <= NAME_WORD_MAX && word_set_has(&r->names, joined, jl, false))
		return true;
	if (!hit || nwords == 1)
		return hit;
	return !negated && !word_set_has(&r->refs, s + last, last_len, false);
}

/* ---- marking ------------------------------------------------------------- */

static void mark(struct scan *sc, size_t from, size_t to, enum redact_kind kind)
{
	for (size_t i = from; i < to; i++)
		if (!sc->mask[i])
			sc->mask[i] = (uint8_t)(kind + 1);
	sc->marked = sc->marked || from < to;
}

/* Mark what follows the first user_sep in [b, e), or all of it when user_sep is 0. */
static void mark_value(struct scan *sc, size_t b, size_t e, char user_sep, enum redact_kind kind)
{
	if (user_sep) {
		const char *p = memchr(sc->s + b, user_sep, e - b);

		if (!p)
			return;	/* curl -u user: curl asks for the password */
		b = (size_t)(p - sc->s) + 1;
	}
	mark(sc, b, e, kind);
}

/* An authorization scheme word and its blanks at s[b..e): their length, else 0. */
static size_t scheme_len(const char *s, size_t b, size_t e)
{
	size_t w = b, p;

	while (w < e && is_alnum((unsigned char)s[w]))
		w++;
	if (w == b || w >= e || (s[w] != ' ' && s[w] != '\t'))
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(auth_schemes); i++) {
		if (strlen(auth_schemes[i]) != w - b || !ci_eq(s + b, auth_schemes[i], w - b))
			continue;
		for (p = w; p < e && (s[p] == ' ' || s[p] == '\t'); p++)
			;
		return p < e ? p - b : 0;
	}
	return 0;
}

/* ---- the recognisers ----------------------------------------------------- */

/*
 * scheme://user:password@host: marks the password. i is the ':' of "://".
 * Returns where key/value pairs may start again: after the '@' (the host
 * part is looked at like any text, host:port excepted, see on_sep()), or
 * without one at the end of the authority.
 */
__attribute__((noinline)) static size_t on_url(struct scan *sc, size_t i, size_t e)
{
	const char *s = sc->s;
	size_t a = i + 3, ae = a, at = 0;

	for (; ae < e; ae++) {
		unsigned char c = (unsigned char)s[ae];

		if (c == '/' || c == '?' || c == '#' || is_space(c) || c == '"' || c == '\'' ||
		    c == '<' || c == '>')
			break;
		if (c == '@')
			at = ae;	/* the last '@': a password may hold one unescaped */
	}
	if (at) {
		const char *colon = memchr(s + a, ':', at - a);

		if (colon && (size_t)(colon - s) + 1 < at)
			mark(sc, (size_t)(colon - s) + 1, at, REDACT_URL_PASSWORD);
	}
	if (at)
		return at + 1;
	/* "a://hhttps://u:p@h": the ':' of the next "://" is the next URL's */
	if (ae + 1 < e && s[ae] == '/' && s[ae + 1] == '/' && s[ae - 1] == ':')
		return ae - 1;
	return ae;
}

/*
 * The end of a value that starts mid-argument (a query string, conninfo,
 * helm --set list): blanks, &, ;, an unescaped comma, } or ].
 */
static size_t inner_value_end(const char *s, size_t v, size_t e)
{
	for (; v < e; v++) {
		unsigned char c = (unsigned char)s[v];

		if (c == '\\' && v + 1 < e) {
			v++;	/* helm: "a\,b" is one value */
			continue;
		}
		if (is_space(c) || c == '&' || c == ';' || c == ',' || c == '}' || c == ']')
			break;
	}
	return v;
}

/*
 * KEY=VALUE or KEY: VALUE at the '=' or ':' s[i], in the argument [b, e):
 * marks the value when KEY names a secret. KEY may be quoted ("password":
 * in JSON) and followed by blanks. The value runs to the end of the
 * argument when KEY starts it (PASSWORD=a,b; --token=x) or after ':'
 * (headers), to its closing quote when quoted, else to inner_value_end().
 * Returns how far it read.
 */
__attribute__((noinline)) static size_t on_sep(struct scan *sc, size_t b, size_t e, size_t i)
{
	const char *s = sc->s;
	size_t k = i, ke, ks, v, ve;
	char quote = 0;
	bool whole;

	if (s[i] == ':' && i + 2 < e && s[i + 1] == '/' && s[i + 2] == '/')
		return on_url(sc, i, e);
	while (k > b && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	if (k > b && (s[k - 1] == '"' || s[k - 1] == '\'')) {
		quote = s[k - 1];
		k--;
	}
	ke = k;
	while (k > b && is_keychar((unsigned char)s[k - 1]))
		k--;
	ks = k;
	if (quote && (ks == b || s[ks - 1] != quote))
		return i + 1;
	if (s[i] == ':' && ks > b && s[ks - 1] == '@')
		return i + 1;	/* user:pw@auth:443 is a host and a port */
	if (ks == ke || !name_is_secret(sc->r, s + ks, ke - ks))
		return i + 1;
	whole = s[i] == ':' || (quote ? ks - 1 : ks) == b;
	for (v = i + 1; v < e && (s[v] == ' ' || s[v] == '\t'); v++)
		;
	if (v < e && (s[v] == '"' || s[v] == '\'')) {
		const char *close = memchr(s + v + 1, s[v], e - v - 1);

		ve = close ? (size_t)(close - s) : e;
		mark(sc, v + 1, ve, REDACT_NAME);
		return ve;
	}
	v += scheme_len(s, v, e);	/* Authorization: Bearer <redacted> */
	ve = whole ? e : inner_value_end(s, v, e);
	mark(sc, v, ve, REDACT_NAME);
	return ve > i + 1 ? ve : i + 1;
}

/*
 * A JWT (JWS header.payload.signature, or JWE's five parts) at 'e' s[i]:
 * a base64url header of JWT_HEADER_MIN or more starting "eyJ" (base64 of
 * '{"'), then two or more dot-separated segments; one is enough when it
 * runs into the end of a cut argv. Returns how far it read.
 */
__attribute__((noinline)) static size_t on_jwt(struct scan *sc, size_t b, size_t e, size_t i)
{
	const char *s = sc->s;
	size_t p = i, dots = 0, seg;

	if (i > b && (is_b64url((unsigned char)s[i - 1]) || s[i - 1] == '.'))
		return i + 1;
	if (e - i < 3 || s[i + 1] != 'y' || s[i + 2] != 'J')
		return i + 1;
	while (p < e && is_b64url((unsigned char)s[p]))
		p++;
	if (p - i < JWT_HEADER_MIN)
		return p;
	while (p < e && s[p] == '.' && dots < 4) {
		seg = ++p;
		while (p < e && is_b64url((unsigned char)s[p]))
			p++;
		dots++;
		if (p == seg) {
			if (dots > 2)
				p--;	/* a full stop after the signature */
			break;
		}
	}
	if (dots >= 2 || (dots == 1 && p == sc->cut_end))
		mark(sc, i, p, REDACT_JWT);
	return p;
}

/* RFC 7617 credentials: base64 of "user:password" (or a long base64 key). */
static bool basic_credentials(const char *s, size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t data = n;
	bool colon = false;

	while (data && s[data - 1] == '=')
		data--;
	if (n - data > 2 || !data)
		return false;
	for (size_t i = 0; i < data; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t v = is_upper(c) ? c - 'A' : is_lower(c) ? c - 'a' + 26 :
			     is_digit(c) ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : 64;

		if (v == 64)
			return false;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			colon = colon || ((acc >> bits) & 0xff) == ':';
			acc &= (1u << bits) - 1;
		}
	}
	return colon || data >= 16;
}

/* "Bearer X" or "Basic X" at 'b'/'B' s[i]: marks X. Returns how far it read. */
__attribute__((noinline)) static size_t on_auth(struct scan *sc, size_t b, size_t e, size_t i)
{
	const char *s = sc->s;
	size_t w, cs, ce;
	bool bearer;

	if (i > b && is_alnum((unsigned char)s[i - 1]))
		return i + 1;
	if (e - i > 6 && ci_eq(s + i, "bearer", 6))
		w = i + 6, bearer = true;
	else if (e - i > 5 && ci_eq(s + i, "basic", 5))
		w = i + 5, bearer = false;
	else
		return i + 1;
	if (s[w] != ' ' && s[w] != '\t')
		return i + 1;
	for (cs = w; cs < e && (s[cs] == ' ' || s[cs] == '\t'); cs++)
		;
	for (ce = cs; ce < e && is_token68((unsigned char)s[ce]); ce++)
		;
	while (ce < e && s[ce] == '=')
		ce++;
	if (ce > cs && (bearer || basic_credentials(s + cs, ce - cs)))
		mark(sc, cs, ce, REDACT_AUTH_SCHEME);
	return ce;
}

/*
 * "-----BEGIN <label>-----" at '-' s[i], label ending in PRIVATE KEY (or
 * PRIVATE KEY BLOCK): marks everything up to "-----END " (or the end of the
 * argument: a cut key). Returns how far it read.
 */
__attribute__((noinline)) static size_t on_pem(struct scan *sc, size_t e, size_t i)
{
	const char *s = sc->s, *end;
	size_t l = i + 11, le;

	if (e - i < 16 || s[i + 4] != '-' || memcmp(s + i, "-----BEGIN ", 11))
		return i + 1;	/* every flag starts with '-': reject on one byte first */
	/* a label is upper-case words ("RSA PRIVATE KEY"), RFC 7468 */
	for (le = l; le < e && le - l < PEM_LABEL_MAX &&
		     (is_upper((unsigned char)s[le]) || is_digit((unsigned char)s[le]) || s[le] == ' ');
	     le++)
		;
	if (e - le < 5 || memcmp(s + le, "-----", 5))
		return le;
	if (!memmem(s + l, le - l, "PRIVATE KEY", 11))
		return le + 5;	/* a certificate or public key is no secret */
	le += 5;
	end = memmem(s + le, e - le, "-----END ", 9);
	mark(sc, le, end ? (size_t)(end - s) : e, REDACT_PRIVATE_KEY);
	return end ? (size_t)(end - s) : e;
}

/*
 * A configured token prefix at s[i] (the longest that matches), then
 * REDACT_PREFIX_BODY_MIN or more of [A-Za-z0-9_-] (fewer when they reach
 * the end of a cut argv): marks the body, the prefix stays readable.
 * Reads at most the prefix and the body.
 */
__attribute__((noinline)) static void on_prefix(struct scan *sc, size_t b, size_t e, size_t i)
{
	const struct redact *r = sc->r;
	const struct index_list *ix;
	const char *s = sc->s;
	size_t best = 0, p;

	if (i > b && is_alnum((unsigned char)s[i - 1]))
		return;
	ix = &r->by_first[(unsigned char)s[i]];
	for (size_t k = 0; k < ix->n; k++) {
		const struct prefix *px = &r->prefixes[ix->v[k]];

		if (px->len > best && px->len <= e - i && px->p[1] == s[i + 1] &&
		    !memcmp(s + i, px->p, px->len))
			best = px->len;
	}
	if (!best)
		return;
	for (p = i + best; p < e && is_b64url((unsigned char)s[p]); p++)
		;
	if (p - (i + best) >= REDACT_PREFIX_BODY_MIN || (p == sc->cut_end && p > i + best))
		mark(sc, i + best, p, REDACT_TOKEN_PREFIX);
}

/* Step 3: one pass over the argument [b, e). */
static void scan_bytes(struct scan *sc, size_t b, size_t e)
{
	const uint8_t *trig = sc->r->trig, *mask = sc->mask;
	const unsigned char *s = (const unsigned char *)sc->s;
	size_t hw[HW__MAX] = { b, b, b, b };

	for (size_t i = b; i < e; i++) {
		uint8_t t;

		/* the hot part, most bytes: skip what starts nothing */
		while (i < e && !trig[s[i]])
			i++;
		if (i == e)
			break;
		t = trig[s[i]];
		if (mask[i])
			continue;
		/* JWTs, Bearer/Basic and token prefixes start a word: most letters do not */
		if (i > b && is_alnum(s[i - 1]))
			t &= (uint8_t)~(T_JWT | T_AUTH | T_PREFIX);
		if ((t & T_SEP) && i >= hw[HW_SEP])
			hw[HW_SEP] = on_sep(sc, b, e, i);
		if ((t & T_JWT) && i >= hw[HW_JWT])
			hw[HW_JWT] = on_jwt(sc, b, e, i);
		if ((t & T_AUTH) && i >= hw[HW_AUTH])
			hw[HW_AUTH] = on_auth(sc, b, e, i);
		if ((t & T_PEM) && i >= hw[HW_PEM])
			hw[HW_PEM] = on_pem(sc, e, i);
		if ((t & T_PREFIX) && !mask[i] && i + 1 < e &&
		    (sc->r->prefix_pairs[s[i]][s[i + 1] >> 3] & (1u << (s[i + 1] & 7))))
			on_prefix(sc, b, e, i);
	}
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
			     !name_is_secret(sc->r, s + pd->bare, pd->bare_len)))
		return false;
	mark_value(sc, b, e, pd->user_sep, pd->kind);
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
			mark_value(sc, b + pf->glued_len, e, pf->user_sep, REDACT_PROGRAM_FLAG);
			return;
		}
	}
	/* --token VALUE, -password VALUE; a bare aws_secret_access_key <40 chars> */
	if (!n || !is_keychar((unsigned char)s[b]))
		return;		/* (a name with '=' or ':' in it is not a name: its check fails) */
	if (s[b] != '-')
		*next = (struct pending){ .on = true, .kind = REDACT_NAME, .b64_only = true,
					  .bare = b, .bare_len = n };
	else if (name_is_secret(r, s + b, n))
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

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) do {						\
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);		\
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;					\
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;					\
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);		\
} while (0)

struct sip {
	uint64_t v0, v1, v2, v3, tail;
	size_t len;
};

/* SipHash-1-3 (Aumasson and Bernstein; one compression, three finalisation rounds) */
static void sip_init(struct sip *h, const uint64_t key[2])
{
	h->v0 = key[0] ^ 0x736f6d6570736575ULL;
	h->v1 = key[1] ^ 0x646f72616e646f6dULL;
	h->v2 = key[0] ^ 0x6c7967656e657261ULL;
	h->v3 = key[1] ^ 0x7465646279746573ULL;
	h->tail = 0;
	h->len = 0;
}

static void sip_word(struct sip *h, uint64_t m)
{
	h->v3 ^= m;
	SIPROUND(h->v0, h->v1, h->v2, h->v3);
	h->v0 ^= m;
}

static void sip_update(struct sip *h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n && h->len % 8) {	/* finish a partial word */
		h->tail |= (uint64_t)*p++ << (8 * (h->len++ % 8));
		n--;
		if (h->len % 8 == 0) {
			sip_word(h, h->tail);
			h->tail = 0;
		}
	}
	for (; n >= 8; n -= 8, p += 8, h->len += 8) {
		uint64_t m;

		memcpy(&m, p, 8);	/* little endian hosts: the reference's byte order */
		sip_word(h, m);
	}
	for (; n; n--)
		h->tail |= (uint64_t)*p++ << (8 * (h->len++ % 8));
}

static uint64_t sip_final(struct sip *h)
{
	sip_word(h, h->tail | (uint64_t)(h->len & 0xff) << 56);
	h->v2 ^= 0xff;
	for (int i = 0; i < 3; i++)
		SIPROUND(h->v0, h->v1, h->v2, h->v3);
	return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

/* The memo key of one call: what decides its result. Never 0 (empty slot). */
static uint64_t memo_hash(const struct redact *r, const char *comm, const char *args,
			  size_t len, bool cut)
{
	struct sip h;
	uint64_t v;
	char c = cut;

	sip_init(&h, r->memo_key);
	if (comm)
		sip_update(&h, comm, strlen(comm) + 1);
	sip_update(&h, &c, 1);
	sip_update(&h, args, len);
	v = sip_final(&h);
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
			scan_bytes(&sc, b, e);
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
