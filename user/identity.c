// SPDX-License-Identifier: Apache-2.0
/* identity.c - node name; cluster name, cloud provider and region: from flags, DMI, the node object. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "log.h"

/* Azure's fixed chassis asset tag: on-prem Hyper-V has the same vendor and product. */
#define AZURE_ASSET_TAG "7783-7084-3265-9085"

struct dmi {
	char sys_vendor[128];
	char product_name[128];
	char bios_vendor[128];
	char bios_version[128];
	char board_vendor[128];
	char chassis_asset_tag[128];
};

void identity_node_name(const char *option, char *buf, size_t size)
{
	const char *env = getenv("NODE_NAME");

	if (option && option[0])
		snprintf(buf, size, "%s", option);
	else if (env && env[0])
		snprintf(buf, size, "%s", env);
	else if (gethostname(buf, size) || !buf[0])
		snprintf(buf, size, "unknown");
	buf[size - 1] = '\0';	/* gethostname does not terminate a cut name */
}

/* One DMI attribute, trailing whitespace stripped; "" when absent. */
static void dmi_read(const char *dir, const char *name, char *buf, size_t size)
{
	char path[4096 + 64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/*
 * The strings each cloud's hypervisor puts in DMI (as cloud-init's
 * ds-identify checks them): EC2 Nitro says "Amazon EC2" in the vendor
 * fields, EC2 Xen instances only in bios_version ("4.11.amazon"); GCE says
 * "Google" / "Google Compute Engine"; Azure only by its chassis asset tag.
 */
static const char *dmi_provider(const struct dmi *d)
{
	if (!strcmp(d->sys_vendor, "Amazon EC2") || !strcmp(d->board_vendor, "Amazon EC2") ||
	    !strcmp(d->bios_vendor, "Amazon EC2") || !strcmp(d->chassis_asset_tag, "Amazon EC2") ||
	    (!strcmp(d->sys_vendor, "Xen") && ends_with(d->bios_version, ".amazon")))
		return "aws";
	if (!strcmp(d->product_name, "Google Compute Engine") || !strcmp(d->sys_vendor, "Google"))
		return "gcp";
	if (!strcmp(d->chassis_asset_tag, AZURE_ASSET_TAG))
		return "azure";
	return NULL;
}

int identity_detect(const char *host_root, const char *cluster_name_opt,
		    struct cluster_identity *out)
{
	char dir[4096];
	const char *p;
	struct dmi d;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	if (cluster_name_opt)
		record_strlcpy(out->cluster_name, cluster_name_opt, sizeof(out->cluster_name));
	snprintf(dir, sizeof(dir), "%s/sys/class/dmi/id",
		 host_root && strcmp(host_root, "/") ? host_root : "");
	dmi_read(dir, "sys_vendor", d.sys_vendor, sizeof(d.sys_vendor));
	dmi_read(dir, "product_name", d.product_name, sizeof(d.product_name));
	dmi_read(dir, "bios_vendor", d.bios_vendor, sizeof(d.bios_vendor));
	dmi_read(dir, "bios_version", d.bios_version, sizeof(d.bios_version));
	dmi_read(dir, "board_vendor", d.board_vendor, sizeof(d.board_vendor));
	dmi_read(dir, "chassis_asset_tag", d.chassis_asset_tag, sizeof(d.chassis_asset_tag));
	p = dmi_provider(&d);
	if (p) {
		record_strlcpy(out->provider, p, sizeof(out->provider));
		record_strlcpy(out->source, "dmi", sizeof(out->source));
	}
	log_debug("identity: %s: sys_vendor '%s' product_name '%s': provider %s", dir,
		  d.sys_vendor, d.product_name, p ? p : "unknown");
	return 0;
}

/* A label value or providerID part we are willing to copy: short, [A-Za-z0-9._-]. */
static bool is_token(const char *s, size_t len, size_t max)
{
	if (!len || len >= max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * AWS zone -> region: the region is the zone's leading
 * "<letters>(-<letters>)*-<digits>": us-east-1a -> us-east-1,
 * us-gov-west-1b -> us-gov-west-1, local zone us-west-2-lax-1a -> us-west-2.
 */
static bool aws_zone_region(const char *zone, char *region, size_t size)
{
	const char *p = zone;
	int words = 0;

	while (*p) {
		const char *dash = strchr(p, '-');

		if (*p >= '0' && *p <= '9') {
			size_t len;

			while (*p >= '0' && *p <= '9')
				p++;
			len = (size_t)(p - zone);
			if (words < 2 || len >= size)
				return false;
			memcpy(region, zone, len);
			region[len] = '\0';
			return true;
		}
		for (const char *q = p; q < (dash ? dash : p + strlen(p)); q++)
			if (*q < 'a' || *q > 'z')
				return false;
		if (!dash)
			return false;
		words++;
		p = dash + 1;
	}
	return false;
}

/* GCE zone -> region: drop the last "-x": us-central1-a -> us-central1. */
static bool gce_zone_region(const char *zone, char *region, size_t size)
{
	const char *dash = strrchr(zone, '-');
	size_t len = dash ? (size_t)(dash - zone) : 0;

	if (!len || len >= size || !dash[1])
		return false;
	memcpy(region, zone, len);
	region[len] = '\0';
	return true;
}

/*
 * spec.providerID is "<scheme>://<rest>": aws:///<zone>/<instance>,
 * gce://<project>/<zone>/<name>, azure:///subscriptions/...; other
 * schemes (openstack, vsphere, kind...) name the provider as they are.
 */
static bool from_provider_id(const char *id, struct cluster_identity *out)
{
	const char *sep = strstr(id, "://"), *rest, *slash;
	char scheme[32], zone[64] = "", region[64] = "";
	size_t len;

	if (!sep || !is_token(id, (size_t)(sep - id), sizeof(scheme)))
		return false;
	len = (size_t)(sep - id);
	memcpy(scheme, id, len);
	scheme[len] = '\0';
	rest = sep + 3;
	if (!strcmp(scheme, "aws")) {
		/* "/us-east-1a/i-0123": the zone is the first path element */
		if (*rest == '/')
			rest++;
		slash = strchr(rest, '/');
		if (slash && is_token(rest, (size_t)(slash - rest), sizeof(zone))) {
			memcpy(zone, rest, (size_t)(slash - rest));
			zone[slash - rest] = '\0';
			if (!aws_zone_region(zone, region, sizeof(region)))
				zone[0] = '\0';
		}
		record_strlcpy(out->provider, "aws", sizeof(out->provider));
	} else if (!strcmp(scheme, "gce")) {
		/* "project/zone/name" */
		const char *z = strchr(rest, '/');

		slash = z ? strchr(z + 1, '/') : NULL;
		if (slash && is_token(z + 1, (size_t)(slash - z - 1), sizeof(zone))) {
			memcpy(zone, z + 1, (size_t)(slash - z - 1));
			zone[slash - z - 1] = '\0';
			if (!gce_zone_region(zone, region, sizeof(region)))
				zone[0] = '\0';
		}
		record_strlcpy(out->provider, "gcp", sizeof(out->provider));
	} else {
		for (char *c = scheme; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		record_strlcpy(out->provider, scheme, sizeof(out->provider));
	}
	record_strlcpy(out->source, "node", sizeof(out->source));
	if (zone[0]) {
		record_strlcpy(out->zone, zone, sizeof(out->zone));
		record_strlcpy(out->region, region, sizeof(out->region));
	}
	return true;
}

/* A topology label, or its pre-1.17 failure-domain.beta name. */
static bool from_label(const cJSON *labels, const char *ga, const char *beta,
		       char *dst, size_t size)
{
	const char *v = json_str(labels, ga);

	if (!v)
		v = json_str(labels, beta);
	if (!v || !is_token(v, strlen(v), size))
		return false;
	record_strlcpy(dst, v, size);
	return true;
}

int identity_from_node_json(const cJSON *node, struct cluster_identity *out)
{
	const cJSON *spec, *meta, *labels;
	const char *pid;
	bool found = false;

	if (!cJSON_IsObject(node))
		return -EINVAL;
	spec = cJSON_GetObjectItemCaseSensitive(node, "spec");
	pid = spec ? json_str(spec, "providerID") : NULL;
	if (pid && from_provider_id(pid, out))
		found = true;
	meta = cJSON_GetObjectItemCaseSensitive(node, "metadata");
	labels = meta ? cJSON_GetObjectItemCaseSensitive(meta, "labels") : NULL;
	if (cJSON_IsObject(labels)) {
		if (from_label(labels, "topology.kubernetes.io/region",
			       "failure-domain.beta.kubernetes.io/region",
			       out->region, sizeof(out->region)))
			found = true;
		if (from_label(labels, "topology.kubernetes.io/zone",
			       "failure-domain.beta.kubernetes.io/zone",
			       out->zone, sizeof(out->zone)))
			found = true;
	}
	return found ? 0 : -ENOENT;
}

void identity_merge(struct cluster_identity *id, const struct cluster_identity *node)
{
	if (node->provider[0]) {
		snprintf(id->provider, sizeof(id->provider), "%s", node->provider);
		snprintf(id->source, sizeof(id->source), "node");
	}
	if (node->region[0])
		snprintf(id->region, sizeof(id->region), "%s", node->region);
	if (node->zone[0])
		snprintf(id->zone, sizeof(id->zone), "%s", node->zone);
}

void identity_apply(const struct cluster_identity *id, struct cw_record *rec)
{
	record_strlcpy(rec->cluster_name, id->cluster_name, sizeof(rec->cluster_name));
	record_strlcpy(rec->cloud_provider, id->provider, sizeof(rec->cloud_provider));
	record_strlcpy(rec->cloud_region, id->region, sizeof(rec->cloud_region));
}

static const struct opt_desc identity_option_list[] = {
	OPT_STR(struct identity_opts, node_name, "node-name", "NAME",
		"$NODE_NAME, else the host name", "this node's name"),
	OPT_STR(struct identity_opts, cluster_name, "cluster-name", "NAME", "unset (<NA>)",
		"cluster name put on every event and alert"),
};

const struct opt_table identity_options = OPT_TABLE(identity_option_list, NULL, NULL);
