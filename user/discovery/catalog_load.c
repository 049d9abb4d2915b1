// SPDX-License-Identifier: Apache-2.0
/*
 * catalog_load.c - catalog files to checked entries: YAML (libyaml's
 * document API), every key and value checked with FILE:LINE errors,
 * entries of later files replacing or disabling earlier ones by name.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "../fileio.h"
#include "../json.h"
#include "../log.h"
#include "catalog_int.h"


static const char *const follow_names[] = { "none", "entry", "home", "atomic-writer" };

struct loader {
	struct catalog *c;
	struct catalog_diag *diag;
	const char *file;
	yaml_document_t doc;
	int first_of_file;		/* index in c->v of this file's first entry */
	int errors;
	bool oom;
};

__attribute__((format(printf, 3, 4)))
static void diag(struct loader *L, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	L->errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!L->diag || L->diag->count >= CATALOG_DIAG_MAX)
		return;
	if (line > 0)
		snprintf(L->diag->items[L->diag->count++], sizeof(L->diag->items[0]), "%s:%d: %s",
			 L->file, line, msg);
	else
		snprintf(L->diag->items[L->diag->count++], sizeof(L->diag->items[0]), "%s: %s",
			 L->file, msg);
}

void catalog_diag_print(const struct catalog_diag *d, FILE *f)
{
	for (int i = 0; i < d->count; i++) {
		char line[1100];

		fprintf(f, "credwatch: catalog: %s\n", text_escape(d->items[i], line, sizeof(line)));
	}
}

static yaml_node_t *ynode(struct loader *L, int idx)
{
	return yaml_document_get_node(&L->doc, idx);
}

static int yline(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}


static bool is_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CATALOG_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}



/* A sequence of scalars, or one scalar, into out. */
static int parse_strs(struct loader *L, yaml_node_t *v, const char *key, struct catalog_strs *out)
{
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length)
		return catalog_strs_push(out, catalog_yscalar(v));
	if (v->type != YAML_SEQUENCE_NODE) {
		diag(L, yline(v), "%s: a list of strings", key);
		return 0;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = ynode(L, *it);
		const char *s = catalog_yscalar(n);

		if (!s || !s[0]) {
			diag(L, n ? yline(n) : yline(v), "%s: items must be non-empty strings", key);
			continue;
		}
		if (catalog_strs_push(out, s))
			return -ENOMEM;
	}
	return 0;
}

static int parse_uint(struct loader *L, yaml_node_t *v, const char *key, long lo, long hi, long *out)
{
	const char *s = catalog_yscalar(v);
	char *end;
	long n;

	if (!s || !s[0] || s[0] < '0' || s[0] > '9') {
		diag(L, yline(v), "%s: a number from %ld to %ld", key, lo, hi);
		return -EINVAL;
	}
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < lo || n > hi) {
		diag(L, yline(v), "%s: a number from %ld to %ld", key, lo, hi);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

static void parse_from_flag(struct loader *L, yaml_node_t *v, struct catalog_entry *e)
{
	if (v->type != YAML_MAPPING_NODE) {
		diag(L, yline(v), "from-flag: a mapping with manifest, flag and paths");
		return;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(L, p->key), *val = ynode(L, p->value);
		const char *key = catalog_yscalar(k), *s = catalog_yscalar(val);

		if (!key) {
			diag(L, yline(k), "from-flag: keys are strings");
		} else if ((!strcmp(key, "manifest") && e->flag_manifest) ||
			   (!strcmp(key, "flag") && e->flag_name)) {
			diag(L, yline(k), "from-flag: key '%s' given twice", key);
		} else if (!strcmp(key, "manifest")) {
			if (!s || s[0] != '/' || catalog_pattern_problem(s, '/') || catalog_has_glob(s))
				diag(L, yline(val), "from-flag.manifest: an absolute path, no globs");
			else if (!(e->flag_manifest = strdup(s)))
				L->oom = true;
		} else if (!strcmp(key, "flag")) {
			if (!s || strncmp(s, "--", 2) || strlen(s) < 3 || strpbrk(s, "= \t"))
				diag(L, yline(val), "from-flag.flag: a flag name such as "
				     "--encryption-provider-config");
			else if (!(e->flag_name = strdup(s)))
				L->oom = true;
		} else if (!strcmp(key, "paths")) {
			if (parse_strs(L, val, "from-flag.paths", &e->flag_paths))
				L->oom = true;
		} else {
			diag(L, yline(k), "from-flag: unknown key '%s' (manifest, flag, paths)", key);
		}
	}
	if (!e->flag_manifest || !e->flag_name)
		diag(L, yline(v), "from-flag: needs manifest and flag");
}

/* Where this name was defined before: an index in c->v, or -1. */
static void check_entry(struct loader *L, struct catalog_entry *e, int line)
{
	char form = e->owner == CRED_OWNER_HOME ? '~' : e->owner == CRED_OWNER_POD ? 'r' : '/';
	const char *why;

	if (!e->paths.n && !e->flag_manifest)
		diag(L, line, "entry '%s': needs paths or from-flag", e->name);
	for (int i = 0; i < e->paths.n; i++)
		if ((why = catalog_pattern_problem(e->paths.v[i], form)))
			diag(L, line, "entry '%s': path '%s' %s", e->name, e->paths.v[i], why);
	for (int i = 0, npaths = 0; i < e->ignore.n; i++) {
		const char *p = e->ignore.v[i];

		if (strchr(p, '/') && (why = catalog_pattern_problem(p, form)))
			diag(L, line, "entry '%s': ignore '%s' %s", e->name, p, why);
		if (strchr(p, '/') && ++npaths > IGNORE_PATHS_MAX)
			diag(L, line, "entry '%s': at most %d ignore paths (patterns with '/')",
			     e->name, IGNORE_PATHS_MAX);
	}
	for (int i = 0; i < e->flag_paths.n; i++)
		if ((why = catalog_pattern_problem(e->flag_paths.v[i], 'r')))
			diag(L, line, "entry '%s': from-flag path '%s' %s", e->name,
			     e->flag_paths.v[i], why);
	if (e->flag_manifest && (e->owner == CRED_OWNER_HOME || e->owner == CRED_OWNER_POD))
		diag(L, line, "entry '%s': from-flag is for owner node or control-plane", e->name);
	if (e->users.n && e->owner != CRED_OWNER_HOME)
		diag(L, line, "entry '%s': users is for owner home", e->name);
	if (e->follow == CATALOG_FOLLOW_HOME && e->owner != CRED_OWNER_HOME)
		diag(L, line, "entry '%s': follow home is for owner home", e->name);
	if (e->csi_driver) {
		if (e->owner != CRED_OWNER_POD)
			diag(L, line, "entry '%s': csi-driver is for owner pod", e->name);
		for (int i = 0; i < e->paths.n; i++)
			if (strncmp(e->paths.v[i], "volumes/kubernetes.io~csi/", 26))
				diag(L, line, "entry '%s': with csi-driver, paths start with "
				     "volumes/kubernetes.io~csi/", e->name);
	}
}

/* One "- entry:" mapping. */
static void do_entry(struct loader *L, yaml_node_t *m)
{
	struct catalog *c = L->c;
	struct catalog_entry e = { 0 };
	struct catalog_strs seen = { 0 };
	bool has_kind = false, has_follow = false, has_enabled = false;
	int nkeys = 0, prev;
	long num;

	if (m->type != YAML_MAPPING_NODE) {
		diag(L, yline(m), "a catalog entry is a mapping (- entry: NAME ...)");
		return;
	}
	e.max = CATALOG_MAX_DEFAULT;
	e.depth = CATALOG_DEPTH_DEFAULT;
	e.severity = CATALOG_SEV_HIGH;
	e.enabled = true;
	e.line = yline(m);
	/* owner first: the form of paths depends on it */
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *key = catalog_yscalar(ynode(L, p->key)), *s = catalog_yscalar(ynode(L, p->value));
		int o;

		if (key && !strcmp(key, "owner")) {
			o = s ? cred_owner_parse(s) : -EINVAL;
			if (o < 0)
				diag(L, yline(ynode(L, p->value)),
				     "owner: one of node, control-plane, home, pod");
			else
				e.owner = (enum cred_owner)o;
		}
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(L, p->key), *v = ynode(L, p->value);
		const char *key = catalog_yscalar(k), *s = catalog_yscalar(v);
		int x;

		if (!key || !v) {
			diag(L, k ? yline(k) : yline(m), "keys are strings");
			continue;
		}
		{
			bool again = false;

			for (int i = 0; i < seen.n; i++)
				again |= !strcmp(seen.v[i], key);
			if (again) {	/* said once; the first value stands */
				diag(L, yline(k), "key '%s' given twice", key);
				continue;
			}
		}
		if (catalog_strs_push(&seen, key)) {
			L->oom = true;
			break;
		}
		nkeys++;
		if (!strcmp(key, "entry")) {
			if (!s || !is_name(s))
				diag(L, yline(v), "entry: a name of lowercase letters, digits, '.', '_' "
				     "and '-', at most %d bytes", CATALOG_NAME_MAX);
			else if (!(e.name = strdup(s)))
				L->oom = true;
		} else if (!strcmp(key, "kind")) {
			x = s ? cred_kind_parse(s) : -EINVAL;
			if (x < 0)
				diag(L, yline(v), "kind: one of sa_token, secret, kubeconfig, pki, "
				     "cloud, custom, registry, ssh, etcd, ci, token");
			else
				e.kind = (enum cw_cred_kind)x;
			has_kind = true;
		} else if (!strcmp(key, "owner")) {
			/* done above */
		} else if (!strcmp(key, "paths")) {
			if (parse_strs(L, v, "paths", &e.paths))
				L->oom = true;
		} else if (!strcmp(key, "ignore")) {
			if (parse_strs(L, v, "ignore", &e.ignore))
				L->oom = true;
		} else if (!strcmp(key, "users")) {
			if (parse_strs(L, v, "users", &e.users))
				L->oom = true;
		} else if (!strcmp(key, "from-flag")) {
			parse_from_flag(L, v, &e);
		} else if (!strcmp(key, "follow")) {
			x = -1;
			for (int i = 0; s && i < 4; i++)
				if (!strcmp(s, follow_names[i]))
					x = i;
			if (x < 0)
				diag(L, yline(v), "follow: one of none, entry, home, atomic-writer");
			else
				e.follow = (enum catalog_follow)x;
			has_follow = true;
		} else if (!strcmp(key, "depth")) {
			if (!parse_uint(L, v, "depth", 0, CATALOG_DEPTH_LIMIT, &num))
				e.depth = (int)num;
		} else if (!strcmp(key, "max")) {
			if (!parse_uint(L, v, "max", 1, CATALOG_MAX_LIMIT, &num))
				e.max = (uint32_t)num;
		} else if (!strcmp(key, "severity")) {
			x = s ? catalog_severity_parse(s) : -EINVAL;
			if (x < 0)
				diag(L, yline(v), "severity: one of low, medium, high, critical");
			else
				e.severity = (enum catalog_severity)x;
		} else if (!strcmp(key, "finding")) {
			if (!s || strcmp(s, "ci_workspace_credential"))
				diag(L, yline(v), "finding: ci_workspace_credential is the one finding "
				     "by location");
			else
				e.flags |= CRED_F_CI_WORKSPACE;
		} else if (!strcmp(key, "csi-driver")) {
			if (!s || !s[0] || strpbrk(s, "/\"\\ \t"))
				diag(L, yline(v), "csi-driver: a CSI driver name");
			else if (!(e.csi_driver = strdup(s)))
				L->oom = true;
		} else if (!strcmp(key, "enabled")) {
			if (s && !strcmp(s, "true"))
				e.enabled = true;
			else if (s && !strcmp(s, "false"))
				e.enabled = false;
			else
				diag(L, yline(v), "enabled: true or false");
			has_enabled = true;
		} else {
			diag(L, yline(k), "unknown key '%s' (entry, kind, owner, paths, from-flag, "
			     "follow, depth, max, ignore, users, csi-driver, severity, finding, "
			     "enabled)", key);
		}
	}
	catalog_strs_free(&seen);
	if (!e.name) {
		diag(L, e.line, "a catalog entry needs entry: NAME");
		goto drop;
	}
	prev = catalog_find_index(c, e.name, L->first_of_file, c->n);
	if (prev >= 0) {
		diag(L, e.line, "entry '%s' is defined twice in this file (first at line %d)",
		     e.name, c->v[prev].line);
		goto drop;
	}
	prev = catalog_find_index(c, e.name, 0, L->first_of_file);
	if (nkeys == 2 && has_enabled) {
		/* a switch: turn an entry of an earlier file on or off */
		if (prev < 0)
			diag(L, e.line, "entry '%s': enabled alone switches an entry of an earlier "
			     "catalog file, and there is none of that name", e.name);
		else
			c->v[prev].enabled = e.enabled;
		goto drop;
	}
	if (!has_kind)
		diag(L, e.line, "entry '%s': needs kind", e.name);
	if (!has_follow)
		e.follow = e.owner == CRED_OWNER_HOME ? CATALOG_FOLLOW_HOME :
			   e.owner == CRED_OWNER_POD ? CATALOG_FOLLOW_ATOMIC_WRITER : CATALOG_FOLLOW_NONE;
	check_entry(L, &e, e.line);
	if (L->errors)
		goto drop;
	e.file = strdup(L->file);
	if (!e.file) {
		L->oom = true;
		goto drop;
	}
	if (prev >= 0) {		/* replace in place: order is the earlier file's */
		catalog_entry_free(&c->v[prev]);
		c->v[prev] = e;
		return;
	}
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 32;
		struct catalog_entry *v = realloc(c->v, (size_t)cap * sizeof(*v));

		if (!v) {
			L->oom = true;
			goto drop;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = e;
	return;
drop:
	catalog_entry_free(&e);
}

static void load_file(struct loader *L, const char *path)
{
	yaml_parser_t parser;
	size_t len;
	char *buf;

	L->file = path;
	L->first_of_file = L->c->n;
	buf = read_file_alloc(path, CATALOG_FILE_MAX, &len);
	if (!buf) {
		diag(L, 0, "cannot read catalog file: %s", strerror(errno));
		return;
	}
	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		free(buf);
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &L->doc)) {
			diag(L, (int)parser.problem_mark.line + 1, "YAML syntax: %s%s%s",
			     parser.problem ? parser.problem : "error", parser.context ? " " : "",
			     parser.context ? parser.context : "");
			break;
		}
		root = yaml_document_get_root_node(&L->doc);
		if (!root) {
			yaml_document_delete(&L->doc);
			break;
		}
		if (root->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = root->data.sequence.items.start;
			     it < root->data.sequence.items.top && !L->oom; it++)
				do_entry(L, ynode(L, *it));
		} else if (!(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
			diag(L, yline(root), "a catalog file is a sequence of entries (- entry: NAME)");
		}
		yaml_document_delete(&L->doc);
	}
	yaml_parser_delete(&parser);
	free(buf);
}


int catalog_load_files(struct catalog *c, struct catalog_diag *diag)
{
	struct loader L = { .c = c, .diag = diag };

	for (int i = 0; i < c->files.n && !L.oom; i++)
		load_file(&L, c->files.v[i]);
	if (L.oom)
		return -ENOMEM;
	return L.errors ? -EINVAL : 0;
}
