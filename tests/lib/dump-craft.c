// SPDX-License-Identifier: Apache-2.0
/*
 * dump-craft.c - write a trace dump as an attacker would shape one, with the
 * real writer (user/dump.c): terminal escape sequences (ESC, BEL, a C1 CSI)
 * in the agent version and raw inside the recorded alert and finding lines.
 * For tests/redteam/test_inspect_escapes.sh.
 *   dump-craft DIR
 */
#include <stdio.h>
#include <string.h>

#include "user/dump.h"

int main(int argc, char **argv)
{
	/* ESC ] 0 ; title BEL: sets the terminal title; ESC [ 2 J clears; C2 9B is CSI */
	static const char evil[] = "\033]0;pwned\007\033[2J\xc2\x9b" "31m";
	char alert[512], finding[512];
	struct dump_writer *w = NULL;
	struct dump_opts o;

	if (argc != 2) {
		fprintf(stderr, "usage: dump-craft DIR\n");
		return 2;
	}
	dump_opts_default(&o);
	o.dir = argv[1];
	o.hostname = "node-1";
	o.agent_version = "9.9.9" "\033]0;pwned\007\033[2J";
	if (dump_writer_open(&w, &o))
		return 1;
	snprintf(alert, sizeof(alert), "{\"rule\":\"r%s\",\"priority\":\"Critical\","
		 "\"output\":\"x%s\",\"output_fields\":{}}", evil, evil);
	snprintf(finding, sizeof(finding), "{\"id\":\"f%s\",\"type\":\"t\",\"severity\":\"high\","
		 "\"status\":\"open\"}", evil);
	if (dump_write_alert(w, NULL, alert) || dump_write_finding(w, finding, strlen(finding)))
		return 1;
	return dump_writer_close(w) ? 1 : 0;
}
