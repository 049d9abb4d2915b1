// SPDX-License-Identifier: Apache-2.0
/* credwatch-inspect - placeholder replaced by the dump reader branch. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "credwatch-inspect: not built yet\n");
	return 2;
}
