/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity.h - this node's name, and which cluster and cloud it belongs
 * to, for the k8s.cluster.name, cloud.provider and cloud.region fields.
 *
 * Detected, never guessed, never fetched from a cloud metadata endpoint:
 *   cluster name  --cluster-name only (nothing on a node says it reliably)
 *   provider      the node object's spec.providerID scheme when the API is
 *                 reachable (identity_from_node_json), else DMI under
 *                 --host-root: sys/class/dmi/id/{sys_vendor,product_name,
 *                 bios_vendor,bios_version,board_vendor,chassis_asset_tag}
 *   region, zone  the node's topology.kubernetes.io/{region,zone} labels,
 *                 else derived from the zone in an aws or gce providerID;
 *                 DMI carries no region, so offline it stays unset (<NA>)
 */
#ifndef CW_IDENTITY_H
#define CW_IDENTITY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "opt.h"
#include "record.h"

struct identity_opts {
	char *node_name;	/* --node-name; NULL: identity_node_name()'s default */
	char *cluster_name;	/* --cluster-name; NULL: unset */
};

/* --node-name, --cluster-name (opt.h) */
extern const struct opt_table identity_options;

/*
 * identity_node_name - this node's name, as documented for --node-name:
 * the option when given (non-empty), else $NODE_NAME (the DaemonSet sets
 * it from the downward API) when non-empty, else the host name, else
 * "unknown". Always NUL-terminated. The one place the agent decides it:
 * alerts (hostname), findings, dumps, the backend and the API client's
 * pod selector all use what it returns.
 */
void identity_node_name(const char *option, char *buf, size_t size);

/* "" = unknown, printed <NA>. */
struct cluster_identity {
	char cluster_name[CW_REC_NAME_MAX];
	char provider[64];	/* aws, gcp, azure, or another providerID scheme */
	char region[64];	/* e.g. us-east-1, us-central1, westeurope */
	char zone[64];		/* e.g. us-east-1a; not on records yet */
	char source[16];	/* where provider came from: "node", "dmi" or "" */
};

/*
 * identity_detect - start-up detection without the API: cluster name from
 * the option (may be NULL), provider from DMI under host_root ("/" or
 * NULL for the real root). Fills out completely; a missing DMI tree just
 * leaves the provider unknown. Returns 0.
 */
int identity_detect(const char *host_root, const char *cluster_name_opt,
		    struct cluster_identity *out);

/*
 * identity_from_node_json - refine out from this node's Kubernetes Node
 * object (GET /api/v1/nodes/NAME): provider (and zone, region for aws and
 * gce) from spec.providerID, region and zone from the topology labels
 * (which win). Fields the node does not carry are left as they were, so
 * call it after identity_detect(); the cluster name is never touched.
 * Returns 0 when something was found, -ENOENT when the node carries none
 * of it, -EINVAL when node is not an object.
 */
int identity_from_node_json(const cJSON *node, struct cluster_identity *out);

/*
 * identity_merge - what attribution learnt from this node's Node object
 * (attrib_node_identity()) over what identity_detect() found: the node's
 * provider wins over DMI (source "node"), its region and zone over none;
 * what node lacks is kept, and the cluster name is never touched.
 */
void identity_merge(struct cluster_identity *id, const struct cluster_identity *node);

/* Copy the identity onto a record (per event; strings only). */
void identity_apply(const struct cluster_identity *id, struct cw_record *rec);

#endif /* CW_IDENTITY_H */
