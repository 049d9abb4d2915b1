// SPDX-License-Identifier: Apache-2.0
/* usage.c - the usage error of every credwatch-inspect command: one line, then where help is. */
#include <stdio.h>

#include "inspect.h"

int inspect_usage_error(const char *prog, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s: try '%s --help'\n", prog, prog);
	return 2;
}
