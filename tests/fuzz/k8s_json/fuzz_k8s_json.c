// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_k8s_json.c - libFuzzer harness for what user/k8s.c does with bytes
 * from the Kubernetes API: pod list pages and the newline-delimited watch
 * stream (through k8s_ingest_list / k8s_ingest_watch, no network). The
 * first byte of an input picks the path: 'L' the rest is a list body, 'W'
 * a watch stream, anything else a list body, a form feed, then a watch
 * stream. A few pods (those of tests/lib/fake_apiserver.py) are then
 * looked up with their container ids and volumes, as attribution does.
 */
#include <errno.h>

#include "tests/fuzz/fuzz_common.h"
#include "user/k8s.h"
#include "user/kubeconfig.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void lookups(struct k8s *k)
{
	static const char *const uids[] = {
		"11111111-2222-3333-4444-555555555555", "33333333-2222-3333-4444-555555555555",
		"44444444-2222-3333-4444-555555555555", "",
	};
	static const char cid_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char *const vols[] = { "db-creds", "kube-api-access-x7k2p", "data", NULL };
	struct k8s_pod_view v;
	struct k8s_stats st;

	for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++)
		for (size_t j = 0; j < sizeof(vols) / sizeof(vols[0]); j++) {
			int r = k8s_lookup(k, uids[i], j & 1 ? NULL : cid_a, vols[j], &v);

			CHECK(r == 0 || r == -ENOENT);
			if (r)
				continue;
			CHECK(memchr(v.name, '\0', sizeof(v.name)) &&
			      memchr(v.container_image, '\0', sizeof(v.container_image)) &&
			      memchr(v.secret_name, '\0', sizeof(v.secret_name)));
		}
	k8s_stats(k, &st);
	CHECK(st.pods <= 16);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_config *cfg = calloc(1, sizeof(*cfg));
	struct k8s_opts o = { .node_name = "node-1", .max_pods = 16 };
	const char *body = (const char *)data + 1, *ff;
	size_t n = size ? size - 1 : 0;
	struct k8s *k;
	int r;

	if (!cfg)
		return 0;
	cfg->server = strdup("https://127.0.0.1:1");
	cfg->source = strdup("fuzz");
	o.config = cfg;
	if (k8s_new(&k, &o))	/* owns cfg from here, even on failure */
		return 0;
	if (size == 0)
		goto cleanup;
	switch (data[0]) {
	case 'L':
		r = k8s_ingest_list(k, body, n);
		CHECK(r == 0 || r == -EPROTO || r == -ENOMEM);
		break;
	case 'W':
		r = k8s_ingest_watch(k, body, n);
		CHECK(r == 0 || r == -EPROTO || r == -ESTALE || r == -ENOMEM);
		break;
	default:
		ff = memchr(body, '\f', n);
		r = k8s_ingest_list(k, body, ff ? (size_t)(ff - body) : n);
		CHECK(r == 0 || r == -EPROTO || r == -ENOMEM);
		lookups(k);
		if (ff)
			r = k8s_ingest_watch(k, ff + 1, n - (size_t)(ff + 1 - body));
		break;
	}
	lookups(k);
cleanup:
	k8s_free(k);
	return 0;
}
