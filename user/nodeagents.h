/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nodeagents.h - the node agents' executables, by identity.
 *
 * A reader's name (comm), argv and path string are its own to choose: a
 * copy of cat named kubelet is "kubelet" by every one of them. What it
 * cannot choose is the file it runs (the kernel's mm->exe_file, captured
 * as (device, inode) at hit time) and its mount namespace. This module
 * keeps the inventory rules trust: the (device, inode) of each node
 * agent's executable, taken when the agent starts and on SIGHUP from
 *
 *   the host's process table  processes in the host's mount namespace
 *                             (that of <host-root>/proc/1, or of /proc/1
 *                             when --host-root has no /proc) whose
 *                             executable's base name is in --node-agents,
 *                             whose file is root's and not writable by
 *                             group or others, in a directory that is
 *                             root's and not writable by group or others
 *                             (so an unprivileged user's hard link of a
 *                             root binary named kubelet is not taken)
 *   configured paths          --node-agent-paths, resolved inside
 *                             --host-root, with the same file checks
 *                             (binaries that are not always running: runc,
 *                             kubectl)
 *
 * A reader is a genuine node agent (proc.node_agent) when it runs in the
 * host's mount namespace and its executable's (device, inode) is in the
 * inventory: a renamed copy has another inode, a file at /usr/bin/kubelet
 * inside a container image another device and another mount namespace.
 * The inventory is the state at the last scan: a binary upgraded in place
 * (a new inode) is taken at the next SIGHUP or restart; until then its
 * reads alert, which is the safe side.
 */
#ifndef CW_NODEAGENTS_H
#define CW_NODEAGENTS_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"

#define NODE_AGENT_NAME_MAX	64

/* --node-agents, --node-agent-paths (opt.h); the agent passes them to node_agents_new() */
struct nodeagents_opts {
	struct strlist names;		/* default: node_agents_default_names() */
	struct strlist paths;		/* default: node_agents_default_paths() */
};

extern const struct opt_table nodeagents_options;

struct node_agents_opts {
	const char *host_root;		/* --host-root; NULL or "/": the real root */
	char *const *names;		/* executable base names looked for in /proc */
	int n_names;
	char *const *paths;		/* host paths registered even when not running */
	int n_paths;
};

struct node_agent {
	uint64_t ino;
	uint32_t kdev;			/* kernel s_dev encoding, as events carry it */
	char name[NODE_AGENT_NAME_MAX];	/* the executable's base name: kubelet */
	char path[256];			/* the host path it was found at */
	char source[8];			/* "proc" or "config" */
};

struct node_agents;

/* The built-in --node-agents and --node-agent-paths lists, NULL-terminated. */
const char *const *node_agents_default_names(size_t *n);
const char *const *node_agents_default_paths(size_t *n);

/*
 * node_agents_new - copy the options and scan once. 0 or -ENOMEM; a scan
 * that finds nothing (no /proc under --host-root, no agent running) is not
 * an error: the inventory is empty and no reader is a node agent.
 */
int node_agents_new(struct node_agents **out, const struct node_agents_opts *opts);
void node_agents_free(struct node_agents *na);

/*
 * node_agents_scan - rebuild the inventory (start-up, SIGHUP). Returns the
 * number of entries, or -ENOMEM (the previous inventory is kept). Entries
 * refused by the ownership checks are logged once per scan.
 */
int node_agents_scan(struct node_agents *na);

/* The host's mount namespace inode (see above), 0 unknown. */
uint32_t node_agents_host_mnt_ns(const struct node_agents *na);

/* The entry of an executable (kernel dev encoding), or NULL. */
const struct node_agent *node_agents_find(const struct node_agents *na, uint64_t ino,
					   uint32_t kdev);

/* Entry i in (kdev, ino) order, for --list-watched style listings and tests. */
const struct node_agent *node_agents_get(const struct node_agents *na, size_t i);
size_t node_agents_count(const struct node_agents *na);

#endif /* CW_NODEAGENTS_H */
