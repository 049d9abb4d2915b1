// SPDX-License-Identifier: Apache-2.0
/* html.c - escaping attacker-chosen strings for HTML text, attributes and SVG text. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "html.h"
#include "sha256.h"

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF) and its code point, or 0 when the
 * bytes are not one.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		*cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		*cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

/* Code points that change how the text around them reads without showing. */
static int is_deceptive(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||		/* C1 controls */
	       cp == 0x061c ||				/* Arabic letter mark */
	       (cp >= 0x200b && cp <= 0x200f) ||	/* zero-width, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) ||	/* separators, embeddings, overrides */
	       (cp >= 0x2060 && cp <= 0x2069) ||	/* word joiner .. isolates */
	       cp == 0xfeff;				/* BOM, zero-width no-break space */
}

/*
 * One character of s at p (n bytes left) to f; returns the bytes it used.
 * keep_lines: newlines and tabs go out as they are (inside <pre>).
 */
static size_t put_char(FILE *f, const unsigned char *p, size_t n, bool keep_lines)
{
	uint32_t cp;
	size_t len = utf8_decode(p, n, &cp);

	if (!len) {
		fprintf(f, "\\x%02x", p[0]);
		return 1;
	}
	if (keep_lines && (cp == '\n' || cp == '\t')) {
		fputc((int)cp, f);
		return 1;
	}
	switch (cp) {
	case '&': fputs("&amp;", f); return 1;
	case '<': fputs("&lt;", f); return 1;
	case '>': fputs("&gt;", f); return 1;
	case '"': fputs("&quot;", f); return 1;
	case '\'': fputs("&#39;", f); return 1;
	case '\n': fputs("\\n", f); return 1;
	case '\t': fputs("\\t", f); return 1;
	case '\r': fputs("\\r", f); return 1;
	default: break;
	}
	if (cp < 0x20 || cp == 0x7f)
		fprintf(f, "\\x%02x", (unsigned)cp);
	else if (is_deceptive(cp))
		fprintf(f, "\\u%04x", (unsigned)cp);
	else
		fwrite(p, 1, len, f);
	return len;
}

/* Bytes of the character at p: what put_char() consumes. */
static size_t char_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode(p, n, &cp);

	return len ? len : 1;
}

static void put_text(FILE *f, const char *s, size_t n, size_t max_chars, bool keep_lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, shown = 0;

	while (i < n) {
		if (max_chars && shown == max_chars) {
			fputs("\xe2\x80\xa6", f);	/* … */
			return;
		}
		i += put_char(f, p + i, n - i, keep_lines);
		shown++;
	}
}

void html_textn(FILE *f, const char *s, size_t n, size_t max_chars)
{
	put_text(f, s, n, max_chars, false);
}

void html_pre(FILE *f, const char *s, size_t max_chars)
{
	put_text(f, s ? s : "", s ? strlen(s) : 0, max_chars, true);
}

void html_text(FILE *f, const char *s, size_t max_chars)
{
	html_textn(f, s ? s : "", s ? strlen(s) : 0, max_chars);
}

size_t html_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, chars = 0;

	while (i < n) {
		i += char_len(p + i, n - i);
		chars++;
	}
	return chars;
}

void html_text_tail(FILE *f, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), chars = html_chars((const char *)p), i = 0;

	if (!max_chars || chars <= max_chars) {
		html_textn(f, (const char *)p, n, 0);
		return;
	}
	/* skip whole characters so that max_chars - 1 remain after the "…" */
	for (size_t skip = chars - (max_chars - 1); skip; skip--)
		i += char_len(p + i, n - i);
	fputs("\xe2\x80\xa6", f);
	html_textn(f, (const char *)p + i, n - i, 0);
}

const char *html_id(const char *prefix, const void *name, size_t len, char buf[HTML_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[SHA256_LEN];
	size_t o = 0;

	sha256(name, len, h);
	for (; o < HTML_ID_LEN - 17 && prefix[o]; o++)
		buf[o] = prefix[o];
	for (int i = 0; i < 8; i++) {
		buf[o++] = hex[h[i] >> 4];
		buf[o++] = hex[h[i] & 15];
	}
	buf[o] = '\0';
	return buf;
}

void html_num(FILE *f, uint64_t n)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			fputc(',', f);
		fputc(digits[i], f);
	}
}
