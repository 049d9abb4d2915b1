// SPDX-License-Identifier: Apache-2.0
/*
 * rules_exc.c - Falco rule exceptions: the exceptions: of a rule parsed
 * (fields, comps, values; single-field and list forms) and turned into the
 * condition text "and not (...)" Falco appends to the rule's condition.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cond.h"
#include "log.h"
#include "rules_int.h"
#include "template.h"

/* ---- exceptions ------------------------------------------------------- */

void rules_exc_free(struct exc *e)
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
		v->items[0] = rules_dup_or_oom(L, rules_yscalar(n));
		v->pos[0] = rules_ypos(f, n);
		v->n = 1;
		return true;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		struct cond_srcseg at = rules_ypos(f, n);

		rules_diag_at(L, &at, "exception values must be strings or lists of strings");
		return false;
	}
	v->is_list = true;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *in = rules_ynode(f, *it);
		struct cond_srcseg at = rules_ypos(f, in);

		if (!rules_yscalar(in)) {
			rules_diag_at(L, &at, "exception value lists hold strings only");
			return false;
		}
		if (!rules_grow(L, &v->items, v->n, sizeof(char *)) || !rules_grow(L, &v->pos, v->n, sizeof(*v->pos)))
			return false;
		v->items[v->n] = rules_dup_or_oom(L, rules_yscalar(in));
		v->pos[v->n++] = at;
	}
	return true;
}

/* Add the tuples of `values` to e. */
static void exc_add_values(struct loader *L, struct yfile *f, struct exc *e, yaml_node_t *vals,
			   const char *rule)
{
	struct cond_srcseg at = rules_ypos(f, vals);

	if (vals->type != YAML_SEQUENCE_NODE) {
		rules_diag_at(L, &at, "rule '%s': exception '%s': 'values' must be a sequence", rule, e->name);
		return;
	}
	for (yaml_node_item_t *it = vals->data.sequence.items.start; it < vals->data.sequence.items.top; it++) {
		yaml_node_t *tn = rules_ynode(f, *it);
		struct exc_tuple *t;

		if (!rules_grow(L, &e->tuples, e->ntuples, sizeof(*e->tuples)))
			return;
		t = &e->tuples[e->ntuples];
		memset(t, 0, sizeof(*t));
		t->where = rules_ypos(f, tn);
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
			rules_diag_at(L, &t->where, "rule '%s': exception '%s': each value must be a list of %d items",
				rule, e->name, e->nfields);
			continue;
		}
		{
			int n = (int)(tn->data.sequence.items.top - tn->data.sequence.items.start);

			if (n != e->nfields) {
				rules_diag_at(L, &t->where, "rule '%s': exception '%s': value has %d items, fields has %d",
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
				if (!exc_val_parse(L, f, rules_ynode(f, tn->data.sequence.items.start[i]), &t->v[i]))
					return;
		}
	}
}

/* Parse `exceptions:` into rule ru, adding to (append) or defining exceptions. */
void rules_do_exceptions(struct loader *L, struct yfile *f, struct cw_rule *ru, yaml_node_t *seq,
			  bool append)
{
	static const char *const keys[] = { "name", "fields", "comps", "values", NULL };
	struct cond_srcseg at = rules_ypos(f, seq);

	if (seq->type == YAML_SCALAR_NODE && !seq->data.scalar.length)
		return;			/* "exceptions:" with nothing: none */
	if (seq->type != YAML_SEQUENCE_NODE) {
		rules_diag_at(L, &at, "rule '%s': 'exceptions' must be a sequence", ru->name);
		return;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *en = rules_ynode(f, *it), *fl, *cp, *vl;
		struct cond_srcseg ep = rules_ypos(f, en);
		struct exc *e = NULL;
		const char *name;

		if (en->type != YAML_MAPPING_NODE) {
			rules_diag_at(L, &ep, "rule '%s': each exception must be a mapping", ru->name);
			continue;
		}
		if (!rules_ykeys_ok(L, f, en, "exception", keys, NULL))
			continue;
		name = rules_yscalar(rules_yget(f, en, "name"));
		fl = rules_yget(f, en, "fields");
		cp = rules_yget(f, en, "comps");
		vl = rules_yget(f, en, "values");
		if (!name) {
			rules_diag_at(L, &ep, "rule '%s': exception needs a 'name'", ru->name);
			continue;
		}
		for (int i = 0; i < ru->nexcs; i++)
			if (!strcmp(ru->excs[i].name, name))
				e = &ru->excs[i];
		if (e && !append) {	/* Falco warns and keeps both */
			rules_warn_at(L, &ep, "rule '%s': exception '%s' is defined twice; both apply",
				ru->name, name);
			e = NULL;
		}
		if (e && (fl || cp)) {
			rules_diag_at(L, &ep, "rule '%s': exception '%s': appending takes 'values' only",
				ru->name, name);
			continue;
		}
		if (!e) {
			if (!fl) {
				rules_diag_at(L, &ep, "rule '%s': exception '%s' needs 'fields'", ru->name, name);
				continue;
			}
			if (!rules_grow(L, &ru->excs, ru->nexcs, sizeof(*ru->excs)))
				return;
			e = &ru->excs[ru->nexcs++];
			memset(e, 0, sizeof(*e));
			e->name = rules_dup_or_oom(L, name);
			e->where = ep;
			if (fl->type == YAML_SCALAR_NODE) {
				e->single = true;
				e->nfields = 1;
			} else if (fl->type == YAML_SEQUENCE_NODE) {
				e->nfields = (int)(fl->data.sequence.items.top - fl->data.sequence.items.start);
			}
			if (e->nfields == 0) {
				rules_diag_at(L, &ep, "rule '%s': exception '%s': 'fields' must be a field or a list of fields",
					ru->name, name);
				ru->nexcs--;
				rules_exc_free(e);
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
				struct cond_srcseg cpp = rules_ypos(f, cp);

				rules_diag_at(L, &cpp, "rule '%s': exception '%s': 'comps' must match 'fields' in shape",
					ru->name, name);
				cp = NULL;
			} else if (cp && !e->single &&
				   cp->data.sequence.items.top - cp->data.sequence.items.start != e->nfields) {
				struct cond_srcseg cpp = rules_ypos(f, cp);

				rules_diag_at(L, &cpp, "rule '%s': exception '%s': %d comps for %d fields", ru->name,
					name, (int)(cp->data.sequence.items.top - cp->data.sequence.items.start),
					e->nfields);
				cp = NULL;
			}
			for (int i = 0; i < e->nfields; i++) {
				yaml_node_t *fn = e->single ? fl : rules_ynode(f, fl->data.sequence.items.start[i]);
				yaml_node_t *cn = !cp ? NULL : e->single ? cp :
						  rules_ynode(f, cp->data.sequence.items.start[i]);

				e->fields[i] = rules_dup_or_oom(L, rules_yscalar(fn));
				e->fpos[i] = rules_ypos(f, fn);
				e->comps[i] = rules_dup_or_oom(L, cn ? rules_yscalar(cn) : e->single ? "in" : "=");
				e->cpos[i] = cn ? rules_ypos(f, cn) : ep;
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
	rules_text_append(L, t, "", q, at, 1);
	free(q);
}

/* One "field comp value" check of an exception. */
static void exc_check_text(struct loader *L, struct text *t, const struct exc *e, int i,
			   const struct exc_val *const *vals, int nvals)
{
	struct cond_srcseg fp = e->fpos[i], cp = e->cpos[i];

	fp.off = 0;
	rules_text_append(L, t, "", e->fields[i], &fp, 1);
	rules_text_append(L, t, " ", e->comps[i], &cp, 1);
	rules_text_append(L, t, " ", "", NULL, 0);
	if (!is_list_op(e->comps[i])) {
		if (vals[0]->is_list) {
			rules_diag_at(L, &vals[0]->pos[0], "exception '%s': comp '%s' takes one value, not a list",
				e->name, e->comps[i]);
			return;
		}
		put_quoted(L, t, vals[0]->items[0], &vals[0]->pos[0]);
		return;
	}
	rules_text_append(L, t, "", "(", NULL, 0);
	for (int k = 0; k < nvals; k++) {
		for (int j = 0; j < vals[k]->n; j++) {
			const char *s = vals[k]->items[j];

			if (k || j)
				rules_text_append(L, t, "", ", ", NULL, 0);
			if (!vals[k]->is_list && rules_is_ident(s))	/* may name a list */
				rules_text_append(L, t, "", s, &vals[k]->pos[j], 1);
			else
				put_quoted(L, t, s, &vals[k]->pos[j]);
		}
	}
	rules_text_append(L, t, "", ")", NULL, 0);
}

/* The condition an exception set excludes, or an empty text when none. */
void rules_exc_text(struct loader *L, const struct cw_rule *ru, struct text *t)
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
			rules_text_append(L, t, t->len ? " or " : "", "(", NULL, 0);
			exc_check_text(L, t, e, 0, vals, e->ntuples);
			rules_text_append(L, t, "", ")", NULL, 0);
			free(vals);
			continue;
		}
		for (int k = 0; k < e->ntuples; k++) {
			const struct exc_tuple *tp = &e->tuples[k];

			rules_text_append(L, t, t->len ? " or " : "", "(", NULL, 0);
			for (int i = 0; i < tp->n; i++) {
				const struct exc_val *v = &tp->v[i];

				if (i)
					rules_text_append(L, t, "", " and ", NULL, 0);
				exc_check_text(L, t, e, i, &v, 1);
			}
			rules_text_append(L, t, "", ")", NULL, 0);
		}
	}
}
