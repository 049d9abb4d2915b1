// SPDX-License-Identifier: Apache-2.0
/*
 * redact_scan.c - the recognisers redact_argv() (redact.c) runs over one
 * argument's bytes: secret names in flags and keys, key/value pairs and
 * URL credentials, JWTs, Authorization schemes, PEM private keys and token
 * prefixes; each marks what it found in the mask and returns how far it
 * read, so a scan reads every byte at most once (redact.c says why that
 * makes it linear).
 */
#include <string.h>

#include "redact_int.h"

/* Authorization schemes kept in front of a redacted value. */
static const char *const auth_schemes[] = {
	"bearer", "basic", "token", "digest", "negotiate", "ntlm", "bot", "oauth",
};

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
bool redact_name_is_secret(const struct redact *r, const char *s, size_t n)
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
void redact_mark_value(struct scan *sc, size_t b, size_t e, char user_sep, enum redact_kind kind)
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

		/*
		 * A redacted password (":<redacted>@") is part of the authority
		 * it was in: stop at it and a second pass would find another '@'
		 * (or none) and read what the first pass took for user:password
		 * as text. Any other <redacted> ends the authority as '<' does.
		 */
		if (c == '<' && ae > a && s[ae - 1] == ':' && e - ae > REDACT_MARK_LEN &&
		    s[ae + REDACT_MARK_LEN] == '@' && !memcmp(s + ae, REDACT_MARK, REDACT_MARK_LEN)) {
			ae += REDACT_MARK_LEN - 1;
			continue;
		}
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
	if (ks == ke || !redact_name_is_secret(sc->r, s + ks, ke - ks))
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
void redact_scan_bytes(struct scan *sc, size_t b, size_t e)
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
