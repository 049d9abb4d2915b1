/* SPDX-License-Identifier: Apache-2.0 */
/*
 * creds.h - the table of watched credentials.
 *
 * An id is (generation << 20) | slot, so the kernel can carry a 32-bit id in
 * each event and a slot reused after a rotation never answers for the
 * credential that was there before: creds_get() of a stale id is NULL.
 * Returned pointers are valid until the next creds_add(): copy what you keep.
 */
#ifndef CW_CREDS_H
#define CW_CREDS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fsident.h"
#include "record.h"

#define CREDS_MAX_DEFAULT	(1u << 20)

struct cred_entry {
	uint32_t id;
	enum cw_cred_kind kind;
	uint64_t ino;
	uint32_t kdev;		/* st_dev in the kernel's encoding */
	dev_t dev;		/* st_dev */
	/*
	 * How the kernel program matches it (fsident.h): the superblock's
	 * device and the match mode of (ino, kdev); for a file seen through an
	 * overlay's merged view, the layer file behind it as a second key.
	 */
	uint32_t sb_kdev;
	uint8_t match;		/* enum fs_match */
	bool has_layer;
	struct fs_key layer;
	char fstype[FS_TYPE_LEN];
	const char *unmatched;	/* NULL, or why reads may go unseen (static string) */
	uint32_t mode, uid, gid;/* of the file, for posture findings */
	uint64_t size;		/* of the file when found (inventory) */
	int64_t mtime_s;	/* its modification time, Unix seconds (inventory) */
	bool legacy_token;	/* a token from a Secret volume, not projected */
	uint8_t owner;		/* enum cred_owner: whose credential it is */
	uint8_t exposure;	/* severity of an exposure (catalog): 0 the default
				 * (high), else 1 + enum catalog_severity */
	uint16_t flags;		/* CRED_F_* */
	uint32_t home_uid;	/* CRED_OWNER_HOME: the home's owner */
	/*
	 * Strings: never NULL in the table, which keeps its own copies (one
	 * allocation per entry, so 100k credentials cost their paths' length,
	 * not 100k PATH_MAX buffers). An entry passed in may leave any NULL.
	 */
	const char *group;	/* "host" or "pod:<uid>": unit of rescans */
	const char *path;	/* host path (without --host-root) */
	const char *pod_uid;	/* owner pod, "" for host credentials */
	const char *volume;	/* kubelet volume name */
	const char *secret_name;/* Secret name when known, else "" */
	const char *entry;	/* catalog entry that found it ("kubelet-projected", ...) */
};

/* Whose credential a file is: the catalog's owner semantics. */
enum cred_owner {
	CRED_OWNER_NODE = 0,	/* the node's own services (kubelet, runtime, cloud agent) */
	CRED_OWNER_CONTROL_PLANE,	/* the cluster's (admin kubeconfigs, CA keys, etcd) */
	CRED_OWNER_HOME,	/* a user's, under their home directory */
	CRED_OWNER_POD,		/* a pod's volume */
};

/* cred_entry.flags */
#define CRED_F_CI_WORKSPACE	0x1	/* found in a CI runner's job workspace */

/* "node", "control-plane", "home", "pod"; -EINVAL for another name. */
const char *cred_owner_name(enum cred_owner owner);
int cred_owner_parse(const char *name);

struct creds;

int creds_new(struct creds **out, uint32_t max_entries);
void creds_free(struct creds *t);

/* Insert a copy of c; its id is assigned and returned in *id. -ENOSPC when full. */
int creds_add(struct creds *t, const struct cred_entry *c, uint32_t *id);
/* Replace the file identity (ino/dev/mode...) of an existing entry. */
int creds_update(struct creds *t, uint32_t id, const struct cred_entry *c);
int creds_remove(struct creds *t, uint32_t id);
const struct cred_entry *creds_get(const struct creds *t, uint32_t id);
const struct cred_entry *creds_find_path(const struct creds *t, const char *path);
const struct cred_entry *creds_find_inode(const struct creds *t, uint64_t ino, uint32_t kdev);
/*
 * Iterate the live entries of one group: start with *cursor = 0. Entries
 * may be removed while iterating, except the one just returned's successor.
 */
const struct cred_entry *creds_group_next(const struct creds *t, const char *group,
					  uint32_t *cursor);
uint32_t creds_count(const struct creds *t);
/* Entries of one kind: kept as entries come and go, O(1). */
uint32_t creds_count_kind(const struct creds *t, enum cw_cred_kind kind);
void creds_count_by_kind(const struct creds *t, uint32_t counts[CW_CRED__MAX]);

/* Iterate live entries: start with *cursor = 0; NULL at the end. */
const struct cred_entry *creds_next(const struct creds *t, uint32_t *cursor);

#endif /* CW_CREDS_H */
