// SPDX-License-Identifier: Apache-2.0
/* log.c - stderr logger; the only global state a module may touch. */
#include <stdarg.h>
#include <stdio.h>

#include "json.h"
#include "log.h"

enum cw_log_level cw_log_level = CW_LOG_INFO;

void log_msg(enum cw_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	char line[2048], safe[2048 * 4 + 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/*
	 * Log lines carry file names, pod names and API or backend error text
	 * chosen by others: control bytes, C1 controls and invalid UTF-8 are
	 * written visibly (\n, \x1b) so a line stays one line and no escape
	 * sequence reaches a terminal or forges a log entry.
	 */
	text_escape(line, safe, sizeof(safe));
	/* one write per line so concurrent threads do not interleave */
	fprintf(stderr, "credwatch: %s%s\n", prefix[level], safe);
}
