// SPDX-License-Identifier: Apache-2.0
/*
 * config-doc - print the option table as Markdown (or, with "man", as
 * troff); `make docs` splices it into docs/operations.md and
 * man/credwatch.8 so the documented options are the real ones.
 */
#include <stdio.h>
#include <string.h>

#include "user/config.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "man"))
		config_print_man(stdout);
	else
		config_print_markdown(stdout);
	return fflush(stdout) ? 1 : 0;
}
