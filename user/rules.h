/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h - Falco YAML rule files: load, compile, evaluate.
 *
 * Files are sequences of items, applied in order across files; a directory
 * stands for its *.yaml and *.yml files in name order, as in Falco:
 *   - list: NAME      items: [a, b]              (append: true / override)
 *   - macro: NAME     condition: COND            (append: true / override)
 *   - rule: NAME      desc, condition, output, priority, tags, enabled,
 *                     exceptions, source, skip-if-unknown-filter,
 *                     warn_evttypes, capture, capture_duration,
 *                     append / override
 *   - required_engine_version / required_plugin_versions: accepted, ignored
 * The keys and override rules are Falco 0.44's; an unknown key or item is
 * a warning (rules_diag.warnings), not an error. A later definition of a
 * name replaces the earlier one (a rule keeps its place); `append: true`
 * extends it; `- rule: X` with only `enabled:` switches an existing rule on
 * or off. Exceptions are Falco's: name, fields, comps (default `=`, or `in`
 * for the one-field form), values; a rule matches when its condition holds
 * and no exception tuple does.
 *
 * Each enabled rule is then analysed (cond_analyze): one that no credwatch
 * event (a successful open) can match, or of another `source`, is loaded
 * as inapplicable; one whose outcome depends on a field credwatch does not
 * collect is not evaluated; both are counted (rules_summary) and listed
 * (rules_list_unused), never errors.
 *
 * Everything is compiled by rules_load; a failed load returns NULL and
 * leaves whatever set the caller holds untouched, so a bad SIGHUP reload
 * keeps the old rules.
 */
#ifndef CW_RULES_H
#define CW_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cond.h"
#include "json.h"
#include "opt.h"
#include "record.h"

struct rules;
struct cw_rule;

#define RULES_DIAG_MAX 64

/*
 * Every error found, in file order (up to RULES_DIAG_MAX; line 0: whole
 * file), and the warnings (unknown keys, unknown items, ...: what Falco
 * warns about and loads anyway), which rules_load also logs.
 */
struct rules_diag {
	int count;
	struct cond_error items[RULES_DIAG_MAX];
	int nwarnings;
	struct cond_error warnings[RULES_DIAG_MAX];
};

enum cw_priority {
	CW_PRIO_EMERGENCY, CW_PRIO_ALERT, CW_PRIO_CRITICAL, CW_PRIO_ERROR,
	CW_PRIO_WARNING, CW_PRIO_NOTICE, CW_PRIO_INFORMATIONAL, CW_PRIO_DEBUG,
};

/* 0, -EINVAL (diag filled) or -ENOMEM (said in diag too); *out NULL on error. */
int rules_load(struct rules **out, const char *const *files, int nfiles,
	       struct rules_diag *diag);

struct rules_opts {
	struct strlist files;	/* --rules; none: rules_files()'s default */
	char *matching;		/* --rule-matching first | all; NULL: first */
};

/* --rules, --rule-matching (opt.h) */
extern const struct opt_table rules_options;

/*
 * rules_files - the rules files in effect: --rules, else the installed
 * default, else the source tree's rules/ a few levels above the binary
 * (build/credwatch, build/sanitize/credwatch). Pointers stay valid.
 */
void rules_files(const struct rules_opts *o, const char ***files, int *n);

/*
 * rules_open - rules_load() of the files in effect, with --rule-matching
 * applied. Returns and fills what rules_load() does.
 */
int rules_open(struct rules **out, const struct rules_opts *o, struct rules_diag *diag);
void rules_free(struct rules *r);
/* Enabled rules that will be evaluated. */
int rules_count(const struct rules *r);
int rules_nfiles(const struct rules *r);

typedef void (*rules_match_fn)(void *ctx, const struct cw_rule *rule,
			       const struct cw_record *rec);
/*
 * rules_eval - evaluate rec; call fn for the first matching rule in file
 * order (Falco's rule_matching: first) or for every match after
 * rules_set_match_all(r, true). Returns the number of matches.
 */
int rules_eval(const struct rules *r, const struct cw_record *rec,
	       rules_match_fn fn, void *ctx);
void rules_set_match_all(struct rules *r, bool all);
/* The lists and macros of the loaded files, for --filter conditions. */
const struct cond_env *rules_env(const struct rules *r);

const char *rule_name(const struct cw_rule *rule);
const char *rule_desc(const struct cw_rule *rule);
int rule_priority(const struct cw_rule *rule);	/* 0 EMERGENCY .. 7 DEBUG */
int rule_ntags(const struct cw_rule *rule);
const char *rule_tag(const struct cw_rule *rule, int i);
/* Append the rule's output, fields substituted, raw text, to out. */
void rule_output(const struct cw_rule *rule, const struct cw_record *rec, struct jbuf *out);
/* Members "evt.time" and each output field, into the object open in jb. */
void rule_output_fields(const struct cw_rule *rule, const struct cw_record *rec,
			struct jbuf *jb);

/* "Critical", ... as Falco prints them; "Unknown" when out of range. */
const char *priority_name(int prio);
/* Case-insensitive name (also "info") to 0..7, or -EINVAL. */
int priority_parse(const char *name);

/* Print each item as "FILE:LINE:COL: reason" (or "FILE: reason"). */
void rules_diag_print(const struct rules_diag *diag, FILE *f);
/*
 * What the loaded rules need attribution to read from /proc (enum cw_want,
 * fields.h): the fields their conditions depend on and their outputs print.
 */
uint32_t rules_wants(const struct rules *r);
/*
 * rules_summary - "" when every enabled rule is evaluated, else the one
 * start-up line counting those that are not ("rules: 14 of 56 enabled rules
 * apply to credential opens; 40 inapplicable ..."). Returns buf.
 */
const char *rules_summary(const struct rules *r, char *buf, size_t size);
/*
 * rules_list_unused - one line per enabled rule that is not evaluated:
 * "inapplicable: FILE:LINE: NAME: needs evt.type in (execve, execveat)",
 * "not evaluated: ...: depends on proc.cwd, which credwatch does not
 * collect", "skipped: ...".
 */
void rules_list_unused(const struct rules *r, FILE *f);
/*
 * rules_validate - --validate-rules: load files; on error print every error
 * to err and return 2, else print "N rules loaded from M files" and the
 * summary line (and with verbose the rules_list_unused lines) to out and
 * return 0. Warnings are logged.
 */
int rules_validate(const char *const *files, int nfiles, bool verbose, FILE *out, FILE *err);

#endif /* CW_RULES_H */
