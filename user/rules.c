// SPDX-License-Identifier: Apache-2.0
/* rules.c - load Falco YAML rule files (libyaml), compile and evaluate rules. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "cond.h"
#include "log.h"
#include "rules.h"
#include "template.h"

/* A string with a map from its offsets back into rule files. */
struct text {
	char *s;
	size_t len;
	struct cond_srcseg *segs;
	int nsegs;
};

struct m_list {
	char *name;
	char **items;
	struct cond_srcseg *pos;
	int n;
};

struct m_macro {
	char *name;
	struct text cond;
	struct cond_srcseg where;
};

struct exc_val {
	char **items;		/* one item unless is_list */
	struct cond_srcseg *pos;
	int n;
	bool is_list;
};

struct exc_tuple {
	struct exc_val *v;
	int n;
	struct cond_srcseg where;
};

struct exc {
	char *name;
	bool single;		/* fields: NAME (not a list) */
	char **fields, **comps;
	struct cond_srcseg *fpos, *cpos;
	int nfields;
	struct exc_tuple *tuples;
	int ntuples;
	struct cond_srcseg where;
};

/* What became of an enabled rule at load. */
enum rule_status {
	RULE_ACTIVE,		/* evaluated on every event */
	RULE_INAPPLICABLE,	/* no credwatch event can match it (or another source) */
	RULE_UNSUPPORTED,	/* depends on fields credwatch does not collect */
	RULE_SKIPPED,		/* skip-if-unknown-filter and a field credwatch does not know */
};

struct cw_rule {
	char *name, *desc, *output, *source;
	struct text cond;
	int prio;
	char **tags;
	int ntags;
	bool enabled, skip_unknown;
	struct exc *excs;
	int nexcs;
	struct cond_srcseg where;	/* the `- rule:` line */
	struct cond_srcseg out_where;
	struct cond *c;
	struct tmpl *out;
	enum rule_status status;
	char why[320];			/* not RULE_ACTIVE: the reason, for -v */
};

struct rules {
	char **files;
	int nfiles;
	struct m_list *lists;
	int nlists;
	struct m_macro *macros;
	int nmacros;
	struct cw_rule **all;		/* every definition, file order */
	int nall;
	struct cw_rule **active;	/* enabled and compiled */
	int nactive;
	int nenabled, ninapplicable, nunsupported, nskipped;
	uint32_t wants;			/* enum cw_want of the active rules */
	struct cond_env *env;
	bool match_all;
};

/* One file being read. */
struct yfile {
	const char *name;
	char *buf;
	size_t len;
	size_t *lines;		/* offset of each line start */
	int nlines;
	yaml_document_t doc;
};

struct loader {
	struct rules *r;
	struct rules_diag *diag;
	bool oom;
};

static const char *const prio_names[] = {
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice",
	"Informational", "Debug",
};

const char *priority_name(int prio)
{
	if (prio < 0 || prio > CW_PRIO_DEBUG)
		return "Unknown";
	return prio_names[prio];
}

int priority_parse(const char *name)
{
	for (int i = 0; i <= CW_PRIO_DEBUG; i++)
		if (!strcasecmp(name, prio_names[i]))
			return i;
	if (!strcasecmp(name, "info"))
		return CW_PRIO_INFORMATIONAL;
	return -EINVAL;
}

/* ---- diagnostics ----------------------------------------------------- */

static void diag_push(struct loader *L, const struct cond_error *e)
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

static void __attribute__((format(printf, 3, 4)))
diag_at(struct loader *L, const struct cond_srcseg *at, const char *fmt, ...)
{
	struct cond_error e = { 0 };
	va_list ap;

	snprintf(e.file, sizeof(e.file), "%s", at->file ? at->file : "");
	e.line = at->line;
	e.col = at->col;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	diag_push(L, &e);
}

static void __attribute__((format(printf, 3, 4)))
warn_at(struct loader *L, const struct cond_srcseg *at, const char *fmt, ...)
{
	struct rules_diag *d = L->diag;
	struct cond_error e = { 0 };
	va_list ap;

	snprintf(e.file, sizeof(e.file), "%s", at->file ? at->file : "");
	e.line = at->line;
	e.col = at->col;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
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

static char *dup_or_oom(struct loader *L, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		L->oom = true;
	return d;
}

static bool grow(struct loader *L, void *pp, int n, size_t size)
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

static void text_free(struct text *t)
{
	free(t->s);
	free(t->segs);
	memset(t, 0, sizeof(*t));
}

/* Append sep + s (with its segments shifted) to t. */
static bool text_append(struct loader *L, struct text *t, const char *sep, const char *s,
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

static yaml_node_t *ynode(struct yfile *f, int idx)
{
	return yaml_document_get_node(&f->doc, idx);
}

static const char *yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static struct cond_srcseg ypos(const struct yfile *f, const yaml_node_t *n)
{
	struct cond_srcseg s = { 0, f->name, (int)n->start_mark.line + 1,
				 (int)n->start_mark.column + 1 };
	return s;
}

static yaml_node_t *yget(struct yfile *f, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k = yscalar(ynode(f, p->key));

		if (k && !strcmp(k, key))
			return ynode(f, p->value);
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
static bool ytext(struct loader *L, const struct yfile *f, const yaml_node_t *n, struct text *t)
{
	memset(t, 0, sizeof(*t));
	t->s = dup_or_oom(L, yscalar(n));
	if (!t->s)
		return false;
	t->len = strlen(t->s);
	return yscalar_segs(L, f, n, t);
}

static int ybool(struct loader *L, struct yfile *f, yaml_node_t *n, const char *what)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s = yscalar(n);
	struct cond_srcseg at = ypos(f, n);

	for (size_t i = 0; s && i < 3; i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	diag_at(L, &at, "%s: expected true or false", what);
	return -1;
}

/* Check every key of an item: not a string or twice is an error, unknown a warning. */
static bool ykeys_ok(struct loader *L, struct yfile *f, yaml_node_t *map,
		     const char *kind, const char *const *allowed, const char *const *ignored)
{
	bool ok = true;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ynode(f, p->key);
		const char *k = yscalar(kn);
		struct cond_srcseg at = ypos(f, kn);
		bool known = false;

		if (!k) {
			diag_at(L, &at, "%s: keys must be strings", kind);
			ok = false;
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *k2 = yscalar(ynode(f, q->key));

			if (k2 && !strcmp(k, k2)) {
				diag_at(L, &at, "%s: duplicate key '%s'", kind, k);
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
			warn_at(L, &at, "%s: unknown key '%s', ignored", kind, k);
	}
	return ok;
}

/* A required string value. */
static const char *ystr(struct loader *L, struct yfile *f, yaml_node_t *n,
			const char *kind, const char *key)
{
	const char *s = yscalar(n);

	if (!s) {
		struct cond_srcseg at = ypos(f, n);

		diag_at(L, &at, "%s: '%s' must be a string", kind, key);
	}
	return s;
}

/* ---- override / append ----------------------------------------------- */

enum ov { OV_NONE, OV_APPEND, OV_REPLACE };

/* What override: says for key (OV_NONE when not listed). */
static enum ov override_of(struct yfile *f, yaml_node_t *ov, const char *key)
{
	const char *v;

	if (!ov || ov->type != YAML_MAPPING_NODE)
		return OV_NONE;
	v = yscalar(yget(f, ov, key));
	if (!v)
		return OV_NONE;
	return !strcmp(v, "append") ? OV_APPEND : !strcmp(v, "replace") ? OV_REPLACE : OV_NONE;
}

/* Check override: is a mapping of known keys to append|replace. */
static bool override_ok(struct loader *L, struct yfile *f, yaml_node_t *ov,
			const char *kind, const char *const *can_append,
			const char *const *can_replace)
{
	bool ok = true;

	if (ov->type != YAML_MAPPING_NODE) {
		struct cond_srcseg at = ypos(f, ov);

		diag_at(L, &at, "%s: override must be a mapping of key: append|replace", kind);
		return false;
	}
	for (yaml_node_pair_t *p = ov->data.mapping.pairs.start; p < ov->data.mapping.pairs.top; p++) {
		const char *k = yscalar(ynode(f, p->key));
		const char *v = yscalar(ynode(f, p->value));
		struct cond_srcseg at = ypos(f, ynode(f, p->value));
		const char *const *set = v && !strcmp(v, "append") ? can_append :
					 v && !strcmp(v, "replace") ? can_replace : NULL;
		bool found = false;

		for (int i = 0; set && k && set[i] && !found; i++)
			found = !strcmp(set[i], k);
		if (!set) {
			diag_at(L, &at, "%s: override of '%s' must be append or replace", kind, k ? k : "?");
			ok = false;
		} else if (!found) {
			diag_at(L, &at, "%s: '%s' cannot be overridden with %s", kind, k ? k : "?", v);
			ok = false;
		}
	}
	return ok;
}

static bool is_ident(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* ---- lists ------------------------------------------------------------ */

static struct m_list *find_list(struct rules *r, const char *name)
{
	for (int i = 0; i < r->nlists; i++)
		if (!strcmp(r->lists[i].name, name))
			return &r->lists[i];
	return NULL;
}

static void do_list(struct loader *L, struct yfile *f, yaml_node_t *item)
{
	static const char *const keys[] = { "list", "items", "append", "override", NULL };
	static const char *const ign[] = { "source", NULL };
	static const char *const ap[] = { "items", NULL };
	struct rules *r = L->r;
	yaml_node_t *items = yget(f, item, "items"), *ov = yget(f, item, "override");
	yaml_node_t *apn = yget(f, item, "append");
	const char *name = ystr(L, f, yget(f, item, "list"), "list", "list");
	struct cond_srcseg at = ypos(f, item);
	struct m_list *l;
	int append = 0;

	if (!ykeys_ok(L, f, item, "list", keys, ign) || !name)
		return;
	if (apn && (append = ybool(L, f, apn, "list: append")) < 0)
		return;
	if (ov && !override_ok(L, f, ov, "list", ap, ap))
		return;
	if (ov && append) {
		diag_at(L, &at, "list '%s': append and override cannot be used together", name);
		return;
	}
	if (!items || items->type != YAML_SEQUENCE_NODE) {
		diag_at(L, &at, "list '%s': 'items' must be a sequence", name);
		return;
	}
	append |= override_of(f, ov, "items") == OV_APPEND;
	l = find_list(r, name);
	if ((append || ov) && !l) {
		diag_at(L, &at, "list '%s': %s but no list '%s' is defined before", name,
			append ? "append" : "override", name);
		return;
	}
	if (!l) {
		if (!grow(L, &r->lists, r->nlists, sizeof(*r->lists)))
			return;
		l = &r->lists[r->nlists++];
		memset(l, 0, sizeof(*l));
		l->name = dup_or_oom(L, name);
	} else if (!append) {
		for (int i = 0; i < l->n; i++)
			free(l->items[i]);
		l->n = 0;
	}
	for (yaml_node_item_t *it = items->data.sequence.items.start;
	     it < items->data.sequence.items.top; it++) {
		yaml_node_t *n = ynode(f, *it);
		const char *s = yscalar(n);
		struct cond_srcseg p = ypos(f, n);

		if (!s) {
			diag_at(L, &p, "list '%s': items must be strings", name);
			continue;
		}
		if (!grow(L, &l->items, l->n, sizeof(char *)) ||
		    !grow(L, &l->pos, l->n, sizeof(*l->pos)))
			return;
		p.col += n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			 n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		l->items[l->n] = dup_or_oom(L, s);
		l->pos[l->n++] = p;
	}
}

/* ---- macros ----------------------------------------------------------- */

static struct m_macro *find_macro(struct rules *r, const char *name)
{
	for (int i = 0; i < r->nmacros; i++)
		if (!strcmp(r->macros[i].name, name))
			return &r->macros[i];
	return NULL;
}

static void do_macro(struct loader *L, struct yfile *f, yaml_node_t *item)
{
	static const char *const keys[] = { "macro", "condition", "append", "override", NULL };
	static const char *const ign[] = { "source", NULL };
	static const char *const ap[] = { "condition", NULL };
	struct rules *r = L->r;
	yaml_node_t *cn = yget(f, item, "condition"), *ov = yget(f, item, "override");
	yaml_node_t *apn = yget(f, item, "append");
	const char *name = ystr(L, f, yget(f, item, "macro"), "macro", "macro");
	struct cond_srcseg at = ypos(f, item);
	struct m_macro *m;
	struct text t;
	int append = 0;

	if (!ykeys_ok(L, f, item, "macro", keys, ign) || !name)
		return;
	if (!is_ident(name)) {
		diag_at(L, &at, "macro '%s': a macro name is letters, digits and '_'", name);
		return;
	}
	if (apn && (append = ybool(L, f, apn, "macro: append")) < 0)
		return;
	if (ov && !override_ok(L, f, ov, "macro", ap, ap))
		return;
	if (ov && append) {
		diag_at(L, &at, "macro '%s': append and override cannot be used together", name);
		return;
	}
	if (!cn || !yscalar(cn)) {
		diag_at(L, &at, "macro '%s': 'condition' must be a string", name);
		return;
	}
	append |= override_of(f, ov, "condition") == OV_APPEND;
	m = find_macro(r, name);
	if ((append || ov) && !m) {
		diag_at(L, &at, "macro '%s': %s but no macro '%s' is defined before", name,
			append ? "append" : "override", name);
		return;
	}
	if (!ytext(L, f, cn, &t))
		return;
	if (!m) {
		if (!grow(L, &r->macros, r->nmacros, sizeof(*r->macros))) {
			text_free(&t);
			return;
		}
		m = &r->macros[r->nmacros++];
		memset(m, 0, sizeof(*m));
		m->name = dup_or_oom(L, name);
		m->where = at;
	}
	if (append) {
		text_append(L, &m->cond, " ", t.s, t.segs, t.nsegs);
		text_free(&t);
	} else {
		text_free(&m->cond);
		m->cond = t;
	}
}

/* ---- exceptions ------------------------------------------------------- */

static void exc_free(struct exc *e)
{
	for (int i = 0; i < e->nfields; i++) {
		free(e->fields[i]);
		free(e->comps[i]);
	}
	for (int t = 0; t < e->ntuples; t++) {
		for (int v = 0; v < e->tuples[t].n; v++) {
			struct exc_val *ev = &e->tuples[t].v[v];

			for (int i = 0; i < ev->n; i++)
				free(ev->items[i]);
			free(ev->items);
			free(ev->pos);
		}
		free(e->tuples[t].v);
	}
	free(e->fields);
	free(e->comps);
	free(e->fpos);
	free(e->cpos);
	free(e->tuples);
	free(e->name);
}

static bool exc_val_parse(struct loader *L, struct yfile *f, yaml_node_t *n, struct exc_val *v)
{
	memset(v, 0, sizeof(*v));
	if (n->type == YAML_SCALAR_NODE) {
		v->items = calloc(1, sizeof(char *));
		v->pos = calloc(1, sizeof(*v->pos));
		if (!v->items || !v->pos) {
			L->oom = true;
			return false;
		}
		v->items[0] = dup_or_oom(L, yscalar(n));
		v->pos[0] = ypos(f, n);
		v->n = 1;
		return true;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		struct cond_srcseg at = ypos(f, n);

		diag_at(L, &at, "exception values must be strings or lists of strings");
		return false;
	}
	v->is_list = true;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *in = ynode(f, *it);
		struct cond_srcseg at = ypos(f, in);

		if (!yscalar(in)) {
			diag_at(L, &at, "exception value lists hold strings only");
			return false;
		}
		if (!grow(L, &v->items, v->n, sizeof(char *)) || !grow(L, &v->pos, v->n, sizeof(*v->pos)))
			return false;
		v->items[v->n] = dup_or_oom(L, yscalar(in));
		v->pos[v->n++] = at;
	}
	return true;
}

/* Add the tuples of `values` to e. */
static void exc_add_values(struct loader *L, struct yfile *f, struct exc *e, yaml_node_t *vals,
			   const char *rule)
{
	struct cond_srcseg at = ypos(f, vals);

	if (vals->type != YAML_SEQUENCE_NODE) {
		diag_at(L, &at, "rule '%s': exception '%s': 'values' must be a sequence", rule, e->name);
		return;
	}
	for (yaml_node_item_t *it = vals->data.sequence.items.start; it < vals->data.sequence.items.top; it++) {
		yaml_node_t *tn = ynode(f, *it);
		struct exc_tuple *t;

		if (!grow(L, &e->tuples, e->ntuples, sizeof(*e->tuples)))
			return;
		t = &e->tuples[e->ntuples];
		memset(t, 0, sizeof(*t));
		t->where = ypos(f, tn);
		if (e->single) {	/* each value is a 1-tuple */
			t->v = calloc(1, sizeof(*t->v));
			if (!t->v) {
				L->oom = true;
				return;
			}
			t->n = 1;
			e->ntuples++;
			if (!exc_val_parse(L, f, tn, &t->v[0]))
				return;
			continue;
		}
		if (tn->type != YAML_SEQUENCE_NODE) {
			diag_at(L, &t->where, "rule '%s': exception '%s': each value must be a list of %d items",
				rule, e->name, e->nfields);
			continue;
		}
		{
			int n = (int)(tn->data.sequence.items.top - tn->data.sequence.items.start);

			if (n != e->nfields) {
				diag_at(L, &t->where, "rule '%s': exception '%s': value has %d items, fields has %d",
					rule, e->name, n, e->nfields);
				continue;
			}
			t->v = calloc((size_t)n, sizeof(*t->v));
			if (!t->v) {
				L->oom = true;
				return;
			}
			t->n = n;
			e->ntuples++;
			for (int i = 0; i < n; i++)
				if (!exc_val_parse(L, f, ynode(f, tn->data.sequence.items.start[i]), &t->v[i]))
					return;
		}
	}
}

/* Parse `exceptions:` into rule ru, adding to (append) or defining exceptions. */
static void do_exceptions(struct loader *L, struct yfile *f, struct cw_rule *ru, yaml_node_t *seq,
			  bool append)
{
	static const char *const keys[] = { "name", "fields", "comps", "values", NULL };
	struct cond_srcseg at = ypos(f, seq);

	if (seq->type == YAML_SCALAR_NODE && !seq->data.scalar.length)
		return;			/* "exceptions:" with nothing: none */
	if (seq->type != YAML_SEQUENCE_NODE) {
		diag_at(L, &at, "rule '%s': 'exceptions' must be a sequence", ru->name);
		return;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *en = ynode(f, *it), *fl, *cp, *vl;
		struct cond_srcseg ep = ypos(f, en);
		struct exc *e = NULL;
		const char *name;

		if (en->type != YAML_MAPPING_NODE) {
			diag_at(L, &ep, "rule '%s': each exception must be a mapping", ru->name);
			continue;
		}
		if (!ykeys_ok(L, f, en, "exception", keys, NULL))
			continue;
		name = yscalar(yget(f, en, "name"));
		fl = yget(f, en, "fields");
		cp = yget(f, en, "comps");
		vl = yget(f, en, "values");
		if (!name) {
			diag_at(L, &ep, "rule '%s': exception needs a 'name'", ru->name);
			continue;
		}
		for (int i = 0; i < ru->nexcs; i++)
			if (!strcmp(ru->excs[i].name, name))
				e = &ru->excs[i];
		if (e && !append) {	/* Falco warns and keeps both */
			warn_at(L, &ep, "rule '%s': exception '%s' is defined twice; both apply",
				ru->name, name);
			e = NULL;
		}
		if (e && (fl || cp)) {
			diag_at(L, &ep, "rule '%s': exception '%s': appending takes 'values' only",
				ru->name, name);
			continue;
		}
		if (!e) {
			if (!fl) {
				diag_at(L, &ep, "rule '%s': exception '%s' needs 'fields'", ru->name, name);
				continue;
			}
			if (!grow(L, &ru->excs, ru->nexcs, sizeof(*ru->excs)))
				return;
			e = &ru->excs[ru->nexcs++];
			memset(e, 0, sizeof(*e));
			e->name = dup_or_oom(L, name);
			e->where = ep;
			if (fl->type == YAML_SCALAR_NODE) {
				e->single = true;
				e->nfields = 1;
			} else if (fl->type == YAML_SEQUENCE_NODE) {
				e->nfields = (int)(fl->data.sequence.items.top - fl->data.sequence.items.start);
			}
			if (e->nfields == 0) {
				diag_at(L, &ep, "rule '%s': exception '%s': 'fields' must be a field or a list of fields",
					ru->name, name);
				ru->nexcs--;
				exc_free(e);
				continue;
			}
			e->fields = calloc((size_t)e->nfields, sizeof(char *));
			e->comps = calloc((size_t)e->nfields, sizeof(char *));
			e->fpos = calloc((size_t)e->nfields, sizeof(*e->fpos));
			e->cpos = calloc((size_t)e->nfields, sizeof(*e->cpos));
			if (!e->fields || !e->comps || !e->fpos || !e->cpos) {
				L->oom = true;
				return;
			}
			if (cp && e->single != (cp->type == YAML_SCALAR_NODE)) {
				struct cond_srcseg cpp = ypos(f, cp);

				diag_at(L, &cpp, "rule '%s': exception '%s': 'comps' must match 'fields' in shape",
					ru->name, name);
				cp = NULL;
			} else if (cp && !e->single &&
				   cp->data.sequence.items.top - cp->data.sequence.items.start != e->nfields) {
				struct cond_srcseg cpp = ypos(f, cp);

				diag_at(L, &cpp, "rule '%s': exception '%s': %d comps for %d fields", ru->name,
					name, (int)(cp->data.sequence.items.top - cp->data.sequence.items.start),
					e->nfields);
				cp = NULL;
			}
			for (int i = 0; i < e->nfields; i++) {
				yaml_node_t *fn = e->single ? fl : ynode(f, fl->data.sequence.items.start[i]);
				yaml_node_t *cn = !cp ? NULL : e->single ? cp :
						  ynode(f, cp->data.sequence.items.start[i]);

				e->fields[i] = dup_or_oom(L, yscalar(fn));
				e->fpos[i] = ypos(f, fn);
				e->comps[i] = dup_or_oom(L, cn ? yscalar(cn) : e->single ? "in" : "=");
				e->cpos[i] = cn ? ypos(f, cn) : ep;
			}
		}
		if (vl)
			exc_add_values(L, f, e, vl, ru->name);
	}
}

static bool is_list_op(const char *op)
{
	return !strcmp(op, "in") || !strcmp(op, "intersects") || !strcmp(op, "pmatch");
}

static void put_quoted(struct loader *L, struct text *t, const char *s, const struct cond_srcseg *at)
{
	size_t n = strlen(s), o = 0;
	char *q = malloc(n * 2 + 3);

	if (!q) {
		L->oom = true;
		return;
	}
	q[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			q[o++] = '\\';
		q[o++] = s[i];
	}
	q[o++] = '"';
	q[o] = '\0';
	text_append(L, t, "", q, at, 1);
	free(q);
}

/* One "field comp value" check of an exception. */
static void exc_check_text(struct loader *L, struct text *t, const struct exc *e, int i,
			   const struct exc_val *const *vals, int nvals)
{
	struct cond_srcseg fp = e->fpos[i], cp = e->cpos[i];

	fp.off = 0;
	text_append(L, t, "", e->fields[i], &fp, 1);
	text_append(L, t, " ", e->comps[i], &cp, 1);
	text_append(L, t, " ", "", NULL, 0);
	if (!is_list_op(e->comps[i])) {
		if (vals[0]->is_list) {
			diag_at(L, &vals[0]->pos[0], "exception '%s': comp '%s' takes one value, not a list",
				e->name, e->comps[i]);
			return;
		}
		put_quoted(L, t, vals[0]->items[0], &vals[0]->pos[0]);
		return;
	}
	text_append(L, t, "", "(", NULL, 0);
	for (int k = 0; k < nvals; k++) {
		for (int j = 0; j < vals[k]->n; j++) {
			const char *s = vals[k]->items[j];

			if (k || j)
				text_append(L, t, "", ", ", NULL, 0);
			if (!vals[k]->is_list && is_ident(s))	/* may name a list */
				text_append(L, t, "", s, &vals[k]->pos[j], 1);
			else
				put_quoted(L, t, s, &vals[k]->pos[j]);
		}
	}
	text_append(L, t, "", ")", NULL, 0);
}

/* The condition an exception set excludes, or an empty text when none. */
static void exc_text(struct loader *L, const struct cw_rule *ru, struct text *t)
{
	memset(t, 0, sizeof(*t));
	for (int x = 0; x < ru->nexcs; x++) {
		const struct exc *e = &ru->excs[x];

		if (e->ntuples == 0)
			continue;
		if (e->single && is_list_op(e->comps[0])) {
			const struct exc_val **vals = calloc((size_t)e->ntuples, sizeof(*vals));

			if (!vals) {
				L->oom = true;
				return;
			}
			for (int k = 0; k < e->ntuples; k++)
				vals[k] = &e->tuples[k].v[0];
			text_append(L, t, t->len ? " or " : "", "(", NULL, 0);
			exc_check_text(L, t, e, 0, vals, e->ntuples);
			text_append(L, t, "", ")", NULL, 0);
			free(vals);
			continue;
		}
		for (int k = 0; k < e->ntuples; k++) {
			const struct exc_tuple *tp = &e->tuples[k];

			text_append(L, t, t->len ? " or " : "", "(", NULL, 0);
			for (int i = 0; i < tp->n; i++) {
				const struct exc_val *v = &tp->v[i];

				if (i)
					text_append(L, t, "", " and ", NULL, 0);
				exc_check_text(L, t, e, i, &v, 1);
			}
			text_append(L, t, "", ")", NULL, 0);
		}
	}
}

/* ---- rules ------------------------------------------------------------ */

static void rule_free(struct cw_rule *ru)
{
	if (!ru)
		return;
	free(ru->name);
	free(ru->desc);
	free(ru->output);
	free(ru->source);
	text_free(&ru->cond);
	for (int i = 0; i < ru->ntags; i++)
		free(ru->tags[i]);
	free(ru->tags);
	for (int i = 0; i < ru->nexcs; i++)
		exc_free(&ru->excs[i]);
	free(ru->excs);
	cond_free(ru->c);
	tmpl_free(ru->out);
	free(ru);
}

static struct cw_rule *find_rule(struct rules *r, const char *name)
{
	for (int i = 0; i < r->nall; i++)
		if (!strcmp(r->all[i]->name, name))
			return r->all[i];
	return NULL;
}

static void set_tags(struct loader *L, struct yfile *f, struct cw_rule *ru, yaml_node_t *tn, bool append)
{
	struct cond_srcseg at = ypos(f, tn);

	if (tn->type != YAML_SEQUENCE_NODE) {
		diag_at(L, &at, "rule '%s': 'tags' must be a sequence", ru->name);
		return;
	}
	if (!append) {
		for (int i = 0; i < ru->ntags; i++)
			free(ru->tags[i]);
		ru->ntags = 0;
	}
	for (yaml_node_item_t *it = tn->data.sequence.items.start; it < tn->data.sequence.items.top; it++) {
		const char *s = yscalar(ynode(f, *it));
		bool dup = false;

		if (!s) {
			diag_at(L, &at, "rule '%s': tags must be strings", ru->name);
			continue;
		}
		for (int i = 0; i < ru->ntags && !dup; i++)
			dup = !strcmp(ru->tags[i], s);
		if (dup || !grow(L, &ru->tags, ru->ntags, sizeof(char *)))
			continue;
		ru->tags[ru->ntags++] = dup_or_oom(L, s);
	}
}

static void set_str(struct loader *L, char **dst, const char *s, bool append)
{
	char *n;

	if (append && *dst) {
		if (asprintf(&n, "%s %s", *dst, s) < 0) {
			L->oom = true;
			return;
		}
	} else {
		n = dup_or_oom(L, s);
		if (!n)
			return;
	}
	free(*dst);
	*dst = n;
}

/* Apply key `key` of item to ru: replace, or append when app. */
static void rule_apply(struct loader *L, struct yfile *f, struct cw_rule *ru, yaml_node_t *item,
		       const char *key, bool app)
{
	yaml_node_t *n = yget(f, item, key);
	struct cond_srcseg at;
	const char *s;

	if (!n)
		return;
	at = ypos(f, n);
	if (!strcmp(key, "tags")) {
		set_tags(L, f, ru, n, app);
		return;
	}
	if (!strcmp(key, "exceptions")) {
		do_exceptions(L, f, ru, n, app);
		return;
	}
	if (!strcmp(key, "enabled") || !strcmp(key, "skip-if-unknown-filter") ||
	    !strcmp(key, "warn_evttypes") || !strcmp(key, "capture")) {
		int b = ybool(L, f, n, key);

		if (b >= 0 && !strcmp(key, "enabled"))
			ru->enabled = b;
		else if (b >= 0 && !strcmp(key, "skip-if-unknown-filter"))
			ru->skip_unknown = b;
		else if (b > 0 && !strcmp(key, "capture"))	/* Falco's capture files */
			log_info("rules: %s:%d: rule '%s': capture is not supported (credwatch's "
				 "--dump records every event); ignored", at.file, at.line, ru->name);
		return;
	}
	if (!strcmp(key, "capture_duration"))
		return;
	s = ystr(L, f, n, "rule", key);
	if (!s)
		return;
	if (!strcmp(key, "condition")) {
		struct text t;

		if (!ytext(L, f, n, &t))
			return;
		if (app) {
			text_append(L, &ru->cond, " ", t.s, t.segs, t.nsegs);
			text_free(&t);
		} else {
			text_free(&ru->cond);
			ru->cond = t;
		}
	} else if (!strcmp(key, "priority")) {
		int p = priority_parse(s);

		if (p < 0)
			diag_at(L, &at, "rule '%s': bad priority '%s' (emergency, alert, critical, "
				"error, warning, notice, informational or debug)", ru->name, s);
		else
			ru->prio = p;
	} else if (!strcmp(key, "output")) {
		set_str(L, &ru->output, s, app);
		ru->out_where = at;
	} else if (!strcmp(key, "desc")) {
		set_str(L, &ru->desc, s, app);
	} else if (!strcmp(key, "source")) {
		set_str(L, &ru->source, s, false);
	}
}

static void do_rule(struct loader *L, struct yfile *f, yaml_node_t *item)
{
	/* the keys of Falco 0.44's rule_loader_reader.cpp */
	static const char *const keys[] = {
		"rule", "desc", "condition", "output", "priority", "tags", "enabled",
		"exceptions", "append", "override", "source", "skip-if-unknown-filter",
		"warn_evttypes", "capture", "capture_duration", NULL,
	};
	static const char *const can_append[] = {
		"condition", "output", "desc", "tags", "exceptions", NULL,
	};
	static const char *const can_replace[] = {
		"condition", "output", "desc", "priority", "tags", "exceptions", "enabled",
		"skip-if-unknown-filter", "warn_evttypes", "capture", "capture_duration", NULL,
	};
	static const char *const apply[] = {
		"desc", "condition", "output", "priority", "tags", "enabled", "exceptions",
		"source", "skip-if-unknown-filter", "warn_evttypes", "capture", NULL,
	};
	struct rules *r = L->r;
	yaml_node_t *ov = yget(f, item, "override"), *apn = yget(f, item, "append");
	const char *name = ystr(L, f, yget(f, item, "rule"), "rule", "rule");
	struct cond_srcseg at = ypos(f, item);
	struct cw_rule *ru;
	int append = 0;

	if (!ykeys_ok(L, f, item, "rule", keys, NULL) || !name)
		return;
	if (apn && (append = ybool(L, f, apn, "rule: append")) < 0)
		return;
	if (ov && !override_ok(L, f, ov, "rule", can_append, can_replace))
		return;
	if (ov && append) {
		diag_at(L, &at, "rule '%s': append and override cannot be used together", name);
		return;
	}
	ru = find_rule(r, name);
	if ((append || ov) && !ru) {
		diag_at(L, &at, "rule '%s': %s but no rule '%s' is defined before", name,
			append ? "append" : "override", name);
		return;
	}
	if (append) {
		if (yget(f, item, "priority")) {
			at = ypos(f, yget(f, item, "priority"));
			diag_at(L, &at, "rule '%s': priority cannot be appended", name);
			return;
		}
		for (int i = 0; apply[i]; i++)
			rule_apply(L, f, ru, item, apply[i], true);
		return;
	}
	if (ov) {
		/* every overridable key present must say append or replace */
		for (int i = 0; can_replace[i]; i++) {
			enum ov o = override_of(f, ov, can_replace[i]);

			if (o == OV_NONE && yget(f, item, can_replace[i])) {
				struct cond_srcseg kp = ypos(f, yget(f, item, can_replace[i]));

				diag_at(L, &kp, "rule '%s': '%s' is not listed in override", name,
					can_replace[i]);
				continue;
			}
			if (o != OV_NONE && !yget(f, item, can_replace[i])) {
				struct cond_srcseg kp = ypos(f, ov);

				diag_at(L, &kp, "rule '%s': override of '%s', which the item does not have",
					name, can_replace[i]);
				continue;
			}
			rule_apply(L, f, ru, item, can_replace[i], o == OV_APPEND);
		}
		return;
	}
	if (!yget(f, item, "condition") && !yget(f, item, "output") && !yget(f, item, "desc") &&
	    !yget(f, item, "priority") && yget(f, item, "enabled")) {	/* switch on/off */
		if (!ru)
			diag_at(L, &at, "rule '%s': 'enabled' but no rule '%s' is defined before",
				name, name);
		else
			rule_apply(L, f, ru, item, "enabled", false);
		return;
	}
	{
		static const char *const required[] = { "condition", "output", "desc", "priority", NULL };
		bool ok = true;

		for (int i = 0; required[i]; i++) {
			if (!yget(f, item, required[i])) {
				diag_at(L, &at, "rule '%s': missing required key '%s'", name, required[i]);
				ok = false;
			}
		}
		if (!ok)
			return;
	}
	{
		struct cw_rule *nr = calloc(1, sizeof(*nr));

		if (!nr) {
			L->oom = true;
			return;
		}
		nr->name = dup_or_oom(L, name);
		nr->enabled = true;
		nr->where = at;
		for (int i = 0; apply[i]; i++)
			rule_apply(L, f, nr, item, apply[i], false);
		if (ru) {		/* redefinition keeps the old place */
			for (int i = 0; i < r->nall; i++)
				if (r->all[i] == ru)
					r->all[i] = nr;
			rule_free(ru);
		} else if (grow(L, &r->all, r->nall, sizeof(*r->all))) {
			r->all[r->nall++] = nr;
		} else {
			rule_free(nr);
		}
	}
}

/* ---- files ------------------------------------------------------------ */

static void do_item(struct loader *L, struct yfile *f, yaml_node_t *item)
{
	struct cond_srcseg at = ypos(f, item);

	if (item->type != YAML_MAPPING_NODE) {
		diag_at(L, &at, "each item must be a mapping (- rule:, - macro: or - list:)");
		return;
	}
	if (yget(f, item, "rule"))
		do_rule(L, f, item);
	else if (yget(f, item, "macro"))
		do_macro(L, f, item);
	else if (yget(f, item, "list"))
		do_list(L, f, item);
	else if (yget(f, item, "required_engine_version") || yget(f, item, "required_plugin_versions"))
		/*
		 * credwatch is not a Falco engine and has no plugins: the fields the
		 * container plugin gives Falco are built in (container.*, k8s.*)
		 */
		log_debug("rules: %s:%d: ignoring %s", f->name, at.line,
			  yget(f, item, "required_engine_version") ?
			  "required_engine_version" : "required_plugin_versions");
	else		/* as Falco: a warning */
		warn_at(L, &at, "unknown item (not a rule, macro or list), ignored");
}

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
		diag_at(L, &whole, "cannot read rules file: %s", strerror(-err));
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

			diag_at(L, &at, "YAML syntax: %s%s%s", parser.problem ? parser.problem : "error",
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
				do_item(L, &f, ynode(&f, *it));
		} else if (!(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
			struct cond_srcseg at = ypos(&f, root);

			diag_at(L, &at, "a rules file is a sequence of items (- rule:, - macro:, - list:)");
		}
		yaml_document_delete(&f.doc);
	}
	yaml_parser_delete(&parser);
out:
	free(f.lines);
	free(f.buf);
}

/* Load one file; its name lives in r->files, which positions point into. */
static void add_file(struct loader *L, const char *path)
{
	struct rules *r = L->r;
	char *name;

	if (!grow(L, &r->files, r->nfiles, sizeof(char *)))
		return;
	name = dup_or_oom(L, path);
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
static void load_dir(struct loader *L, const char *dir)
{
	struct cond_srcseg whole = { 0, dir, 0, 0 };
	char **names = NULL, path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		diag_at(L, &whole, "cannot read rules directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!is_yaml_name(de->d_name) || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!grow(L, &names, n, sizeof(char *)))
			break;
		names[n] = dup_or_oom(L, path);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	if (!n && !L->oom)
		diag_at(L, &whole, "rules directory has no *.yaml or *.yml file");
	if (n)
		qsort(names, (size_t)n, sizeof(char *), cmp_names);
	for (int i = 0; i < n; i++) {
		if (!L->oom)
			add_file(L, names[i]);
		free(names[i]);
	}
	free(names);
}

/* ---- compile ---------------------------------------------------------- */

/* Record why an enabled rule is not evaluated. */
static void __attribute__((format(printf, 4, 5)))
rule_set_status(struct rules *r, struct cw_rule *ru, enum rule_status st, const char *fmt, ...)
{
	va_list ap;

	ru->status = st;
	va_start(ap, fmt);
	vsnprintf(ru->why, sizeof(ru->why), fmt, ap);
	va_end(ap);
	if (st == RULE_INAPPLICABLE)
		r->ninapplicable++;
	else if (st == RULE_UNSUPPORTED)
		r->nunsupported++;
	else if (st == RULE_SKIPPED)
		r->nskipped++;
	log_debug("rules: %s:%d: rule '%s': not evaluated: %s", ru->where.file, ru->where.line,
		  ru->name, ru->why);
}

static void compile_rule(struct loader *L, struct cw_rule *ru)
{
	struct rules *r = L->r;
	struct cond_src src = { ru->cond.segs, ru->cond.nsegs };
	struct cond_analysis an;
	struct cond_error e;
	struct cond *c;
	struct text xt;
	char unknown[160];

	r->nenabled++;
	/* k8s_audit, aws_cloudtrail, ...: plugin events credwatch never sees */
	if (ru->source && ru->source[0] && strcmp(ru->source, "syscall") &&
	    strcmp(ru->source, "credwatch")) {
		rule_set_status(r, ru, RULE_INAPPLICABLE, "source '%s' (credwatch's events are "
				"syscall opens)", ru->source);
		return;
	}
	c = cond_compile_src(ru->cond.s ? ru->cond.s : "", r->env, &src, &e);
	if (c && ru->nexcs) {
		exc_text(L, ru, &xt);
		if (xt.len) {
			struct cond_src xs = { xt.segs, xt.nsegs };
			struct cond *x = cond_compile_src(xt.s, r->env, &xs, &e);

			if (!x) {
				cond_free(c);
				c = NULL;
				snprintf(e.msg + strlen(e.msg), sizeof(e.msg) - strlen(e.msg),
					 " (in an exception of rule '%s')", ru->name);
			} else {
				c = cond_and_not(c, x);
				if (!c)
					L->oom = true;
			}
		}
		text_free(&xt);
	}
	if (!c) {
		if (ru->skip_unknown && strstr(e.msg, "unknown field")) {	/* as Falco: warn */
			struct cond_srcseg at = { 0, e.file, e.line, e.col };

			warn_at(L, &at, "rule '%s': %s; skipped (skip-if-unknown-filter)",
				ru->name, e.msg);
			rule_set_status(r, ru, RULE_SKIPPED, "%s (skip-if-unknown-filter)", e.msg);
			return;
		}
		diag_push(L, &e);
		return;
	}
	/*
	 * A rule no open can match (it needs execve, connect, a socket field...)
	 * loads, is counted and is not evaluated; one whose outcome depends on a
	 * field credwatch never has (proc.cwd) is not evaluated either: with the
	 * field unset it would match where Falco does not.
	 */
	cond_analyze(c, &an);
	if (an.truth == COND_NEVER || an.missing[0]) {
		if (an.truth == COND_NEVER)
			rule_set_status(r, ru, RULE_INAPPLICABLE, "%s", an.why);
		else
			rule_set_status(r, ru, RULE_UNSUPPORTED, "depends on %s, which credwatch "
					"does not collect", an.missing);
		cond_free(c);
		return;
	}
	ru->c = c;
	/* a folded YAML scalar (output: >) ends in a newline; Falco trims it */
	if (ru->output) {
		size_t n = strlen(ru->output);

		while (n && (ru->output[n - 1] == '\n' || ru->output[n - 1] == ' '))
			ru->output[--n] = '\0';
	}
	ru->out = tmpl_compile(ru->output ? ru->output : "", unknown, sizeof(unknown));
	if (!ru->out) {
		L->oom = true;
		return;
	}
	if (unknown[0])
		log_warn("rules: %s:%d: rule '%s': output field '%%%s' is not a credwatch field; "
			 "it prints <NA>", ru->out_where.file, ru->out_where.line, ru->name, unknown);
	r->wants |= an.wants | tmpl_wants(ru->out);
	if (grow(L, &r->active, r->nactive, sizeof(*r->active)))
		r->active[r->nactive++] = ru;
}

static void compile_all(struct loader *L)
{
	struct rules *r = L->r;
	struct cond_error e;

	r->env = cond_env_new();
	if (!r->env) {
		L->oom = true;
		return;
	}
	for (int i = 0; i < r->nlists; i++) {
		if (cond_env_set_list(r->env, r->lists[i].name, (const char *const *)r->lists[i].items,
				      r->lists[i].pos, r->lists[i].n))
			L->oom = true;
	}
	for (int i = 0; i < r->nmacros; i++) {
		struct cond_src src = { r->macros[i].cond.segs, r->macros[i].cond.nsegs };

		if (cond_env_set_macro(r->env, r->macros[i].name, r->macros[i].cond.s, &src))
			L->oom = true;
	}
	/* Compile each macro on its own so that unused ones are checked too. */
	for (int i = 0; i < r->nmacros; i++) {
		struct cond *c = cond_compile(r->macros[i].name, r->env, &e);

		if (!c)
			diag_push(L, &e);
		cond_free(c);
	}
	for (int i = 0; i < r->nall; i++)
		if (r->all[i]->enabled)
			compile_rule(L, r->all[i]);
}

struct rules *rules_load(const char *const *files, int nfiles, struct rules_diag *diag)
{
	struct loader L = { .diag = diag };
	struct rules *r;

	memset(diag, 0, sizeof(*diag));
	r = calloc(1, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	L.r = r;
	for (int i = 0; !L.oom && i < nfiles; i++) {
		struct stat st;

		if (!stat(files[i], &st) && S_ISDIR(st.st_mode))
			load_dir(&L, files[i]);
		else
			add_file(&L, files[i]);
	}
	if (!L.oom)		/* report compile errors of the rest too */
		compile_all(&L);
	if (L.oom || diag->count) {
		if (L.oom && diag->count < RULES_DIAG_MAX) {
			struct cond_error *e = &diag->items[diag->count++];

			memset(e, 0, sizeof(*e));
			snprintf(e->msg, sizeof(e->msg), "out of memory loading rules");
		}
		rules_free(r);
		errno = L.oom ? ENOMEM : EINVAL;
		return NULL;
	}
	log_debug("rules: %d rules loaded (%d defined) from %d files", r->nactive, r->nall,
		  r->nfiles);
	return r;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nall; i++)
		rule_free(r->all[i]);
	free(r->all);
	free(r->active);
	for (int i = 0; i < r->nlists; i++) {
		for (int j = 0; j < r->lists[i].n; j++)
			free(r->lists[i].items[j]);
		free(r->lists[i].items);
		free(r->lists[i].pos);
		free(r->lists[i].name);
	}
	free(r->lists);
	for (int i = 0; i < r->nmacros; i++) {
		free(r->macros[i].name);
		text_free(&r->macros[i].cond);
	}
	free(r->macros);
	cond_env_free(r->env);
	for (int i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r);
}

int rules_count(const struct rules *r)
{
	return r ? r->nactive : 0;
}

int rules_nfiles(const struct rules *r)
{
	return r ? r->nfiles : 0;
}

void rules_set_match_all(struct rules *r, bool all)
{
	r->match_all = all;
}

const struct cond_env *rules_env(const struct rules *r)
{
	return r ? r->env : NULL;
}

int rules_eval(const struct rules *r, const struct cw_record *rec, rules_match_fn fn, void *ctx)
{
	int matches = 0;

	for (int i = 0; r && i < r->nactive; i++) {
		if (!cond_eval(r->active[i]->c, rec))
			continue;
		matches++;
		if (fn)
			fn(ctx, r->active[i], rec);
		if (!r->match_all)
			break;
	}
	return matches;
}

const char *rule_name(const struct cw_rule *rule)
{
	return rule->name;
}

const char *rule_desc(const struct cw_rule *rule)
{
	return rule->desc ? rule->desc : "";
}

int rule_priority(const struct cw_rule *rule)
{
	return rule->prio;
}

int rule_ntags(const struct cw_rule *rule)
{
	return rule->ntags;
}

const char *rule_tag(const struct cw_rule *rule, int i)
{
	return i >= 0 && i < rule->ntags ? rule->tags[i] : NULL;
}

void rule_output(const struct cw_rule *rule, const struct cw_record *rec, struct jbuf *out)
{
	tmpl_render(rule->out, rec, out);
}

void rule_output_fields(const struct cw_rule *rule, const struct cw_record *rec, struct jbuf *jb)
{
	tmpl_fields_json(rule->out, rec, jb);
}

uint32_t rules_wants(const struct rules *r)
{
	return r ? r->wants : 0;
}

const char *rules_summary(const struct rules *r, char *buf, size_t size)
{
	char more[160] = "";

	buf[0] = '\0';
	if (!r || !(r->ninapplicable + r->nunsupported + r->nskipped))
		return buf;
	if (r->nunsupported)
		snprintf(more, sizeof(more), ", %d need fields credwatch does not collect",
			 r->nunsupported);
	if (r->nskipped)
		snprintf(more + strlen(more), sizeof(more) - strlen(more),
			 ", %d skipped (skip-if-unknown-filter)", r->nskipped);
	snprintf(buf, size, "rules: %d of %d enabled rules apply to credential opens; %d "
		 "inapplicable (need event types or fields credwatch does not see)%s; "
		 "--validate-rules -v lists them", r->nactive, r->nenabled, r->ninapplicable, more);
	return buf;
}

void rules_list_unused(const struct rules *r, FILE *f)
{
	static const char *const what[] = {
		[RULE_ACTIVE] = "", [RULE_INAPPLICABLE] = "inapplicable",
		[RULE_UNSUPPORTED] = "not evaluated", [RULE_SKIPPED] = "skipped",
	};

	for (int i = 0; r && i < r->nall; i++) {
		const struct cw_rule *ru = r->all[i];

		if (!ru->enabled || ru->status == RULE_ACTIVE)
			continue;
		fprintf(f, "%s: %s:%d: %s: %s\n", what[ru->status], ru->where.file, ru->where.line,
			ru->name, ru->why);
	}
}

int rules_validate(const char *const *files, int nfiles, bool verbose, FILE *out, FILE *err)
{
	struct rules_diag *diag = malloc(sizeof(*diag));
	struct rules *r;
	char line[512];
	int n;

	if (!diag) {
		fprintf(err, "credwatch: --validate-rules: out of memory\n");
		return 2;
	}
	r = rules_load(files, nfiles, diag);
	if (!r) {
		rules_diag_print(diag, err);
		free(diag);
		return 2;
	}
	n = rules_count(r);
	fprintf(out, "%d rule%s loaded from %d file%s\n", n, n == 1 ? "" : "s",
		r->nfiles, r->nfiles == 1 ? "" : "s");
	if (rules_summary(r, line, sizeof(line))[0])
		fprintf(out, "%s\n", line);
	if (verbose)
		rules_list_unused(r, out);
	rules_free(r);
	free(diag);
	return 0;
}
