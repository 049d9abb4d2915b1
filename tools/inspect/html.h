/* SPDX-License-Identifier: Apache-2.0 */
/*
 * html.h - writing attacker-chosen strings into HTML and inline SVG.
 *
 * Every string a report shows comes from events: file names, argv, process
 * names, pod names from the API, rule outputs, finding lines. They go
 * through html_text() and nowhere else, and only into two contexts: element
 * text (HTML or SVG <text>/<title>) and double-quoted attribute values. Both
 * are safe with one escaping: & < > " ' become character references, so no
 * byte of a name can end a text run, an attribute or start a tag.
 * Ids, hrefs, class names, styles and CSS never hold a name: ids are
 * html_id() hashes of it.
 *
 * What is escaped on top, so that a name cannot lie about itself on screen:
 * C0 and C1 control characters, DEL, bytes that are not well-formed UTF-8,
 * and the invisible or reordering code points (bidirectional overrides and
 * isolates, zero-width characters, line and paragraph separators, BOM) are
 * shown as visible escapes (\n, \x1b, \xff, \u202e). The output is always
 * valid UTF-8.
 */
#ifndef CW_HTML_H
#define CW_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HTML_ID_LEN	32	/* a prefix of up to 14 characters, 16 hex digits, NUL */

/*
 * html_text - write s escaped for HTML text or a double-quoted attribute.
 * At most max_chars characters of s are shown (0: all), then "…".
 */
void html_text(FILE *f, const char *s, size_t max_chars);

/* html_textn - the same for n bytes that need not be NUL-terminated. */
void html_textn(FILE *f, const char *s, size_t n, size_t max_chars);

/* html_pre - html_text for the inside of <pre>: newlines and tabs are kept. */
void html_pre(FILE *f, const char *s, size_t max_chars);

/*
 * html_text_tail - like html_text, but a cut keeps the end of s ("…" +
 * the last max_chars - 1 characters): for paths, whose end names the file.
 */
void html_text_tail(FILE *f, const char *s, size_t max_chars);

/*
 * html_id - an element id for a name: prefix (letters, digits, '-', at most
 * 14 characters, chosen by the caller) and the first 8 bytes of the name's
 * SHA-256 in hex. Stable across reports, so a link to a rule's events keeps
 * working. Returns buf.
 */
const char *html_id(const char *prefix, const void *name, size_t len, char buf[HTML_ID_LEN]);

/* html_num - n with thousands separators ("1,234,567"). */
void html_num(FILE *f, uint64_t n);

/* html_chars - the number of characters html_text() counts in s. */
size_t html_chars(const char *s);

#endif /* CW_HTML_H */
