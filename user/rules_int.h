/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_int.h - inside the rules engine: what a loaded rule set is, shared
 * by rules.c (compile, evaluate, the public API), rules_yaml.c (reading
 * files, positions, diagnostics), rules_items.c (lists, macros, rules) and
 * rules_exc.c (exceptions). Not for other modules: their interface is
 * rules.h.
 */
#ifndef CW_RULES_INT_H
#define CW_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "cond.h"
#include "rules.h"

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

/* rules_yaml.c: diagnostics */
void __attribute__((format(printf, 3, 4)))
rules_diag_at(struct loader *L, const struct cond_srcseg *at, const char *fmt, ...);
void __attribute__((format(printf, 3, 4)))
rules_warn_at(struct loader *L, const struct cond_srcseg *at, const char *fmt, ...);
/* A condition compiler error, as a diagnostic at its position in the file. */
void rules_diag_push(struct loader *L, const struct cond_error *e);

/* rules_yaml.c: allocation that marks the load out of memory */
char *rules_dup_or_oom(struct loader *L, const char *s);
/* Room for element n of *pp (elements of size); false (out of memory) when not. */
bool rules_grow(struct loader *L, void *pp, int n, size_t size);
void rules_text_free(struct text *t);
/* Append sep + s (with its segments shifted) to t. */
bool rules_text_append(struct loader *L, struct text *t, const char *sep, const char *s,
		       const struct cond_srcseg *segs, int nsegs);

/* rules_yaml.c: YAML nodes and their positions */
yaml_node_t *rules_ynode(struct yfile *f, int idx);
/* A scalar's text; NULL for other nodes. */
const char *rules_yscalar(const yaml_node_t *n);
struct cond_srcseg rules_ypos(const struct yfile *f, const yaml_node_t *n);
/* The value of key in a mapping; NULL when absent. */
yaml_node_t *rules_yget(struct yfile *f, yaml_node_t *map, const char *key);
/* A scalar as condition text, with its map back into the file. */
bool rules_ytext(struct loader *L, const struct yfile *f, const yaml_node_t *n, struct text *t);
/* true/yes/on 1, false/no/off 0 (any case), else -1 (reported). */
int rules_ybool(struct loader *L, struct yfile *f, yaml_node_t *n, const char *what);
/* Check every key of an item: not a string or twice is an error, unknown a warning. */
bool rules_ykeys_ok(struct loader *L, struct yfile *f, yaml_node_t *map,
		    const char *kind, const char *const *allowed, const char *const *ignored);
/* A required string value; NULL (reported) when it is not one. */
const char *rules_ystr(struct loader *L, struct yfile *f, yaml_node_t *n,
		       const char *kind, const char *key);

/* rules_yaml.c: files */
/* Load one file; its name lives in r->files, which positions point into. */
void rules_add_file(struct loader *L, const char *path);
/* A rules directory as Falco reads one: *.yaml and *.yml, in byte order of names. */
void rules_load_dir(struct loader *L, const char *dir);

/* rules_items.c */
/* An identifier: a letter or '_', then letters, digits and '_'. */
bool rules_is_ident(const char *s);
void rules_rule_free(struct cw_rule *ru);
/* One top-level item of a rule file (list, macro, rule, required_engine_version...). */
void rules_do_item(struct loader *L, struct yfile *f, yaml_node_t *item);

/* rules_exc.c */
void rules_exc_free(struct exc *e);
/* Parse exceptions: into rule ru, adding to (append) or defining exceptions. */
void rules_do_exceptions(struct loader *L, struct yfile *f, struct cw_rule *ru, yaml_node_t *seq,
			 bool append);
/* The condition an exception set excludes, or an empty text when none. */
void rules_exc_text(struct loader *L, const struct cw_rule *ru, struct text *t);

#endif /* CW_RULES_INT_H */
