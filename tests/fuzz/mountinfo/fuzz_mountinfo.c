// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_mountinfo.c - libFuzzer harness for the mount table reader
 * (user/mountinfo.c): mount points below the kubelet pods directory are
 * named by whoever can mount there, and the file is re-read on every mount.
 * An input is a mountinfo file; it is read as the agent reads it (from a
 * memfd, in chunks) and every result must keep the header's promises: the
 * set sorted by mount id without duplicates, each path a volume directory
 * below the pods dir (four names, "volumes" second, a wanted plugin, no
 * dot names) or "" for a mount at or above it, one entry at most per line;
 * a diff against the previous input's set reports only paths of either.
 */
#include <errno.h>

#include "tests/fuzz/fuzz_common.h"
#include "user/mountinfo.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)
#define PODS "/host/var/lib/kubelet/pods"

static bool want(const char *plugin)
{
	return !strcmp(plugin, "kubernetes.io~projected") || !strcmp(plugin, "kubernetes.io~secret");
}

static struct kvol_set prev;

static bool in_set(const struct kvol_set *s, const char *rel)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(kvol_rel(s, &s->v[i]), rel))
			return true;
	return false;
}

static const struct kvol_set *diff_old, *diff_new;

static void changed(void *ctx, const char *rel)
{
	(void)ctx;
	CHECK(in_set(diff_old, rel) || in_set(diff_new, rel));
}

static void check_rel(const char *rel)
{
	char mp[8192];
	const char *again;

	if (!rel[0])
		return;
	CHECK(strlen(rel) < sizeof(mp) - sizeof(PODS) - 1);
	snprintf(mp, sizeof(mp), PODS "/%s", rel);
	again = mountinfo_volume_rel(mp, PODS, want);
	CHECK(again && !strcmp(again, rel));
	CHECK(rel[0] != '.' && !strstr(rel, "/.") && !strstr(rel, "//"));
	CHECK(!strncmp(strchr(rel, '/'), "/volumes/", 9));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvol_set s = { 0 };
	char path[64];
	int fd;

	fuzz_quiet();
	fd = fuzz_memfd(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	if (kvol_set_read(&s, fd, PODS, want)) {
		close(fd);
		kvol_set_free(&s);
		return 0;
	}
	close(fd);
	CHECK(s.n <= s.lines);
	for (size_t i = 0; i < s.n; i++) {
		CHECK(s.v[i].rel_off < s.slen);
		CHECK(!i || s.v[i - 1].mnt_id < s.v[i].mnt_id);
		check_rel(kvol_rel(&s, &s.v[i]));
	}
	diff_old = &prev;
	diff_new = &s;
	CHECK(kvol_set_diff(&prev, &s, changed, NULL) <= prev.n + s.n);
	CHECK(kvol_set_diff(&s, &s, changed, NULL) == 0);
	kvol_set_free(&prev);
	prev = s;
	return 0;
}
