// SPDX-License-Identifier: Apache-2.0
/*
 * rules.c - Falco rule files loaded (rules_yaml.c, rules_items.c,
 * rules_exc.c), then compiled here: each enabled rule's condition and
 * output, its status (active, inapplicable, unsupported, skipped); and
 * evaluated on every record. Priorities and the public API of rules.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cond.h"
#include "fileio.h"
#include "log.h"
#include "rules_int.h"
#include "template.h"

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
	if (!cond_compile_src(&c, ru->cond.s ? ru->cond.s : "", r->env, &src, &e) &&
	    ru->nexcs) {
		rules_exc_text(L, ru, &xt);
		if (xt.len) {
			struct cond_src xs = { xt.segs, xt.nsegs };
			struct cond *x;

			if (cond_compile_src(&x, xt.s, r->env, &xs, &e)) {
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
		rules_text_free(&xt);
	}
	if (!c) {
		if (ru->skip_unknown && strstr(e.msg, "unknown field")) {	/* as Falco: warn */
			struct cond_srcseg at = { 0, e.file, e.line, e.col };

			rules_warn_at(L, &at, "rule '%s': %s; skipped (skip-if-unknown-filter)",
				ru->name, e.msg);
			rule_set_status(r, ru, RULE_SKIPPED, "%s (skip-if-unknown-filter)", e.msg);
			return;
		}
		rules_diag_push(L, &e);
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
	if (tmpl_compile(&ru->out, ru->output ? ru->output : "", unknown, sizeof(unknown))) {
		L->oom = true;
		return;
	}
	if (unknown[0])
		log_warn("rules: %s:%d: rule '%s': output field '%%%s' is not a credwatch field; "
			 "it prints <NA>", ru->out_where.file, ru->out_where.line, ru->name, unknown);
	r->wants |= an.wants | tmpl_wants(ru->out);
	if (rules_grow(L, &r->active, r->nactive, sizeof(*r->active)))
		r->active[r->nactive++] = ru;
}

static void compile_all(struct loader *L)
{
	struct rules *r = L->r;
	struct cond_error e;

	if (cond_env_new(&r->env)) {
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
		struct cond *c;

		if (cond_compile(&c, r->macros[i].name, r->env, &e))
			rules_diag_push(L, &e);
		cond_free(c);
	}
	for (int i = 0; i < r->nall; i++)
		if (r->all[i]->enabled)
			compile_rule(L, r->all[i]);
}

int rules_load(struct rules **out, const char *const *files, int nfiles,
	       struct rules_diag *diag)
{
	struct loader L = { .diag = diag };
	struct rules *r;

	*out = NULL;
	memset(diag, 0, sizeof(*diag));
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	L.r = r;
	for (int i = 0; !L.oom && i < nfiles; i++) {
		struct stat st;

		if (!stat(files[i], &st) && S_ISDIR(st.st_mode))
			rules_load_dir(&L, files[i]);
		else
			rules_add_file(&L, files[i]);
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
		return L.oom ? -ENOMEM : -EINVAL;
	}
	log_debug("rules: %d rules loaded (%d defined) from %d files", r->nactive, r->nall,
		  r->nfiles);
	*out = r;
	return 0;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nall; i++)
		rules_rule_free(r->all[i]);
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
		rules_text_free(&r->macros[i].cond);
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
	if (rules_load(&r, files, nfiles, diag)) {
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

void rules_files(const struct rules_opts *o, const char ***files, int *n)
{
	static const char *defaults[1];
	static char near_build[4096];

	if (o->files.n) {
		*files = (const char **)o->files.v;
		*n = o->files.n;
		return;
	}
	defaults[0] = CW_RULES_DIR "/credwatch_rules.yaml";
	if (access(defaults[0], R_OK) &&
	    !path_near_binary("rules/credwatch_rules.yaml", false, near_build, sizeof(near_build)))
		defaults[0] = near_build;
	*files = defaults;
	*n = 1;
}

int rules_open(struct rules **out, const struct rules_opts *o, struct rules_diag *diag)
{
	const char **files;
	int n, err;

	rules_files(o, &files, &n);
	err = rules_load(out, files, n, diag);
	if (!err)
		rules_set_match_all(*out, o->matching && !strcmp(o->matching, "all"));
	return err;
}

static const struct opt_desc rules_option_list[] = {
	OPT_LIST(struct rules_opts, files, "rules", "FILE", "/etc/credwatch/rules/"
		 "credwatch_rules.yaml, else rules/credwatch_rules.yaml next to the build",
		 "Falco rules file, or a directory of *.yaml/*.yml rules files (name order); "
		 "repeatable, applied in order"),
	OPT_STR(struct rules_opts, matching, "rule-matching", "first|all", "first",
		"raise only the first matching rule per access (as Falco), or all"),
};

static int rules_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct rules_opts *o = opts;

	if (o->matching && strcmp(o->matching, "first") && strcmp(o->matching, "all")) {
		snprintf(err, err_size, "--rule-matching: '%s' is not first or all", o->matching);
		return -EINVAL;
	}
	return 0;
}

const struct opt_table rules_options = OPT_TABLE(rules_option_list, NULL, rules_opts_check);
