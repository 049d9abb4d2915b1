/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_int.h - what the catalog's three files share: the catalog
 * itself (catalog.c: sources, entries, accessors), its loader
 * (catalog_load.c: YAML to checked entries) and the host scans
 * (catalog_scan.c: patterns, static pod manifests, homes). Not for users
 * of the catalog: they include catalog.h.
 */
#ifndef CW_CATALOG_INT_H
#define CW_CATALOG_INT_H

#include <stdbool.h>
#include <yaml.h>

#include "catalog.h"

#define CATALOG_FILE_MAX	(4u << 20)	/* bytes of one catalog file */
#define PATTERN_COMPS_MAX	64
#define VOL_DATA_MAX		65536
#define FLAG_VALUES_MAX		8
#define IGNORE_PATHS_MAX	16	/* ignores with a '/', per entry */

struct catalog {
	struct catalog_entry *v;	/* every entry, disabled ones too */
	int n, cap;
	int *enabled;			/* indexes of enabled entries */
	int nenabled;
	struct catalog_strs files;
};

/* catalog.c */
int catalog_strs_push(struct catalog_strs *s, const char *str);
void catalog_strs_free(struct catalog_strs *s);
void catalog_entry_free(struct catalog_entry *e);
/* The index of entry name in c->v[from, to), -1 if none. */
int catalog_find_index(const struct catalog *c, const char *name, int from, int to);

/* Whether a pattern component has glob characters. */
bool catalog_has_glob(const char *s);
/* What is wrong with a pattern (NULL if nothing); form '/', '~' or 'r'. */
const char *catalog_pattern_problem(const char *p, char form);
enum catalog_scope catalog_entry_scope(const struct catalog_entry *e);

/* A scalar node's text, NULL for any other node (or none). */
static inline const char *catalog_yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/*
 * catalog_load.c: load every file of c->files in order into c->v. 0,
 * -EINVAL when a file had errors (each in diag, FILE:LINE), -ENOMEM.
 */
int catalog_load_files(struct catalog *c, struct catalog_diag *diag);

#endif /* CW_CATALOG_INT_H */
