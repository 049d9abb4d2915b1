// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_cgroup_path.c - libFuzzer harness for cgroup_path_parse (user/cgroup.c):
 * cgroup directory names are chosen by whoever can create cgroups (runtimes,
 * and anyone with a delegated subtree). Each input is one path; the result
 * must keep the header's promises (terminated fields, ids of hex digits of
 * the documented lengths, a kind that matches the return value).
 */
#include <ctype.h>
#include <errno.h>

#include "tests/fuzz/fuzz_common.h"
#include "user/cgroup.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void check_hex(const char *s, size_t min, size_t max, const char *extra)
{
	size_t n = strlen(s);

	CHECK(n >= min && n <= max);
	for (size_t i = 0; i < n; i++)
		CHECK(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f') ||
		      strchr(extra, s[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgroup_attr a;
	char *path = fuzz_cstr(data, size);
	int ret;

	if (!path)
		return 0;
	memset(&a, 0xa5, sizeof(a));	/* parse must fill every field */
	ret = cgroup_path_parse(path, &a);
	CHECK(ret == 0 || ret == -EINVAL || ret == -ENOENT);
	CHECK(memchr(a.container_id, '\0', sizeof(a.container_id)));
	CHECK(memchr(a.pod_uid, '\0', sizeof(a.pod_uid)));
	CHECK(memchr(a.runtime, '\0', sizeof(a.runtime)));
	CHECK(memchr(a.qos, '\0', sizeof(a.qos)));
	CHECK(strcmp(cgroup_kind_name(a.kind), "") != 0);
	if (ret)
		CHECK(a.kind == CG_UNKNOWN);
	else
		CHECK(a.kind == CG_HOST || a.kind == CG_POD || a.kind == CG_CONTAINER);
	if (a.kind == CG_CONTAINER)
		check_hex(a.container_id, 12, 128, "");
	if (a.pod_uid[0])
		check_hex(a.pod_uid, 32, 36, "-");
	free(path);
	return 0;
}
