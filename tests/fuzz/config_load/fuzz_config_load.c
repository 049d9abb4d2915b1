// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_config_load.c - libFuzzer harness for the config file loader
 * (config_load_file in user/config.c, libyaml underneath): /etc/credwatch
 * and the Helm ConfigMap are edited by hand. Each input is one file. When
 * it loads, the configuration is validated, printed as a config file, and
 * the printed text must load back into the same settings (config_diff 0).
 */
#include "tests/fuzz/fuzz_common.h"
#include "user/config.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config a, b;
	char err[512], diff[512], path[64], path2[64];
	char *printed = NULL;
	size_t plen = 0;
	FILE *out;
	int fd, fd2 = -1, r;

	config_init(&a);
	config_init(&b);
	fd = fuzz_memfd(data, size, path, sizeof(path));
	if (fd < 0)
		goto cleanup;
	err[0] = '\0';
	r = config_load_file(&a, path, err, sizeof(err));
	CHECK(memchr(err, '\0', sizeof(err)));
	if (r) {
		CHECK(err[0]);	/* every failure says why */
		goto cleanup;
	}
	(void)config_validate(&a, err, sizeof(err));
	out = open_memstream(&printed, &plen);
	if (!out)
		goto cleanup;
	config_print(&a, out);
	fclose(out);
	fd2 = fuzz_memfd((const uint8_t *)printed, plen, path2, sizeof(path2));
	if (fd2 < 0)
		goto cleanup;
	r = config_load_file(&b, path2, err, sizeof(err));
	if (r)
		fprintf(stderr, "printed config does not load: %s\n%s", err, printed);
	CHECK(r == 0);
	r = config_diff(&a, &b, diff, sizeof(diff));
	if (r)
		fprintf(stderr, "printed config differs in: %s\n%s", diff, printed);
	CHECK(r == 0);
cleanup:
	free(printed);
	config_free(&a);
	config_free(&b);
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	return 0;
}
