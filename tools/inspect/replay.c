// SPDX-License-Identifier: Apache-2.0
/*
 * replay.c - credwatch-inspect replay: recorded events through a rule file
 * (user/rules.c), printing the alerts they raise; and --filter, a rule
 * condition (user/cond.c) every command but findings applies to events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "user/cond.h"
#include "user/fields.h"
#include "user/json.h"
#include "user/rules.h"

/* ---- replay and --filter: the rules engine (user/cond.c, user/rules.c) ---- */

static void on_rule_match(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct inspect *in = ctx;
	char t[40], name[512], pid[24], proc[80], ns[300], pod[300], path[512];

	in->replay_alerts++;
	inspect_fmt_time(rec->time_ns, t, sizeof(t));
	if (in->json) {
		jbuf_reset(&in->jb);
		jbuf_obj_begin(&in->jb);
		jbuf_kv_str(&in->jb, "time", t);
		jbuf_kv_str(&in->jb, "rule", rule_name(rule));
		jbuf_kv_str(&in->jb, "priority", priority_name(rule_priority(rule)));
		jbuf_key(&in->jb, "output_fields");
		jbuf_obj_begin(&in->jb);
		jbuf_record_fields(&in->jb, rec);
		jbuf_obj_end(&in->jb);
		jbuf_kv_str(&in->jb, "source", "credwatch");
		jbuf_obj_end(&in->jb);
		jbuf_raw(&in->jb, "\n", 1);
		fwrite(in->jb.buf, 1, in->jb.len, stdout);
		return;
	}
	inspect_fmt_field(rec, CW_F_PROC_PID, pid, sizeof(pid));
	inspect_fmt_field(rec, CW_F_PROC_NAME, proc, sizeof(proc));
	inspect_fmt_field(rec, CW_F_K8S_NS_NAME, ns, sizeof(ns));
	inspect_fmt_field(rec, CW_F_K8S_POD_NAME, pod, sizeof(pod));
	inspect_fmt_field(rec, CW_F_CRED_PATH, path, sizeof(path));
	printf("%s %-13s %s: %s[%s] %s/%s %s\n", t, priority_name(rule_priority(rule)),
	       text_escape(rule_name(rule), name, sizeof(name)), proc, pid, ns, pod, path);
}

void inspect_replay_add(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_EVENT || !inspect_passes_filter(in, it->rec))
		return;
	rules_eval(in->rules, it->rec, on_rule_match, in);
}

/* Compile --filter and load --rules. Returns 0 or the exit code 2. */
int inspect_rules_setup(struct inspect *in)
{
	struct cond_error cerr;
	struct rules_diag *diag;
	int err;

	if (in->filter_text) {
		memset(&cerr, 0, sizeof(cerr));
		if (cond_compile(&in->filter, in->filter_text, NULL, &cerr)) {
			fprintf(stderr, INSPECT_PROG ": --filter: column %d: %s\n", cerr.col, cerr.msg);
			return 2;
		}
	}
	if (in->cmd != INSPECT_REPLAY)
		return 0;
	diag = calloc(1, sizeof(*diag));
	if (!diag)
		return 2;
	err = rules_load(&in->rules, in->rule_files, in->nrule_files, diag);
	for (int i = 0; i < diag->count && i < 64; i++)
		fprintf(stderr, INSPECT_PROG ": %s:%d:%d: %s\n", diag->items[i].file,
			diag->items[i].line, diag->items[i].col, diag->items[i].msg);
	free(diag);
	if (err) {
		fprintf(stderr, INSPECT_PROG ": --rules: cannot load the rules\n");
		return 2;
	}
	return 0;
}

void inspect_rules_teardown(struct inspect *in)
{
	cond_free(in->filter);
	rules_free(in->rules);
}
