/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.h - where credentials live on a node, as data: catalog files
 * (every .yaml file of /etc/credwatch/catalog.d, --catalog FILE|DIR), loaded,
 * checked and matched against the host below --host-root (docs/catalog.md).
 *
 * A catalog file is one YAML sequence of entries (or empty). Files are
 * applied in order; an entry whose name an earlier file defined replaces it
 * in place (`enabled: false` alone switches it off):
 *
 *   - entry: NAME            [a-z0-9][a-z0-9._-]*, at most 63 bytes; unique in a file
 *     kind: KIND             sa_token secret kubeconfig pki cloud custom registry ssh
 *                            etcd ci token                                (required)
 *     owner: OWNER           node | control-plane | home | pod           (node)
 *     paths: [PATTERN...]    where it is; at least one unless from-flag is given
 *     from-flag:             the path a static pod's flag names (public manifest):
 *       manifest: PATH         absolute host path of the manifest
 *       flag: --NAME           "--NAME=VALUE" or "--NAME VALUE" in command/args;
 *                              VALUE is mapped to the host through the container's
 *                              hostPath volumeMounts (no mount: not on the host)
 *       paths: [REL...]        patterns below VALUE (a directory); default VALUE itself
 *     follow: FOLLOW         which symlinks below the entry's fixed part are followed:
 *                              none | entry (target inside the entry's fixed
 *                              directory) | home (inside the user's home) |
 *                              atomic-writer (kubelet's ..data links)
 *                              (home for home, atomic-writer for pod, else none)
 *     depth: N               directories a "**" component may match, 0..16 (4)
 *     max: N                 files per owner (per home, per pod, on the node) 1..65536
 *                            (256); beyond it files are refused and counted
 *     ignore: [PATTERN...]   never a credential: a pattern without '/' is matched
 *                            against the file name ("*.crt", "*.pub", "known_hosts"),
 *                            one with '/' is a path (same form as paths) below which
 *                            nothing is looked at ("~/.kube/cache")
 *     users: [NAME...]       home only: only these users' homes (basename of the home)
 *     csi-driver: NAME       pod only, paths under volumes/kubernetes.io~csi/<vol>/:
 *                            only volumes whose kubelet vol_data.json names NAME
 *     severity: SEV          low | medium | high | critical: of an exposure (high)
 *     finding: ci_workspace_credential   every file found is a finding by location
 *     enabled: BOOL          (true)
 *
 * PATTERN: a path whose components are literal names or fnmatch(3) globs
 * ("*", "?", "[...]"; a leading '.' is matched only literally), or "**" (any
 * number of directories, up to depth). Its form follows the owner: absolute
 * for node and control-plane; "~/..." for home (every home: /root and the
 * directories of /home); relative to the pod directory for pod
 * (/var/lib/kubelet/pods/<uid>/). No "." or ".." components, no empty ones.
 *
 * Errors name FILE:LINE: unknown keys, wrong types, bad names, patterns or
 * values, duplicate entries in one file, YAML syntax. A load that has any
 * error returns no catalog.
 *
 * Matching (catalog_scan) never opens a credential: every path goes through
 * safepath.h (O_PATH, symlinks only by the entry's follow policy, inside
 * --host-root); files under a home must belong to the home's owner or root.
 */
#ifndef CW_CATALOG_H
#define CW_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "../creds.h"
#include "../record.h"
#include "safepath.h"

#ifndef CW_CATALOG_DIR
#define CW_CATALOG_DIR		"/etc/credwatch/catalog.d"
#endif
#define CATALOG_DIAG_MAX	64
#define CATALOG_MAX_DEFAULT	256
#define CATALOG_MAX_LIMIT	65536
#define CATALOG_DEPTH_DEFAULT	4
#define CATALOG_DEPTH_LIMIT	16
#define CATALOG_NAME_MAX	63
#define CATALOG_MANIFEST_MAX	(1u << 20)	/* bytes of a static pod manifest read */

enum catalog_follow {
	CATALOG_FOLLOW_NONE = 0,
	CATALOG_FOLLOW_ENTRY,
	CATALOG_FOLLOW_HOME,
	CATALOG_FOLLOW_ATOMIC_WRITER,
};

/* Severities, as findings name them. */
enum catalog_severity { CATALOG_SEV_LOW, CATALOG_SEV_MEDIUM, CATALOG_SEV_HIGH,
			CATALOG_SEV_CRITICAL };

struct catalog_strs {
	char **v;
	int n;
};

struct catalog_entry {
	char *name;
	enum cw_cred_kind kind;
	enum cred_owner owner;
	enum catalog_follow follow;
	enum catalog_severity severity;
	uint32_t max;
	int depth;
	uint16_t flags;			/* CRED_F_* (finding: ci_workspace_credential) */
	struct catalog_strs paths, ignore, users;
	char *csi_driver;		/* pod entries: NULL for any */
	char *flag_manifest, *flag_name;/* from-flag */
	struct catalog_strs flag_paths;
	char *file;			/* where it was defined */
	int line;
	bool enabled;
};

/* Every error of a load, in file order (line 0: the whole file). */
struct catalog_diag {
	int count;
	char items[CATALOG_DIAG_MAX][512];	/* "FILE:LINE: reason" */
};

struct catalog_opts {
	/* catalog files or directories (every *.yaml in it, by name); none: the default */
	const char *const *files;
	int nfiles;
	struct catalog_diag *diag;	/* may be NULL */
};

struct catalog;

/*
 * catalog_new - load and check every file. With no files, the default:
 * CW_CATALOG_DIR, else the catalog/ directory of the source tree the binary
 * was built in (build/credwatch, build/sanitize/credwatch). Returns 0, or
 * -EINVAL (errors in opts->diag), -ENOENT (no default catalog), -ENOMEM.
 */
int catalog_new(struct catalog **out, const struct catalog_opts *opts);
void catalog_free(struct catalog *c);

/* Enabled entries, in order. */
int catalog_count(const struct catalog *c);
const struct catalog_entry *catalog_entry(const struct catalog *c, int i);
const struct catalog_entry *catalog_find(const struct catalog *c, const char *name);
/* Files the catalog was loaded from. */
int catalog_nfiles(const struct catalog *c);
const char *catalog_file(const struct catalog *c, int i);

/* Print every error, one line each. */
void catalog_diag_print(const struct catalog_diag *d, FILE *f);

const char *catalog_severity_name(enum catalog_severity s);
int catalog_severity_parse(const char *s);

/* What a scan looks at: the node's own paths, one home, or one pod. */
enum catalog_scope { CATALOG_SCOPE_NODE, CATALOG_SCOPE_HOME, CATALOG_SCOPE_POD };

struct catalog_target {
	enum catalog_scope scope;
	const char *base;	/* HOME: the home directory; POD: the pod directory */
	const char *user;	/* HOME: its user name (users:) */
	uint32_t uid;		/* HOME: its owner */
	const char *pod_uid;	/* POD */
};

/* Why a file that matched is not a credential to watch. */
enum catalog_refusal {
	CATALOG_OK = 0,
	CATALOG_REFUSED_SYMLINK,	/* a symlink the entry does not follow */
	CATALOG_REFUSED_OUTSIDE,	/* a followed symlink led out of the entry or home */
	CATALOG_REFUSED_OWNER,		/* under a home, owned by another user */
	CATALOG_REFUSED_BOUND,		/* past the entry's max for this owner */
	CATALOG_REFUSED__COUNT,
};

const char *catalog_refusal_name(enum catalog_refusal r);

struct catalog_hit {
	const struct catalog_entry *entry;
	const struct catalog_target *target;
	const char *path;		/* host path as matched (links not resolved) */
	const char *resolved;		/* where it resolved to */
	const struct stat *st;		/* OK and REFUSED_OWNER; NULL otherwise */
	enum catalog_refusal refused;
	const char *link, *link_target;	/* REFUSED_SYMLINK and _OUTSIDE: the link */
	uint32_t count;			/* REFUSED_BOUND: files refused (path: the pattern) */
};

struct catalog_scan_cbs {
	/* every match, credential or refused; nonzero stops the scan and is returned */
	int (*hit)(void *ctx, const struct catalog_hit *hit);
	/* a directory whose entries a last path component was matched against */
	void (*dir)(void *ctx, const char *dir);
	void *ctx;
};

/*
 * catalog_scan - match every enabled entry of the target's scope (node:
 * node and control-plane entries, with their from-flag manifests) below the
 * host root. Returns 0 or the hit callback's nonzero value; missing
 * directories are not errors. Directories resolved by earlier scans may be
 * kept open in sp (the next pod's or home's parents): the caller calls
 * safepath_flush() before a batch of scans, so each batch sees the host as
 * it is.
 */
int catalog_scan(const struct catalog *c, struct safepath *sp, const struct catalog_target *t,
		  const struct catalog_scan_cbs *cbs);

/*
 * catalog_homes - every home directory: /root, and each directory (not a
 * symlink) in /home. fn gets its host path, user name and owner uid;
 * nonzero stops and is returned.
 */
int catalog_homes(struct safepath *sp, int (*fn)(void *ctx, const char *home, const char *user,
						   uint32_t uid), void *ctx);

/* Does the catalog have entries of this scope (pod entries are rare)? */
bool catalog_has_scope(const struct catalog *c, enum catalog_scope scope);

/*
 * catalog_pod_may_match - a cheap first look for a pod (pod_dir: its
 * directory as the agent reaches it, host root included): false when the
 * fixed directory of no pod entry exists there (most pods have no CSI
 * volume), so the scan can be skipped. A stat() per pattern; a true answer
 * is then checked by catalog_scan() as every path is.
 */
bool catalog_pod_may_match(const struct catalog *c, const char *pod_dir);

#endif /* CW_CATALOG_H */
