// SPDX-License-Identifier: Apache-2.0
/*
 * findings.c - credwatch-inspect findings: the finding lines the agent
 * wrote (--findings), a table or the lines as recorded; and the parts of
 * a finding line the summary's table shows too.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "inspect.h"
#include "user/json.h"
#include "user/record.h"

#define FINDING_ROW_FMT "%-27s %-8s %-8s %-26s %-20s %s\n"

void inspect_findings_header(void)
{
	printf(FINDING_ROW_FMT, "TIME", "STATUS", "SEVERITY", "TYPE", "ID",
	       "RESOURCE (NAMESPACE/POD or PATH)");
}

static void json_str(const cJSON *obj, const char *key, char *dst, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	record_strlcpy(dst, cJSON_IsString(v) ? v->valuestring : "", size);
}

void inspect_finding_parse(const char *line, size_t len, struct finding_view *v)
{
	cJSON *root = cJSON_ParseWithLength(line, len);
	const cJSON *res;

	memset(v, 0, sizeof(*v));
	if (!cJSON_IsObject(root))
		goto cleanup;
	v->parsed = true;
	json_str(root, "id", v->id, sizeof(v->id));
	json_str(root, "type", v->type, sizeof(v->type));
	json_str(root, "severity", v->severity, sizeof(v->severity));
	json_str(root, "status", v->status, sizeof(v->status));
	json_str(root, "first_seen", v->first, sizeof(v->first));
	json_str(root, "last_seen", v->last, sizeof(v->last));
	res = cJSON_GetObjectItemCaseSensitive(root, "resource");
	json_str(res, "namespace", v->ns, sizeof(v->ns));
	json_str(res, "pod", v->pod, sizeof(v->pod));
	json_str(res, "path", v->path, sizeof(v->path));
cleanup:
	cJSON_Delete(root);
}

/* "namespace/pod" for a pod's credential, else the host path; escaped. */
const char *inspect_finding_where(const struct finding_view *v, char *buf, size_t size)
{
	char tmp[600];

	if (!v->pod[0])
		return text_escape(v->path[0] ? v->path : "-", buf, size);
	snprintf(tmp, sizeof(tmp), "%s/%s", v->ns[0] ? v->ns : "<NA>", v->pod);
	return text_escape(tmp, buf, size);
}

static void print_finding_text(const struct dump_item *it)
{
	char t[40], st[40], sev[40], type[80], id[160], where[8200];
	struct finding_view v;

	inspect_finding_parse(it->finding_json, it->finding_len, &v);
	inspect_fmt_time(it->time_ns, t, sizeof(t));
	if (!v.parsed) {
		printf(FINDING_ROW_FMT, t, "?", "?", "?", "?", "(not a JSON object)");
		return;
	}
	printf(FINDING_ROW_FMT, t, text_escape(v.status[0] ? v.status : "?", st, sizeof(st)),
	       text_escape(v.severity[0] ? v.severity : "?", sev, sizeof(sev)),
	       text_escape(v.type[0] ? v.type : "?", type, sizeof(type)),
	       text_escape(v.id[0] ? v.id : "?", id, sizeof(id)),
	       inspect_finding_where(&v, where, sizeof(where)));
}

void inspect_findings_add(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_FINDING)
		return;
	if (!in->json) {
		print_finding_text(it);
		return;
	}
	/* as the agent wrote them to --findings, made terminal-safe */
	inspect_write_recorded_line(it->finding_json, it->finding_len);
}
