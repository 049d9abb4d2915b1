// SPDX-License-Identifier: Apache-2.0
/* glob.c - fnmatch(3)-compatible matching that cannot be made to backtrack. */
#include <ctype.h>
#include <string.h>

#include "glob.h"

static int fold(int c, bool icase)
{
	return icase ? tolower(c) : c;
}

/* A bracket class name at p ("alpha:]"): whether c belongs to it; *end past "]". */
static bool bracket_class(const char *p, int c, bool *known, const char **end)
{
	static const struct { const char *name; int (*is)(int); } classes[] = {
		{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank },
		{ "cntrl", iscntrl }, { "digit", isdigit }, { "graph", isgraph },
		{ "lower", islower }, { "print", isprint }, { "punct", ispunct },
		{ "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
	};
	const char *close = strstr(p, ":]");

	*known = false;
	if (!close)
		return false;
	*end = close + 2;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strlen(classes[i].name) == (size_t)(close - p) &&
		    !strncmp(p, classes[i].name, (size_t)(close - p))) {
			*known = true;
			return classes[i].is(c) != 0;
		}
	}
	return false;
}

/*
 * One bracket expression at p ('[' already consumed): whether c matches,
 * and *end just past its ']'. Returns -1 when there is no closing ']' (the
 * '[' is then an ordinary character, as in fnmatch(3)).
 */
static int bracket(const char *p, int c, bool icase, const char **end)
{
	bool neg = false, hit = false;
	const char *q = p;

	if (*q == '!' || *q == '^') {
		neg = true;
		q++;
	}
	for (bool first = true; *q && (first || *q != ']'); first = false) {
		int lo, hi;

		if (q[0] == '[' && q[1] == ':') {
			bool known;
			const char *after;

			/* as glibc: a class tests the byte itself, even with FNM_CASEFOLD */
			if (bracket_class(q + 2, c, &known, &after))
				hit = true;
			if (known) {
				q = after;
				continue;
			}
		}
		if (*q == '\\' && q[1])
			q++;
		lo = (unsigned char)*q++;
		hi = lo;
		if (q[0] == '-' && q[1] && q[1] != ']') {
			q++;
			if (*q == '\\' && q[1])
				q++;
			hi = (unsigned char)*q++;
		}
		if (fold(c, icase) >= fold(lo, icase) && fold(c, icase) <= fold(hi, icase))
			hit = true;
	}
	if (*q != ']')
		return -1;
	*end = q + 1;
	return hit != neg;
}

bool glob_match(const char *pat, const char *s, bool icase, size_t *steps)
{
	const char *star_p = NULL, *star_s = NULL, *p = pat;
	size_t n = 0;
	bool matched;

	for (;; n++) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (!*p) {
				matched = true;
				break;
			}
			star_p = p;
			star_s = s;
			continue;
		}
		if (*s) {
			const char *next = p + 1;
			int m;

			switch (*p) {
			case '\0':
				m = 0;
				break;
			case '?':
				m = 1;
				break;
			case '[':
				m = bracket(p + 1, (unsigned char)*s, icase, &next);
				if (m < 0) {	/* a lone '[' */
					m = *s == '[';
					next = p + 1;
				}
				break;
			case '\\':
				if (!p[1]) {	/* a trailing '\\' matches nothing, as in glibc */
					m = 0;
					star_p = NULL;
					break;
				}
				next = ++p + 1;
				m = fold((unsigned char)*p, icase) == fold((unsigned char)*s, icase);
				break;
			default:
				m = fold((unsigned char)*p, icase) == fold((unsigned char)*s, icase);
				break;
			}
			if (m) {
				p = next;
				s++;
				continue;
			}
		} else if (!*p) {
			matched = true;
			break;
		}
		if (!star_p || !*star_s) {
			matched = false;
			break;
		}
		p = star_p;		/* let the last '*' take one more byte */
		s = ++star_s;
	}
	if (steps)
		*steps = n;
	return matched;
}
