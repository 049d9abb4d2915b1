// SPDX-License-Identifier: Apache-2.0
/*
 * rules_yaml.c - reading rule files: whole files and rules.d directories
 * (libyaml), YAML nodes with their FILE:LINE:COL positions (condition text
 * keeps a map back into the file), and the diagnostics every loading
 * error and warning goes to.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "cond.h"
#include "log.h"
#include "rules_int.h"
#include "template.h"

/* ---- diagnostics ----------------------------------------------------- */

void rules_diag_push(struct loader *L, const struct cond_error *e)
{
	struct rules_diag *d = L->diag;

	for (int i = 0; i < d->count; i++) {	/* a macro's error, once */
		const struct cond_error *o = &d->items[i];

		if (o->line == e->line && o->col == e->col && !strcmp(o->file, e->file) &&
		    !strcmp(o->msg, e->msg))
			return;
	}
	if (d->count < RULES_DIAG_MAX)
		d->items[d->count++] = *e;
}

static void diag_vformat(struct cond_error *e, const struct cond_srcseg *at, const char *fmt,
			 va_list ap)
{
	snprintf(e->file, sizeof(e->file), "%s", at->file ? at->file : "");
	e->line = at->line;
	e->col = at->col;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void __attribute__((format(printf, 3, 4)))
rules_diag_at(struct loader *L, const struct cond_srcseg *at, const char *fmt, ...)
{
	struct cond_error e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	diag_vformat(&e, at, fmt, ap);
	va_end(ap);
	rules_diag_push(L, &e);
}

void __attribute__((format(printf, 3, 4)))
rules_warn_at(struct loader *L, const struct cond_srcseg *at, const char *fmt, ...)
{
	struct rules_diag *d = L->diag;
	struct cond_error e = { 0 };
	va_list ap;

	va_start(ap, fmt);
	diag_vformat(&e, at, fmt, ap);
	va_end(ap);
	log_warn("rules: %s:%d:%d: %s", e.file, e.line, e.col, e.msg);
	if (d->nwarnings < RULES_DIAG_MAX)
		d->warnings[d->nwarnings++] = e;
}

void rules_diag_print(const struct rules_diag *diag, FILE *f)
{
	for (int i = 0; i < diag->count; i++) {
		const struct cond_error *e = &diag->items[i];

		if (e->line > 0)
			fprintf(f, "%s:%d:%d: %s\n", e->file, e->line, e->col, e->msg);
		else
			fprintf(f, "%s: %s\n", e->file, e->msg);
	}
	if (diag->count == RULES_DIAG_MAX)
		fprintf(f, "(stopped after %d errors)\n", RULES_DIAG_MAX);
}

/* ---- small helpers --------------------------------------------------- */

char *rules_dup_or_oom(struct loader *L, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		L->oom = true;
	return d;
}

bool rules_grow(struct loader *L, void *pp, int n, size_t size)
{
	void **p = pp;
	void *q = realloc(*p, size * (size_t)(n + 1));

	if (!q) {
		L->oom = true;
		return false;
	}
	*p = q;
	return true;
}

void rules_text_free(struct text *t)
{
	free(t->s);
	free(t->segs);
	memset(t, 0, sizeof(*t));
}

/* Append sep + s (with its segments shifted) to t. */
bool rules_text_append(struct loader *L, struct text *t, const char *sep, const char *s,
			const struct cond_srcseg *segs, int nsegs)
{
	size_t sl = strlen(sep), n = strlen(s);
	char *b = realloc(t->s, t->len + sl + n + 1);
	struct cond_srcseg *g;

	if (!b) {
		L->oom = true;
		return false;
	}
	t->s = b;
	memcpy(b + t->len, sep, sl);
	memcpy(b + t->len + sl, s, n + 1);
	if (nsegs > 0) {
		g = realloc(t->segs, sizeof(*g) * (size_t)(t->nsegs + nsegs));
		if (!g) {
			L->oom = true;
			return false;
		}
		t->segs = g;
		for (int i = 0; i < nsegs; i++) {
			g[t->nsegs + i] = segs[i];
			g[t->nsegs + i].off += t->len + sl;
		}
		t->nsegs += nsegs;
	}
	t->len += sl + n;
	return true;
}

/* ---- YAML access ----------------------------------------------------- */

yaml_node_t *rules_ynode(struct yfile *f, int idx)
{
	return yaml_document_get_node(&f->doc, idx);
}

const char *rules_yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

struct cond_srcseg rules_ypos(const struct yfile *f, const yaml_node_t *n)
{
	struct cond_srcseg s = { 0, f->name, (int)n->start_mark.line + 1,
				 (int)n->start_mark.column + 1 };
	return s;
}

yaml_node_t *rules_yget(struct yfile *f, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k = rules_yscalar(rules_ynode(f, p->key));

		if (k && !strcmp(k, key))
			return rules_ynode(f, p->value);
	}
	return NULL;
}

static size_t line_len(const struct yfile *f, int line)
{
	size_t end = line + 1 < f->nlines ? f->lines[line + 1] : f->len;

	while (end > f->lines[line] && (f->buf[end - 1] == '\n' || f->buf[end - 1] == '\r'))
		end--;
	return end - f->lines[line];
}

/*
 * Segments mapping offsets of a scalar's value to file positions. Exact for
 * one-line scalars and for block scalars (| and >) without escapes; close
 * enough for multi-line plain and quoted ones.
 */
static bool yscalar_segs(struct loader *L, const struct yfile *f, const yaml_node_t *n,
			 struct text *t)
{
	int first = (int)n->start_mark.line, last = (int)n->end_mark.line;
	yaml_scalar_style_t style = n->data.scalar.style;
	bool block = style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE;
	bool quoted = style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		      style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	size_t off = 0, indent = 0;
	bool have_indent = false;
	int cap = last - first + 2;

	t->segs = calloc((size_t)cap, sizeof(*t->segs));
	if (!t->segs) {
		L->oom = true;
		return false;
	}
	if (!block && first == last) {
		t->segs[0] = (struct cond_srcseg){ 0, f->name, first + 1,
			(int)n->start_mark.column + 1 + quoted };
		t->nsegs = 1;
		return true;
	}
	for (int line = block ? first + 1 : first; line <= last && line < f->nlines; line++) {
		const char *s = f->buf + f->lines[line];
		size_t len = line_len(f, line), start = 0;

		if (line == first) {
			start = n->start_mark.column + quoted;
		} else if (block) {
			size_t sp = 0;

			while (sp < len && s[sp] == ' ')
				sp++;
			if (sp == len) {	/* blank line */
				off += style == YAML_LITERAL_SCALAR_STYLE;
				continue;
			}
			if (!have_indent) {
				indent = sp;
				have_indent = true;
			}
			start = indent < len ? indent : len;
		} else {
			while (start < len && (s[start] == ' ' || s[start] == '\t'))
				start++;
			if (start == len)
				continue;
		}
		if (line == last && !block && n->end_mark.column < len)
			len = n->end_mark.column;
		t->segs[t->nsegs++] = (struct cond_srcseg){ off, f->name, line + 1, (int)start + 1 };
		if (t->nsegs == cap)
			break;
		off += len - start + 1;
	}
	return true;
}

/* A scalar's value as a text with segments. */
bool rules_ytext(struct loader *L, const struct yfile *f, const yaml_node_t *n, struct text *t)
{
	memset(t, 0, sizeof(*t));
	t->s = rules_dup_or_oom(L, rules_yscalar(n));
	if (!t->s)
		return false;
	t->len = strlen(t->s);
	return yscalar_segs(L, f, n, t);
}

int rules_ybool(struct loader *L, struct yfile *f, yaml_node_t *n, const char *what)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s = rules_yscalar(n);
	struct cond_srcseg at = rules_ypos(f, n);

	for (size_t i = 0; s && i < 3; i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	rules_diag_at(L, &at, "%s: expected true or false", what);
	return -1;
}

/* Check every key of an item: not a string or twice is an error, unknown a warning. */
bool rules_ykeys_ok(struct loader *L, struct yfile *f, yaml_node_t *map,
		     const char *kind, const char *const *allowed, const char *const *ignored)
{
	bool ok = true;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = rules_ynode(f, p->key);
		const char *k = rules_yscalar(kn);
		struct cond_srcseg at = rules_ypos(f, kn);
		bool known = false;

		if (!k) {
			rules_diag_at(L, &at, "%s: keys must be strings", kind);
			ok = false;
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *k2 = rules_yscalar(rules_ynode(f, q->key));

			if (k2 && !strcmp(k, k2)) {
				rules_diag_at(L, &at, "%s: duplicate key '%s'", kind, k);
				ok = false;
			}
		}
		for (int i = 0; allowed[i] && !known; i++)
			known = !strcmp(allowed[i], k);
		for (int i = 0; ignored && ignored[i] && !known; i++) {
			if (!strcmp(ignored[i], k)) {
				log_debug("rules: %s:%d: %s: ignoring key '%s'", f->name, at.line, kind, k);
				known = true;
			}
		}
		/* as Falco 0.44: a warning, the item loads without it */
		if (!known)
			rules_warn_at(L, &at, "%s: unknown key '%s', ignored", kind, k);
	}
	return ok;
}

/* A required string value. */
const char *rules_ystr(struct loader *L, struct yfile *f, yaml_node_t *n,
			const char *kind, const char *key)
{
	const char *s = rules_yscalar(n);

	if (!s) {
		struct cond_srcseg at = rules_ypos(f, n);

		rules_diag_at(L, &at, "%s: '%s' must be a string", kind, key);
	}
	return s;
}

/* ---- files ------------------------------------------------------------ */

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *b = NULL;
	int err = 0;

	if (!fp)
		return -errno;
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(b, cap = cap ? cap * 2 : 16384);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0) {
			if (ferror(fp))
				err = -EIO;
			break;
		}
	}
	fclose(fp);
	if (err) {
		free(b);
		return err;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static void load_file(struct loader *L, const char *path)
{
	struct yfile f = { .name = path };
	struct cond_srcseg whole = { 0, path, 0, 0 };
	yaml_parser_t parser;
	int err;

	err = read_all(path, &f.buf, &f.len);
	if (err) {
		rules_diag_at(L, &whole, "cannot read rules file: %s", strerror(-err));
		return;
	}
	f.lines = malloc(sizeof(size_t) * (f.len + 2));
	if (!f.lines) {
		L->oom = true;
		free(f.buf);
		return;
	}
	f.lines[f.nlines++] = 0;
	for (size_t i = 0; i < f.len; i++)
		if (f.buf[i] == '\n')
			f.lines[f.nlines++] = i + 1;
	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)f.buf, f.len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &f.doc)) {
			struct cond_srcseg at = { 0, path, (int)parser.problem_mark.line + 1,
						  (int)parser.problem_mark.column + 1 };

			rules_diag_at(L, &at, "YAML syntax: %s%s%s", parser.problem ? parser.problem : "error",
				parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		root = yaml_document_get_root_node(&f.doc);
		if (!root) {		/* end of stream */
			yaml_document_delete(&f.doc);
			break;
		}
		if (root->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = root->data.sequence.items.start;
			     it < root->data.sequence.items.top; it++)
				rules_do_item(L, &f, rules_ynode(&f, *it));
		} else if (!(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
			struct cond_srcseg at = rules_ypos(&f, root);

			rules_diag_at(L, &at, "a rules file is a sequence of items (- rule:, - macro:, - list:)");
		}
		yaml_document_delete(&f.doc);
	}
	yaml_parser_delete(&parser);
out:
	free(f.lines);
	free(f.buf);
}

/* Load one file; its name lives in r->files, which positions point into. */
void rules_add_file(struct loader *L, const char *path)
{
	struct rules *r = L->r;
	char *name;

	if (!rules_grow(L, &r->files, r->nfiles, sizeof(char *)))
		return;
	name = rules_dup_or_oom(L, path);
	if (!name)
		return;
	r->files[r->nfiles++] = name;
	load_file(L, name);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

/*
 * A rules directory, as Falco reads one: its regular files (symlinks
 * followed, as in a ConfigMap mount) named *.yaml or *.yml, in byte order
 * of their names, not recursing.
 */
void rules_load_dir(struct loader *L, const char *dir)
{
	struct cond_srcseg whole = { 0, dir, 0, 0 };
	char **names = NULL, path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		rules_diag_at(L, &whole, "cannot read rules directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!is_yaml_name(de->d_name) || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!rules_grow(L, &names, n, sizeof(char *)))
			break;
		names[n] = rules_dup_or_oom(L, path);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	if (!n && !L->oom)
		rules_diag_at(L, &whole, "rules directory has no *.yaml or *.yml file");
	if (n)
		qsort(names, (size_t)n, sizeof(char *), cmp_names);
	for (int i = 0; i < n; i++) {
		if (!L->oom)
			rules_add_file(L, names[i]);
		free(names[i]);
	}
	free(names);
}
