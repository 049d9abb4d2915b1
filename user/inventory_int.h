/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inventory_int.h - what `credwatch inventory` collects (inventory.c) and
 * prints (inventory_print.c): one item per credential with its verdicts
 * and finding ids, the refusals, the finding lines.
 */
#ifndef CW_INVENTORY_INT_H
#define CW_INVENTORY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "creds.h"
#include "inventory.h"
#include "passwd.h"
#include "pods.h"
#include "watch.h"

#define MAX_FINDINGS_PER_CRED	4
#define UID_CACHE		256

enum verdict {
	V_WORLD = 0, V_GROUP, V_LOGIN_OWNER, V_FOREIGN, V_CI, V_ADMIN_WORKER, V_LEGACY, V__COUNT
};


/* One credential, as listed. Strings are owned. */
struct item {
	struct cred_entry c;
	bool watched;			/* false: discovery refused it (another user's file) */
	int severity;			/* the highest of its findings, -1 none */
	unsigned verdicts;		/* 1 << enum verdict */
	int nids;
	char ids[MAX_FINDINGS_PER_CRED][24];
};

struct refusal {
	enum watch_refusal reason;
	char *path, *entry, *why;
	uint64_t count;
};

struct inv {
	const struct inventory_opts *o;
	const char *root;		/* the host root, "/" for the real one */
	struct item *items;
	size_t nitems, cap;
	struct refusal *refusals;
	size_t nrefusals, rcap;
	char **lines;			/* finding lines, as the agent emits them */
	size_t nlines, lcap;
	uint64_t by_severity[4];
	struct item *cur;		/* the item findings_check is reporting on */
	struct pods *pods;
	struct { uint32_t uid; char name[PASSWD_NAME_MAX]; } uids[UID_CACHE];
	int nuids;
	bool oom;
};

/* The table for people; items sorted, lines from v. */
void inventory_print_text(struct inv *v, FILE *out, uint64_t now_s, const char *node);
/* One JSON document: items, refusals and the finding lines. 0 or -ENOMEM. */
int inventory_print_json(struct inv *v, FILE *out, uint64_t now_s, const char *node,
			 const char *cluster);

#endif /* CW_INVENTORY_INT_H */
