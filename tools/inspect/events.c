// SPDX-License-Identifier: Apache-2.0
/*
 * events.c - credwatch-inspect events: every recorded credential access,
 * a table or the NDJSON of the agent's --events stream.
 */
#include <inttypes.h>
#include <stdio.h>

#include "inspect.h"
#include "user/fields.h"
#include "user/json.h"

void inspect_events_header(void)
{
	printf("%-27s %7s %-16s %s %-10s %s %s\n", "TIME", "PID", "PROCESS", "NAMESPACE/POD",
	       "KIND", "CREDENTIAL", "CMDLINE");
}

/* ---- events and alerts ---- */

static void print_event_json(struct inspect *in, const struct cw_record *rec)
{
	jbuf_reset(&in->jb);
	jbuf_obj_begin(&in->jb);
	jbuf_record_fields(&in->jb, rec);
	jbuf_obj_end(&in->jb);
	jbuf_raw(&in->jb, "\n", 1);
	fwrite(in->jb.buf, 1, in->jb.len, stdout);
}

const char *inspect_fmt_field(const struct cw_record *rec, enum cw_field_id id,
			     char *buf, size_t size)
{
	char num[32];
	struct cw_value v;

	field_get(rec, id, 0, &v);
	return text_escape(field_format(&v, num, sizeof(num)), buf, size);
}

static void print_event_text(const struct cw_record *rec)
{
	char t[40], pid[24], name[80], ns[300], pod[300], kind[40], path[512], cmd[512];

	inspect_fmt_time(rec->time_ns, t, sizeof(t));
	inspect_fmt_field(rec, CW_F_PROC_PID, pid, sizeof(pid));
	inspect_fmt_field(rec, CW_F_PROC_NAME, name, sizeof(name));
	inspect_fmt_field(rec, CW_F_K8S_NS_NAME, ns, sizeof(ns));
	inspect_fmt_field(rec, CW_F_K8S_POD_NAME, pod, sizeof(pod));
	inspect_fmt_field(rec, CW_F_CRED_KIND, kind, sizeof(kind));
	inspect_fmt_field(rec, CW_F_CRED_PATH, path, sizeof(path));
	inspect_fmt_field(rec, CW_F_PROC_CMDLINE, cmd, sizeof(cmd));
	printf("%-27s %7s %-16s %s/%s %-10s %s %s", t, pid, name, ns, pod, kind, path, cmd);
	/* an aggregated record: the repeats of one process's opens */
	if (rec->count > 1)
		printf(" (evt.count=%" PRIu64 ")", rec->count);
	putchar('\n');
}

void inspect_events_add(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_EVENT || !inspect_passes_filter(in, it->rec))
		return;
	if (in->json)
		print_event_json(in, it->rec);
	else
		print_event_text(it->rec);
}
