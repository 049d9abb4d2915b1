/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inspect.h - what the credwatch-inspect commands share: the program name,
 * time parsing and formatting, and one entry point per command that lives in
 * its own file under tools/inspect/ (report.c so far; the others are still in
 * tools/credwatch-inspect.c).
 *
 * A command's entry point takes the arguments after the command name
 * (argv[0] is the command) and returns the process exit status: 0 everything
 * was read, 1 damaged input or an output failure, 2 a usage error.
 */
#ifndef CW_INSPECT_H
#define CW_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#define INSPECT_PROG	"credwatch-inspect"

/*
 * inspect_parse_time - RFC 3339 ("2024-05-01T12:00:00.5Z", "+02:00"
 * offsets) or epoch seconds ("1714564800.25") to ns since the epoch.
 * Returns 0 or -EINVAL.
 */
int inspect_parse_time(const char *s, uint64_t *out_ns);

/* "2024-05-01T12:00:00.123456Z" (microseconds); returns buf. */
const char *inspect_fmt_time(uint64_t ns, char *buf, size_t size);

/* credwatch-inspect report DUMP... (tools/inspect/report.c) */
int report_main(int argc, char **argv);

#endif /* CW_INSPECT_H */
