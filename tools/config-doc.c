// SPDX-License-Identifier: Apache-2.0
/*
 * config-doc - print the option table as Markdown; `make docs` splices it
 * into docs/operations.md so the documented keys are the real ones.
 */
#include <stdio.h>

#include "user/config.h"

int main(void)
{
	config_print_markdown(stdout);
	return fflush(stdout) ? 1 : 0;
}
