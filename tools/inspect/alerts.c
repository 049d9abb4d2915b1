// SPDX-License-Identifier: Apache-2.0
/*
 * alerts.c - credwatch-inspect alerts: the alert lines the agent raised,
 * as recorded, made safe for a terminal.
 */
#include <stdio.h>

#include "inspect.h"

/*
 * A recorded alert or finding line, as the agent wrote it. The dump may
 * come from anywhere: a crafted one can put raw escape sequences in a
 * "JSON" line. Control bytes, DEL and the C1 controls (UTF-8 C2 80..9F,
 * which some terminals take as CSI) are written as \u00XX: a well-formed
 * line holds none raw and stays byte for byte, and inside a string the
 * escape means the same character.
 */
void inspect_write_recorded_line(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)line[i + 1] >= 0x80 &&
			   (unsigned char)line[i + 1] <= 0x9f) {
			printf("\\u%04x", (unsigned char)line[++i]);
		} else {
			putchar(c);
		}
	}
	putchar('\n');
}

void inspect_alerts_add(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_ALERT)
		return;
	if (in->filter_text && !inspect_passes_filter(in, it->rec))
		return;
	/* recorded alerts are JSON lines already: as written, made terminal-safe */
	inspect_write_recorded_line(it->alert_json, it->alert_len);
}
