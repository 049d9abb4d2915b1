/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inventory.h - `credwatch inventory`: every credential on the node, whose
 * it is and who may read it who should not, in seconds, without the eBPF
 * sensor and without a cluster (README, "Inventory"; docs/catalog.md).
 *
 *   credwatch inventory [--json] [--host-root DIR] [--catalog FILE|DIR]...
 *                       [--fail-on low|medium|high|critical] [--node-name NAME]
 *                       [--cluster-name NAME] [--config FILE]
 *
 * Discovery is the agent's (watch.h with the catalog, one scan, no bounds):
 * what the inventory lists is what the agent watches, plus what discovery
 * refuses (a file under a home owned by another user, a symlink leading out
 * of where it may point). Verdicts are the agent's findings (findings.h):
 * the same types, severities, ids and JSON. Nothing is read but directory
 * listings, stat(), and public files (the host's /etc/passwd, static pod
 * manifests, kubelet's vol_data.json): never a credential.
 *
 * Exit status: 0, or 3 with --fail-on when a finding at or above that
 * severity exists; 1 runtime failure; 2 usage or catalog error.
 */
#ifndef CW_INVENTORY_H
#define CW_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "opt.h"

#define INVENTORY_EXIT_FINDINGS	3

/* The subcommand's options: its --help, and the man page's INVENTORY section lists them. */
extern const struct opt_table inventory_options;

struct inventory_opts {
	const char *host_root;		/* NULL: "/" */
	const char *const *catalog;	/* files or directories; none: the default */
	int ncatalog;
	const char *node_name;		/* NULL: $NODE_NAME, else the host name */
	const char *cluster_name;	/* NULL: none */
	bool json;
	int fail_on;			/* 0 low .. 3 critical, or -1: never fail */
	FILE *out;			/* NULL: stdout */
	uint64_t now_s;			/* 0: the wall clock (tests pin it) */
};

/* Run one inventory; returns the exit status (above). */
int inventory_run(const struct inventory_opts *opts);

/* `credwatch inventory ARGS`: argv[0] is "inventory". Returns the exit status. */
int inventory_main(int argc, char **argv);

#endif /* CW_INVENTORY_H */
