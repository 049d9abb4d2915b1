// SPDX-License-Identifier: Apache-2.0
/*
 * rules_items.c - the items of a Falco rule file, in file order: list,
 * macro and rule (with override: and the older append: forms), each
 * checked key by key as Falco does, and the dispatch of one item.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cond.h"
#include "log.h"
#include "rules_int.h"
#include "template.h"

/* ---- override / append ----------------------------------------------- */

enum ov { OV_NONE, OV_APPEND, OV_REPLACE };

/* What override: says for key (OV_NONE when not listed). */
static enum ov override_of(struct yfile *f, yaml_node_t *ov, const char *key)
{
	const char *v;

	if (!ov || ov->type != YAML_MAPPING_NODE)
		return OV_NONE;
	v = rules_yscalar(rules_yget(f, ov, key));
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
		struct cond_srcseg at = rules_ypos(f, ov);

		rules_diag_at(L, &at, "%s: override must be a mapping of key: append|replace", kind);
		return false;
	}
	for (yaml_node_pair_t *p = ov->data.mapping.pairs.start; p < ov->data.mapping.pairs.top; p++) {
		const char *k = rules_yscalar(rules_ynode(f, p->key));
		const char *v = rules_yscalar(rules_ynode(f, p->value));
		struct cond_srcseg at = rules_ypos(f, rules_ynode(f, p->value));
		const char *const *set = v && !strcmp(v, "append") ? can_append :
					 v && !strcmp(v, "replace") ? can_replace : NULL;
		bool found = false;

		for (int i = 0; set && k && set[i] && !found; i++)
			found = !strcmp(set[i], k);
		if (!set) {
			rules_diag_at(L, &at, "%s: override of '%s' must be append or replace", kind, k ? k : "?");
			ok = false;
		} else if (!found) {
			rules_diag_at(L, &at, "%s: '%s' cannot be overridden with %s", kind, k ? k : "?", v);
			ok = false;
		}
	}
	return ok;
}

bool rules_is_ident(const char *s)
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
	yaml_node_t *items = rules_yget(f, item, "items"), *ov = rules_yget(f, item, "override");
	yaml_node_t *apn = rules_yget(f, item, "append");
	const char *name = rules_ystr(L, f, rules_yget(f, item, "list"), "list", "list");
	struct cond_srcseg at = rules_ypos(f, item);
	struct m_list *l;
	int append = 0;

	if (!rules_ykeys_ok(L, f, item, "list", keys, ign) || !name)
		return;
	if (apn && (append = rules_ybool(L, f, apn, "list: append")) < 0)
		return;
	if (ov && !override_ok(L, f, ov, "list", ap, ap))
		return;
	if (ov && append) {
		rules_diag_at(L, &at, "list '%s': append and override cannot be used together", name);
		return;
	}
	if (!items || items->type != YAML_SEQUENCE_NODE) {
		rules_diag_at(L, &at, "list '%s': 'items' must be a sequence", name);
		return;
	}
	append |= override_of(f, ov, "items") == OV_APPEND;
	l = find_list(r, name);
	if ((append || ov) && !l) {
		rules_diag_at(L, &at, "list '%s': %s but no list '%s' is defined before", name,
			append ? "append" : "override", name);
		return;
	}
	if (!l) {
		if (!rules_grow(L, &r->lists, r->nlists, sizeof(*r->lists)))
			return;
		l = &r->lists[r->nlists++];
		memset(l, 0, sizeof(*l));
		l->name = rules_dup_or_oom(L, name);
	} else if (!append) {
		for (int i = 0; i < l->n; i++)
			free(l->items[i]);
		l->n = 0;
	}
	for (yaml_node_item_t *it = items->data.sequence.items.start;
	     it < items->data.sequence.items.top; it++) {
		yaml_node_t *n = rules_ynode(f, *it);
		const char *s = rules_yscalar(n);
		struct cond_srcseg p = rules_ypos(f, n);

		if (!s) {
			rules_diag_at(L, &p, "list '%s': items must be strings", name);
			continue;
		}
		if (!rules_grow(L, &l->items, l->n, sizeof(char *)) ||
		    !rules_grow(L, &l->pos, l->n, sizeof(*l->pos)))
			return;
		p.col += n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			 n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		l->items[l->n] = rules_dup_or_oom(L, s);
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
	yaml_node_t *cn = rules_yget(f, item, "condition"), *ov = rules_yget(f, item, "override");
	yaml_node_t *apn = rules_yget(f, item, "append");
	const char *name = rules_ystr(L, f, rules_yget(f, item, "macro"), "macro", "macro");
	struct cond_srcseg at = rules_ypos(f, item);
	struct m_macro *m;
	struct text t;
	int append = 0;

	if (!rules_ykeys_ok(L, f, item, "macro", keys, ign) || !name)
		return;
	if (!rules_is_ident(name)) {
		rules_diag_at(L, &at, "macro '%s': a macro name is letters, digits and '_'", name);
		return;
	}
	if (apn && (append = rules_ybool(L, f, apn, "macro: append")) < 0)
		return;
	if (ov && !override_ok(L, f, ov, "macro", ap, ap))
		return;
	if (ov && append) {
		rules_diag_at(L, &at, "macro '%s': append and override cannot be used together", name);
		return;
	}
	if (!cn || !rules_yscalar(cn)) {
		rules_diag_at(L, &at, "macro '%s': 'condition' must be a string", name);
		return;
	}
	append |= override_of(f, ov, "condition") == OV_APPEND;
	m = find_macro(r, name);
	if ((append || ov) && !m) {
		rules_diag_at(L, &at, "macro '%s': %s but no macro '%s' is defined before", name,
			append ? "append" : "override", name);
		return;
	}
	if (!rules_ytext(L, f, cn, &t))
		return;
	if (!m) {
		if (!rules_grow(L, &r->macros, r->nmacros, sizeof(*r->macros))) {
			rules_text_free(&t);
			return;
		}
		m = &r->macros[r->nmacros++];
		memset(m, 0, sizeof(*m));
		m->name = rules_dup_or_oom(L, name);
		m->where = at;
	}
	if (append) {
		rules_text_append(L, &m->cond, " ", t.s, t.segs, t.nsegs);
		rules_text_free(&t);
	} else {
		rules_text_free(&m->cond);
		m->cond = t;
	}
}

/* ---- rules ------------------------------------------------------------ */

void rules_rule_free(struct cw_rule *ru)
{
	if (!ru)
		return;
	free(ru->name);
	free(ru->desc);
	free(ru->output);
	free(ru->source);
	rules_text_free(&ru->cond);
	for (int i = 0; i < ru->ntags; i++)
		free(ru->tags[i]);
	free(ru->tags);
	for (int i = 0; i < ru->nexcs; i++)
		rules_exc_free(&ru->excs[i]);
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
	struct cond_srcseg at = rules_ypos(f, tn);

	if (tn->type != YAML_SEQUENCE_NODE) {
		rules_diag_at(L, &at, "rule '%s': 'tags' must be a sequence", ru->name);
		return;
	}
	if (!append) {
		for (int i = 0; i < ru->ntags; i++)
			free(ru->tags[i]);
		ru->ntags = 0;
	}
	for (yaml_node_item_t *it = tn->data.sequence.items.start; it < tn->data.sequence.items.top; it++) {
		const char *s = rules_yscalar(rules_ynode(f, *it));
		bool dup = false;

		if (!s) {
			rules_diag_at(L, &at, "rule '%s': tags must be strings", ru->name);
			continue;
		}
		for (int i = 0; i < ru->ntags && !dup; i++)
			dup = !strcmp(ru->tags[i], s);
		if (dup || !rules_grow(L, &ru->tags, ru->ntags, sizeof(char *)))
			continue;
		ru->tags[ru->ntags++] = rules_dup_or_oom(L, s);
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
		n = rules_dup_or_oom(L, s);
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
	yaml_node_t *n = rules_yget(f, item, key);
	struct cond_srcseg at;
	const char *s;

	if (!n)
		return;
	at = rules_ypos(f, n);
	if (!strcmp(key, "tags")) {
		set_tags(L, f, ru, n, app);
		return;
	}
	if (!strcmp(key, "exceptions")) {
		rules_do_exceptions(L, f, ru, n, app);
		return;
	}
	if (!strcmp(key, "enabled") || !strcmp(key, "skip-if-unknown-filter") ||
	    !strcmp(key, "warn_evttypes") || !strcmp(key, "capture")) {
		int b = rules_ybool(L, f, n, key);

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
	s = rules_ystr(L, f, n, "rule", key);
	if (!s)
		return;
	if (!strcmp(key, "condition")) {
		struct text t;

		if (!rules_ytext(L, f, n, &t))
			return;
		if (app) {
			rules_text_append(L, &ru->cond, " ", t.s, t.segs, t.nsegs);
			rules_text_free(&t);
		} else {
			rules_text_free(&ru->cond);
			ru->cond = t;
		}
	} else if (!strcmp(key, "priority")) {
		int p = priority_parse(s);

		if (p < 0)
			rules_diag_at(L, &at, "rule '%s': bad priority '%s' (emergency, alert, critical, "
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
	yaml_node_t *ov = rules_yget(f, item, "override"), *apn = rules_yget(f, item, "append");
	const char *name = rules_ystr(L, f, rules_yget(f, item, "rule"), "rule", "rule");
	struct cond_srcseg at = rules_ypos(f, item);
	struct cw_rule *ru;
	int append = 0;

	if (!rules_ykeys_ok(L, f, item, "rule", keys, NULL) || !name)
		return;
	if (apn && (append = rules_ybool(L, f, apn, "rule: append")) < 0)
		return;
	if (ov && !override_ok(L, f, ov, "rule", can_append, can_replace))
		return;
	if (ov && append) {
		rules_diag_at(L, &at, "rule '%s': append and override cannot be used together", name);
		return;
	}
	ru = find_rule(r, name);
	if ((append || ov) && !ru) {
		rules_diag_at(L, &at, "rule '%s': %s but no rule '%s' is defined before", name,
			append ? "append" : "override", name);
		return;
	}
	if (append) {
		if (rules_yget(f, item, "priority")) {
			at = rules_ypos(f, rules_yget(f, item, "priority"));
			rules_diag_at(L, &at, "rule '%s': priority cannot be appended", name);
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

			if (o == OV_NONE && rules_yget(f, item, can_replace[i])) {
				struct cond_srcseg kp = rules_ypos(f, rules_yget(f, item, can_replace[i]));

				rules_diag_at(L, &kp, "rule '%s': '%s' is not listed in override", name,
					can_replace[i]);
				continue;
			}
			if (o != OV_NONE && !rules_yget(f, item, can_replace[i])) {
				struct cond_srcseg kp = rules_ypos(f, ov);

				rules_diag_at(L, &kp, "rule '%s': override of '%s', which the item does not have",
					name, can_replace[i]);
				continue;
			}
			rule_apply(L, f, ru, item, can_replace[i], o == OV_APPEND);
		}
		return;
	}
	if (!rules_yget(f, item, "condition") && !rules_yget(f, item, "output") && !rules_yget(f, item, "desc") &&
	    !rules_yget(f, item, "priority") && rules_yget(f, item, "enabled")) {	/* switch on/off */
		if (!ru)
			rules_diag_at(L, &at, "rule '%s': 'enabled' but no rule '%s' is defined before",
				name, name);
		else
			rule_apply(L, f, ru, item, "enabled", false);
		return;
	}
	{
		static const char *const required[] = { "condition", "output", "desc", "priority", NULL };
		bool ok = true;

		for (int i = 0; required[i]; i++) {
			if (!rules_yget(f, item, required[i])) {
				rules_diag_at(L, &at, "rule '%s': missing required key '%s'", name, required[i]);
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
		nr->name = rules_dup_or_oom(L, name);
		nr->enabled = true;
		nr->where = at;
		for (int i = 0; apply[i]; i++)
			rule_apply(L, f, nr, item, apply[i], false);
		if (ru) {		/* redefinition keeps the old place */
			for (int i = 0; i < r->nall; i++)
				if (r->all[i] == ru)
					r->all[i] = nr;
			rules_rule_free(ru);
		} else if (rules_grow(L, &r->all, r->nall, sizeof(*r->all))) {
			r->all[r->nall++] = nr;
		} else {
			rules_rule_free(nr);
		}
	}
}

void rules_do_item(struct loader *L, struct yfile *f, yaml_node_t *item)
{
	struct cond_srcseg at = rules_ypos(f, item);

	if (item->type != YAML_MAPPING_NODE) {
		rules_diag_at(L, &at, "each item must be a mapping (- rule:, - macro: or - list:)");
		return;
	}
	if (rules_yget(f, item, "rule"))
		do_rule(L, f, item);
	else if (rules_yget(f, item, "macro"))
		do_macro(L, f, item);
	else if (rules_yget(f, item, "list"))
		do_list(L, f, item);
	else if (rules_yget(f, item, "required_engine_version") || rules_yget(f, item, "required_plugin_versions"))
		/*
		 * credwatch is not a Falco engine and has no plugins: the fields the
		 * container plugin gives Falco are built in (container.*, k8s.*)
		 */
		log_debug("rules: %s:%d: ignoring %s", f->name, at.line,
			  rules_yget(f, item, "required_engine_version") ?
			  "required_engine_version" : "required_plugin_versions");
	else		/* as Falco: a warning */
		rules_warn_at(L, &at, "unknown item (not a rule, macro or list), ignored");
}
