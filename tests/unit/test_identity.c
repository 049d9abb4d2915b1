// SPDX-License-Identifier: Apache-2.0
/* test_identity.c - cluster identity from the flag, fixture DMI trees and Node objects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/identity.h"

#define FIXTURES "tests/fixtures"

static void test_identity_from_dmi_fixture_trees(void **state)
{
	static const struct { const char *root; const char *provider; } cases[] = {
		{ FIXTURES "/dmi/aws-nitro", "aws" },
		{ FIXTURES "/dmi/aws-xen", "aws" },
		{ FIXTURES "/dmi/gce", "gcp" },
		{ FIXTURES "/dmi/azure", "azure" },
		{ FIXTURES "/dmi/hyperv", "" },	/* same vendor/product as Azure, other tag */
		{ FIXTURES "/dmi/qemu", "" },
		{ FIXTURES "/dmi/no-such-tree", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cluster_identity id;

		memset(&id, 'x', sizeof(id));
		assert_int_equal(identity_detect(cases[i].root, NULL, &id), 0);
		if (strcmp(id.provider, cases[i].provider))
			fail_msg("%s: provider '%s', expected '%s'", cases[i].root, id.provider,
				 cases[i].provider);
		assert_string_equal(id.source, cases[i].provider[0] ? "dmi" : "");
		assert_string_equal(id.region, "");	/* never from DMI */
		assert_string_equal(id.zone, "");
		assert_string_equal(id.cluster_name, "");
	}
}

static void test_identity_cluster_name_comes_from_the_flag_only(void **state)
{
	struct cluster_identity id;

	identity_detect(FIXTURES "/dmi/gce", "prod-eu-1", &id);
	assert_string_equal(id.cluster_name, "prod-eu-1");
	assert_string_equal(id.provider, "gcp");
}

static cJSON *load_node(const char *name)
{
	char path[256], *text = NULL;
	size_t cap = 0;
	cJSON *node;
	FILE *f;

	snprintf(path, sizeof(path), FIXTURES "/nodes/%s.json", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(getdelim(&text, &cap, '\0', f) > 0);
	fclose(f);
	node = cJSON_Parse(text);
	free(text);
	assert_non_null(node);
	return node;
}

static void test_identity_from_node_objects(void **state)
{
	static const struct {
		const char *node;
		int ret;
		const char *provider, *region, *zone;
	} cases[] = {
		{ "eks", 0, "aws", "us-east-1", "us-east-1a" },
		{ "eks-nolabels", 0, "aws", "us-gov-west-1", "us-gov-west-1b" },
		{ "aws-localzone", 0, "aws", "us-west-2", "us-west-2-lax-1a" },
		{ "gke", 0, "gcp", "europe-west1", "europe-west1-b" },
		{ "gke-nolabels", 0, "gcp", "us-central1", "us-central1-c" },
		{ "aks", 0, "azure", "westeurope", "westeurope-1" },
		{ "kind", 0, "kind", "", "" },
		{ "bare", -ENOENT, "", "", "" },
		/* escape sequences and non-strings are not copied */
		{ "hostile", 0, "aws", "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cluster_identity id;
		cJSON *node = load_node(cases[i].node);
		int ret;

		identity_detect(FIXTURES "/dmi/qemu", "c1", &id);
		ret = identity_from_node_json(node, &id);
		if (ret != cases[i].ret || strcmp(id.provider, cases[i].provider) ||
		    strcmp(id.region, cases[i].region) || strcmp(id.zone, cases[i].zone))
			fail_msg("%s: %d '%s' '%s' '%s', expected %d '%s' '%s' '%s'", cases[i].node,
				 ret, id.provider, id.region, id.zone, cases[i].ret,
				 cases[i].provider, cases[i].region, cases[i].zone);
		assert_string_equal(id.cluster_name, "c1");	/* never from the node */
		cJSON_Delete(node);
	}
}

static void test_identity_node_overrides_dmi_and_keeps_what_it_lacks(void **state)
{
	struct cluster_identity id;
	cJSON *node;

	/* DMI says aws; a node without providerID keeps it and adds the region label */
	identity_detect(FIXTURES "/dmi/aws-nitro", NULL, &id);
	node = cJSON_Parse("{\"metadata\":{\"labels\":{"
			   "\"topology.kubernetes.io/region\":\"eu-central-1\"}}}");
	assert_int_equal(identity_from_node_json(node, &id), 0);
	assert_string_equal(id.provider, "aws");
	assert_string_equal(id.source, "dmi");
	assert_string_equal(id.region, "eu-central-1");
	cJSON_Delete(node);

	/* the providerID wins over DMI */
	node = load_node("gke");
	assert_int_equal(identity_from_node_json(node, &id), 0);
	assert_string_equal(id.provider, "gcp");
	assert_string_equal(id.source, "node");
	cJSON_Delete(node);

	node = cJSON_Parse("[1, 2]");
	assert_int_equal(identity_from_node_json(node, &id), -EINVAL);
	cJSON_Delete(node);
	assert_int_equal(identity_from_node_json(NULL, &id), -EINVAL);
}

/* The Node object as attribution reports it, merged over DMI: provider wins, gaps keep. */
static void test_identity_merge_takes_the_nodes_provider_and_keeps_the_rest(void **state)
{
	struct cluster_identity id, node = { .region = "eu-west-1" };

	identity_detect(FIXTURES "/dmi/aws-nitro", "prod", &id);
	identity_merge(&id, &node);
	assert_string_equal(id.provider, "aws");	/* no provider on the node: DMI's */
	assert_string_equal(id.source, "dmi");
	assert_string_equal(id.region, "eu-west-1");
	strcpy(node.provider, "gcp");
	strcpy(node.zone, "z1");
	strcpy(node.cluster_name, "other");
	identity_merge(&id, &node);
	assert_string_equal(id.provider, "gcp");
	assert_string_equal(id.source, "node");
	assert_string_equal(id.zone, "z1");
	assert_string_equal(id.cluster_name, "prod");	/* only ever from the flag */
}

static void test_identity_apply_sets_record_fields(void **state)
{
	struct cluster_identity id;
	struct cw_record *rec = calloc(1, sizeof(*rec));
	cJSON *node = load_node("eks");

	identity_detect(FIXTURES "/dmi/qemu", "prod", &id);
	identity_from_node_json(node, &id);
	strcpy(rec->cloud_region, "stale");
	identity_apply(&id, rec);
	assert_string_equal(rec->cluster_name, "prod");
	assert_string_equal(rec->cloud_provider, "aws");
	assert_string_equal(rec->cloud_region, "us-east-1");
	identity_detect(FIXTURES "/dmi/qemu", NULL, &id);
	identity_apply(&id, rec);
	assert_string_equal(rec->cloud_region, "");	/* unknown is <NA>, not stale */
	cJSON_Delete(node);
	free(rec);
}

/* --node-name, else a non-empty $NODE_NAME, else the host name (docs/operations.md). */
static void test_identity_node_name_option_then_env_then_hostname(void **state)
{
	char host[256] = "", buf[256], small[4];

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	setenv("NODE_NAME", "from-env", 1);
	identity_node_name("from-flag", buf, sizeof(buf));
	assert_string_equal(buf, "from-flag");
	identity_node_name(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "from-env");
	identity_node_name("", buf, sizeof(buf));	/* an empty option is no option */
	assert_string_equal(buf, "from-env");
	setenv("NODE_NAME", "", 1);			/* nor is an empty variable */
	identity_node_name(NULL, buf, sizeof(buf));
	assert_string_equal(buf, host);
	unsetenv("NODE_NAME");
	identity_node_name(NULL, buf, sizeof(buf));
	assert_string_equal(buf, host);
	identity_node_name("node-with-a-long-name", small, sizeof(small));
	assert_string_equal(small, "nod");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_from_dmi_fixture_trees),
		cmocka_unit_test(test_identity_cluster_name_comes_from_the_flag_only),
		cmocka_unit_test(test_identity_from_node_objects),
		cmocka_unit_test(test_identity_node_overrides_dmi_and_keeps_what_it_lacks),
		cmocka_unit_test(test_identity_merge_takes_the_nodes_provider_and_keeps_the_rest),
		cmocka_unit_test(test_identity_apply_sets_record_fields),
		cmocka_unit_test(test_identity_node_name_option_then_env_then_hostname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
