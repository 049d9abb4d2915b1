// SPDX-License-Identifier: Apache-2.0
/* outputs.c - the outputs' options. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "outputs.h"

static const struct opt_desc outputs_option_list[] = {
	OPT_STR(struct outputs_opts, output, "output", "FILE|-", "-",
		"where alerts go (appends to FILE)"),
	OPT_STR(struct outputs_opts, format, "output-format", "json|text",
		"text on a terminal, else json", "alert format: Falco JSON lines or readable text"),
	OPT_BOOL(struct outputs_opts, no_color, "no-color",
		 "no colours in text output (also NO_COLOR)"),
	OPT_UINT(struct outputs_opts, alert_rate, "alert-rate", "N", 10, "10",
		 "alerts per second per rule and reader before suppression (0: no limit)"),
	OPT_UINT(struct outputs_opts, alert_burst, "alert-burst", "N", 50, "50",
		 "alerts allowed in a burst"),
	OPT_UINT(struct outputs_opts, alert_summary_interval_s, "alert-summary-interval",
		 "SECONDS", 60, "60", "how often suppressed alerts are reported in a summary alert"),
	OPT_STR(struct outputs_opts, events, "events", "FILE|-", "off",
		"write every credential access as NDJSON, before rules"),
	OPT_STR(struct outputs_opts, findings, "findings", "FILE|-", "off",
		"write credential exposure findings (what to fix) as NDJSON"),
};

static int outputs_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct outputs_opts *o = opts;

	if (o->format && strcmp(o->format, "json") && strcmp(o->format, "text")) {
		snprintf(err, err_size, "--output-format: '%s' is not json or text", o->format);
		return -EINVAL;
	}
	if (o->alert_rate && !o->alert_burst) {
		snprintf(err, err_size, "--alert-burst: must be at least 1 when --alert-rate is set");
		return -EINVAL;
	}
	return 0;
}

const struct opt_table outputs_options = OPT_TABLE(outputs_option_list, NULL,
						   outputs_opts_check);
