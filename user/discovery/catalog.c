// SPDX-License-Identifier: Apache-2.0
/*
 * catalog.c - catalog files: load and check (FILE:LINE errors), merge in
 * file order, and match entries against the host with safepath.
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

/* ------------------------------------------------------------ small helpers */

static void strs_free(struct catalog_strs *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int strs_push(struct catalog_strs *s, const char *str)
{
	char **v = realloc(s->v, (size_t)(s->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->v = v;
	s->v[s->n] = strdup(str);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static void entry_free(struct catalog_entry *e)
{
	free(e->name);
	strs_free(&e->paths);
	strs_free(&e->ignore);
	strs_free(&e->users);
	strs_free(&e->flag_paths);
	free(e->csi_driver);
	free(e->flag_manifest);
	free(e->flag_name);
	free(e->file);
	memset(e, 0, sizeof(*e));
}

static const char *const severity_names[] = { "low", "medium", "high", "critical" };

const char *catalog__severity_name(enum catalog_severity s)
{
	return (unsigned)s < 4 ? severity_names[s] : "high";
}

int catalog__severity_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, severity_names[i]))
			return i;
	return -EINVAL;
}

static const char *const follow_names[] = { "none", "entry", "home", "atomic-writer" };

static const char *const refusal_names[CATALOG_REFUSED__COUNT] = {
	[CATALOG_OK] = "ok",
	[CATALOG_REFUSED_SYMLINK] = "symlink",
	[CATALOG_REFUSED_OUTSIDE] = "outside",
	[CATALOG_REFUSED_OWNER] = "owner",
	[CATALOG_REFUSED_BOUND] = "bound",
};

const char *catalog__refusal_name(enum catalog_refusal r)
{
	return (unsigned)r < CATALOG_REFUSED__COUNT ? refusal_names[r] : "unknown";
}

/* ------------------------------------------------------------------ loading */

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

void catalog__diag_print(const struct catalog_diag *d, FILE *f)
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

static const char *yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
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

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * Check one pattern's components: non-empty, not "." or "..", "**" only
 * whole, printable. form: '/' absolute, '~' home ("~/..."), 'r' relative.
 */
static const char *pattern_problem(const char *p, char form)
{
	const char *c;

	if (strlen(p) >= PATH_MAX / 2)
		return "too long";
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "control characters are not allowed";
	if (form == '/' && p[0] != '/')
		return "must be an absolute path for owner node or control-plane";
	if (form == '~' && strncmp(p, "~/", 2))
		return "must start with ~/ for owner home";
	if (form == 'r' && (p[0] == '/' || p[0] == '~'))
		return "must be relative (to the pod directory, or to the flag's value)";
	c = form == '~' ? p + 2 : p;
	if (*c == '/')
		c++;
	if (!*c)
		return "names no file";
	for (int n = 0; *c; n++) {
		size_t len = strcspn(c, "/");

		if (n >= PATTERN_COMPS_MAX)
			return "too many components";
		if (len == 0)
			return "has an empty component (//)";
		if ((len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return "has a . or .. component";
		if (len >= 2 && memmem(c, len, "**", 2) && len != 2)
			return "** must be a whole component";
		if (len > NAME_MAX)
			return "has a component longer than NAME_MAX";
		c += len;
		if (*c == '/')
			c++;
	}
	return NULL;
}

/* A sequence of scalars, or one scalar, into out. */
static int parse_strs(struct loader *L, yaml_node_t *v, const char *key, struct catalog_strs *out)
{
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length)
		return strs_push(out, yscalar(v));
	if (v->type != YAML_SEQUENCE_NODE) {
		diag(L, yline(v), "%s: a list of strings", key);
		return 0;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = ynode(L, *it);
		const char *s = yscalar(n);

		if (!s || !s[0]) {
			diag(L, n ? yline(n) : yline(v), "%s: items must be non-empty strings", key);
			continue;
		}
		if (strs_push(out, s))
			return -ENOMEM;
	}
	return 0;
}

static int parse_uint(struct loader *L, yaml_node_t *v, const char *key, long lo, long hi, long *out)
{
	const char *s = yscalar(v);
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
		const char *key = yscalar(k), *s = yscalar(val);

		if (!key) {
			diag(L, yline(k), "from-flag: keys are strings");
		} else if ((!strcmp(key, "manifest") && e->flag_manifest) ||
			   (!strcmp(key, "flag") && e->flag_name)) {
			diag(L, yline(k), "from-flag: key '%s' given twice", key);
		} else if (!strcmp(key, "manifest")) {
			if (!s || s[0] != '/' || pattern_problem(s, '/') || has_glob(s))
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
static int find_entry(const struct catalog *c, const char *name, int from, int to)
{
	for (int i = from; i < to; i++)
		if (c->v[i].name && !strcmp(c->v[i].name, name))
			return i;
	return -1;
}

static void check_entry(struct loader *L, struct catalog_entry *e, int line)
{
	char form = e->owner == CRED_OWNER_HOME ? '~' : e->owner == CRED_OWNER_POD ? 'r' : '/';
	const char *why;

	if (!e->paths.n && !e->flag_manifest)
		diag(L, line, "entry '%s': needs paths or from-flag", e->name);
	for (int i = 0; i < e->paths.n; i++)
		if ((why = pattern_problem(e->paths.v[i], form)))
			diag(L, line, "entry '%s': path '%s' %s", e->name, e->paths.v[i], why);
	for (int i = 0, npaths = 0; i < e->ignore.n; i++) {
		const char *p = e->ignore.v[i];

		if (strchr(p, '/') && (why = pattern_problem(p, form)))
			diag(L, line, "entry '%s': ignore '%s' %s", e->name, p, why);
		if (strchr(p, '/') && ++npaths > IGNORE_PATHS_MAX)
			diag(L, line, "entry '%s': at most %d ignore paths (patterns with '/')",
			     e->name, IGNORE_PATHS_MAX);
	}
	for (int i = 0; i < e->flag_paths.n; i++)
		if ((why = pattern_problem(e->flag_paths.v[i], 'r')))
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
		const char *key = yscalar(ynode(L, p->key)), *s = yscalar(ynode(L, p->value));
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
		const char *key = yscalar(k), *s = yscalar(v);
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
		if (strs_push(&seen, key)) {
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
			x = s ? catalog__severity_parse(s) : -EINVAL;
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
	strs_free(&seen);
	if (!e.name) {
		diag(L, e.line, "a catalog entry needs entry: NAME");
		goto drop;
	}
	prev = find_entry(c, e.name, L->first_of_file, c->n);
	if (prev >= 0) {
		diag(L, e.line, "entry '%s' is defined twice in this file (first at line %d)",
		     e.name, c->v[prev].line);
		goto drop;
	}
	prev = find_entry(c, e.name, 0, L->first_of_file);
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
		entry_free(&c->v[prev]);
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
	entry_free(&e);
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE, or every *.yaml of DIR by name, appended to c->files. */
static int add_source(struct catalog *c, struct catalog_diag *d, const char *path)
{
	struct catalog_strs names = { 0 };
	struct stat st;
	struct dirent *de;
	DIR *dir;
	int err = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return strs_push(&c->files, path);
	dir = opendir(path);
	if (!dir) {
		if (d && d->count < CATALOG_DIAG_MAX)
			snprintf(d->items[d->count++], sizeof(d->items[0]), "%s: %s", path,
				 strerror(errno));
		return -EINVAL;
	}
	while (!err && (de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		char full[PATH_MAX];

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".yaml"))
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		err = strs_push(&names, full);
	}
	closedir(dir);
	if (names.n)
		qsort(names.v, (size_t)names.n, sizeof(char *), cmp_str);
	for (int i = 0; !err && i < names.n; i++)
		err = strs_push(&c->files, names.v[i]);
	strs_free(&names);
	return err;
}

/* The installed catalog, else the source tree's catalog/ a few levels above the binary. */
static int default_source(char *out, size_t size)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t len;

	if (!stat(CW_CATALOG_DIR, &st) && S_ISDIR(st.st_mode)) {
		snprintf(out, size, "%s", CW_CATALOG_DIR);
		return 0;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	for (int up = 1; len > 0 && up <= 3; up++) {
		char *slash;

		exe[len] = '\0';
		slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		len = slash - exe;
		snprintf(out, size, "%s/catalog", exe);
		if (up > 1 && !stat(out, &st) && S_ISDIR(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

static int build_enabled(struct catalog *c)
{
	free(c->enabled);
	c->enabled = malloc((size_t)(c->n ? c->n : 1) * sizeof(int));
	if (!c->enabled)
		return -ENOMEM;
	c->nenabled = 0;
	for (int i = 0; i < c->n; i++)
		if (c->v[i].enabled)
			c->enabled[c->nenabled++] = i;
	return 0;
}

int catalog__new(struct catalog **out, const struct catalog_opts *opts)
{
	struct loader L = { 0 };
	struct catalog *c;
	char def[PATH_MAX];
	int err = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (opts->nfiles <= 0) {
		err = default_source(def, sizeof(def));
		if (err) {
			if (opts->diag && opts->diag->count < CATALOG_DIAG_MAX)
				snprintf(opts->diag->items[opts->diag->count++],
					 sizeof(opts->diag->items[0]), "%s: no catalog (and no "
					 "catalog/ next to the build): give --catalog FILE|DIR",
					 CW_CATALOG_DIR);
			goto cleanup;
		}
		err = add_source(c, opts->diag, def);
	}
	for (int i = 0; !err && i < opts->nfiles; i++)
		err = add_source(c, opts->diag, opts->files[i]);
	if (err)
		goto cleanup;
	L.c = c;
	L.diag = opts->diag;
	for (int i = 0; i < c->files.n && !L.oom; i++)
		load_file(&L, c->files.v[i]);
	if (L.oom) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (L.errors) {
		err = -EINVAL;
		goto cleanup;
	}
	err = build_enabled(c);
	if (err)
		goto cleanup;
	*out = c;
	return 0;
cleanup:
	catalog__free(c);
	return err;
}

void catalog__free(struct catalog *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		entry_free(&c->v[i]);
	free(c->v);
	free(c->enabled);
	strs_free(&c->files);
	free(c);
}

int catalog__count(const struct catalog *c)
{
	return c->nenabled;
}

const struct catalog_entry *catalog__entry(const struct catalog *c, int i)
{
	return i >= 0 && i < c->nenabled ? &c->v[c->enabled[i]] : NULL;
}

const struct catalog_entry *catalog__find(const struct catalog *c, const char *name)
{
	int i = find_entry(c, name, 0, c->n);

	return i >= 0 && c->v[i].enabled ? &c->v[i] : NULL;
}

int catalog__nfiles(const struct catalog *c)
{
	return c->files.n;
}

const char *catalog__file(const struct catalog *c, int i)
{
	return i >= 0 && i < c->files.n ? c->files.v[i] : NULL;
}

static enum catalog_scope scope_of(const struct catalog_entry *e)
{
	return e->owner == CRED_OWNER_HOME ? CATALOG_SCOPE_HOME :
	       e->owner == CRED_OWNER_POD ? CATALOG_SCOPE_POD : CATALOG_SCOPE_NODE;
}

bool catalog__pod_may_match(const struct catalog *c, const char *pod_dir)
{
	for (int i = 0; i < c->nenabled; i++) {
		const struct catalog_entry *e = &c->v[c->enabled[i]];

		if (e->owner != CRED_OWNER_POD)
			continue;
		for (int k = 0; k < e->paths.n; k++) {
			const char *p = e->paths.v[k], *g = strpbrk(p, "*?[");
			const char *slash;
			char dir[PATH_MAX];
			struct stat st;

			/* the directory part before the first glob */
			slash = g ? (const char *)memrchr(p, '/', (size_t)(g - p)) : strrchr(p, '/');
			if (!slash)
				return true;
			if ((size_t)snprintf(dir, sizeof(dir), "%s/%.*s", pod_dir, (int)(slash - p), p) >=
			    sizeof(dir) || !stat(dir, &st))
				return true;
		}
	}
	return false;
}

bool catalog__has_scope(const struct catalog *c, enum catalog_scope scope)
{
	for (int i = 0; i < c->nenabled; i++)
		if (scope_of(&c->v[c->enabled[i]]) == scope)
			return true;
	return false;
}

/* ----------------------------------------------------------------- matching */

struct scan {
	const struct catalog_target *t;
	const struct catalog_scan_cbs *cbs;
	struct safepath *sp;
	const struct catalog_entry *e;
	struct safepath_policy pol;
	char trusted[PATH_MAX], within[PATH_MAX];
	char ign[IGNORE_PATHS_MAX][PATH_MAX / 4];	/* path ignores, expanded */
	int nign;
	int csi_comp;		/* component index of the CSI volume name, or -1 */
	uint32_t found, over;	/* credentials of this entry, refused past max */
	int stop;		/* the hit callback's nonzero value */
	char path[PATH_MAX];	/* the path being built */
	char last_refused[PATH_MAX];	/* a "**" lists a directory twice: report it once */
};

/* A pattern in host form: "~/" and pod-relative forms put below the target's base. */
static int expand_pattern(const struct scan *s, const char *pat, char *out, size_t size)
{
	int n;

	if (pat[0] == '~')
		n = snprintf(out, size, "%s%s", s->t->base, pat + 1);
	else if (pat[0] != '/')
		n = snprintf(out, size, "%s/%s", s->t->base, pat);
	else
		n = snprintf(out, size, "%s", pat);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int split(char *p, char **comps)
{
	int n = 0;

	for (char *tok = strtok(p, "/"); tok && n < PATTERN_COMPS_MAX; tok = strtok(NULL, "/"))
		comps[n++] = tok;
	return n;
}

/* Does ignore pattern p (components) cover path (a prefix match, glob per component)? */
static bool covers(const char *pattern, const char *path)
{
	while (*pattern == '/')
		pattern++;
	while (*path == '/')
		path++;
	while (*pattern) {
		char pc[NAME_MAX + 1], nc[NAME_MAX + 1];
		size_t pl = strcspn(pattern, "/"), nl = strcspn(path, "/");

		if (!*path || pl > NAME_MAX || nl > NAME_MAX)
			return false;
		memcpy(pc, pattern, pl);
		pc[pl] = '\0';
		memcpy(nc, path, nl);
		nc[nl] = '\0';
		if (fnmatch(pc, nc, FNM_PERIOD))
			return false;
		pattern += pl;
		path += nl;
		while (*pattern == '/')
			pattern++;
		while (*path == '/')
			path++;
	}
	return true;
}

static bool ignored(const struct scan *s, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (int i = 0; i < s->e->ignore.n; i++)
		if (!strchr(s->e->ignore.v[i], '/') && !fnmatch(s->e->ignore.v[i], base, 0))
			return true;
	for (int i = 0; i < s->nign; i++)
		if (covers(s->ign[i], path))
			return true;
	return false;
}

static int report(struct scan *s, enum catalog_refusal r, const char *path,
		  const struct safepath_res *res, const struct stat *st, uint32_t count)
{
	struct catalog_hit h = {
		.entry = s->e, .target = s->t, .path = path,
		.resolved = res && res->resolved[0] ? res->resolved : path,
		.st = st, .refused = r,
		.link = res ? res->link : "", .link_target = res ? res->target : "",
		.count = count,
	};

	if (s->stop || !s->cbs->hit)
		return s->stop;
	if (r != CATALOG_OK) {
		if (!strcmp(s->last_refused, path))
			return 0;
		snprintf(s->last_refused, sizeof(s->last_refused), "%s", path);
	}
	s->stop = s->cbs->hit(s->cbs->ctx, &h);
	return s->stop;
}

static void consider(struct scan *s, const char *path)
{
	struct safepath_res res;
	int err;

	if (s->stop || ignored(s, path))
		return;
	if (s->found >= s->e->max) {
		s->over++;		/* counted, not resolved: a bound on work too */
		return;
	}
	err = safepath__stat(s->sp, path, &s->pol, &res);
	if (err == -ELOOP || err == -EXDEV) {
		report(s, err == -ELOOP ? CATALOG_REFUSED_SYMLINK : CATALOG_REFUSED_OUTSIDE, path,
		       &res, NULL, 1);
		return;
	}
	if (err)
		return;
	if (!S_ISREG(res.st.st_mode))
		return;
	if (s->t->scope == CATALOG_SCOPE_HOME && res.st.st_uid != s->t->uid && res.st.st_uid != 0) {
		report(s, CATALOG_REFUSED_OWNER, path, &res, &res.st, 1);
		return;
	}
	s->found++;
	report(s, CATALOG_OK, path, &res, &res.st, 1);
}

/* Is the CSI volume dir's kubelet vol_data.json (public) naming the entry's driver? */
static bool csi_driver_matches(struct scan *s, const char *voldir)
{
	struct safepath_policy pol = { .trusted = s->t->base, .follow = SAFEPATH_FOLLOW_NONE };
	char path[PATH_MAX], *buf;
	const cJSON *drv;
	cJSON *j;
	bool ok = false;
	long n;

	if ((size_t)snprintf(path, sizeof(path), "%s/vol_data.json", voldir) >= sizeof(path))
		return false;
	buf = malloc(VOL_DATA_MAX);
	if (!buf)
		return false;
	n = safepath__read_small(s->sp, path, &pol, buf, VOL_DATA_MAX);
	if (n > 0 && (j = cJSON_ParseWithLength(buf, (size_t)n))) {
		drv = cJSON_GetObjectItemCaseSensitive(j, "driverName");
		ok = cJSON_IsString(drv) && !strcmp(drv->valuestring, s->e->csi_driver);
		cJSON_Delete(j);
	}
	free(buf);
	return ok;
}

static void expand(struct scan *s, char **comps, int n, int i, size_t len, int stars);

/* Entries of the directory at s->path[0..len), each matched against comps[i]. */
static void expand_dir(struct scan *s, char **comps, int n, int i, size_t len, int stars)
{
	const char *comp = comps[i];
	bool last = i == n - 1, any_depth = !strcmp(comp, "**");
	struct safepath_res res;
	struct dirent *de;
	DIR *d;
	int err;

	s->path[len] = '\0';
	if (ignored(s, len ? s->path : "/"))
		return;
	err = safepath__opendir(s->sp, len ? s->path : "/", &s->pol, &d, &res);
	if (err == -ELOOP || err == -EXDEV) {
		report(s, err == -ELOOP ? CATALOG_REFUSED_SYMLINK : CATALOG_REFUSED_OUTSIDE,
		       len ? s->path : "/", &res, NULL, 1);
		return;
	}
	if (err)
		return;
	if (last && s->cbs->dir)
		s->cbs->dir(s->cbs->ctx, len ? s->path : "/");
	while (!s->stop && (de = readdir(d))) {
		const char *name = de->d_name;
		size_t nl = strlen(name);
		bool is_dir;

		/* ".", "..", and kubelet's ..data and ..<timestamp> internals */
		if (name[0] == '.' && (name[1] == '\0' || name[1] == '.'))
			continue;
		if (len + 1 + nl >= sizeof(s->path))
			continue;
		if (any_depth) {
			if (name[0] == '.' || stars >= s->e->depth)
				continue;
			is_dir = de->d_type == DT_DIR;
			if (de->d_type == DT_UNKNOWN) {
				struct stat st;

				is_dir = !fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) &&
					 S_ISDIR(st.st_mode);
			}
			if (!is_dir)	/* never through a directory symlink: no loops */
				continue;
			s->path[len] = '/';
			memcpy(s->path + len + 1, name, nl + 1);
			expand(s, comps, n, i, len + 1 + nl, stars + 1);
			continue;
		}
		if (fnmatch(comp, name, FNM_PERIOD))
			continue;
		s->path[len] = '/';
		memcpy(s->path + len + 1, name, nl + 1);
		if (i == s->csi_comp && !csi_driver_matches(s, s->path))
			continue;
		if (last)
			consider(s, s->path);
		else
			expand(s, comps, n, i + 1, len + 1 + nl, stars);
	}
	closedir(d);
	s->path[len] = '\0';
}

/* Match comps[i..n) below the directory s->path[0..len). */
static void expand(struct scan *s, char **comps, int n, int i, size_t len, int stars)
{
	const char *comp = comps[i];
	size_t cl = strlen(comp);

	if (s->stop)
		return;
	if (!strcmp(comp, "**")) {
		expand(s, comps, n, i + 1, len, stars);	/* no directory at all */
		expand_dir(s, comps, n, i, len, stars);
		return;
	}
	if (has_glob(comp)) {
		expand_dir(s, comps, n, i, len, stars);
		return;
	}
	if (len + 1 + cl >= sizeof(s->path))
		return;
	s->path[len] = '/';
	memcpy(s->path + len + 1, comp, cl + 1);
	if (i == s->csi_comp && !csi_driver_matches(s, s->path))
		goto out;
	if (i == n - 1)
		consider(s, s->path);
	else
		expand(s, comps, n, i + 1, len + 1 + cl, stars);
out:
	s->path[len] = '\0';
}

/* One host-form pattern: policy from its fixed part, then expand. */
static void scan_pattern(struct scan *s, const char *hpat)
{
	char buf[PATH_MAX], *comps[PATTERN_COMPS_MAX + 1];
	int n, fixed, base_comps = 0;
	size_t off = 0;

	snprintf(buf, sizeof(buf), "%s", hpat);
	n = split(buf, comps);
	if (!n)
		return;
	/* a trailing "**" means every file below: "**" then "*" */
	if (!strcmp(comps[n - 1], "**") && n < PATTERN_COMPS_MAX)
		comps[n++] = "*";
	for (fixed = 0; fixed < n - 1 && !has_glob(comps[fixed]); fixed++)
		;
	/* the fixed directory: trusted for node entries (root's layout) */
	s->within[0] = '\0';
	for (int k = 0; k < fixed; k++)
		off += (size_t)snprintf(s->within + off, sizeof(s->within) - off, "/%s", comps[k]);
	if (s->t->scope == CATALOG_SCOPE_NODE) {
		snprintf(s->trusted, sizeof(s->trusted), "%s", s->within);
	} else {
		snprintf(s->trusted, sizeof(s->trusted), "%s", s->t->base);
		for (const char *c = s->t->base; *c; c++)
			base_comps += *c == '/' && c[1] && c[1] != '/';
	}
	s->pol.trusted = s->trusted;
	s->pol.within = NULL;
	switch (s->e->follow) {
	case CATALOG_FOLLOW_ENTRY:
		s->pol.follow = SAFEPATH_FOLLOW_WITHIN;
		s->pol.within = s->within[0] ? s->within : NULL;
		break;
	case CATALOG_FOLLOW_HOME:
		s->pol.follow = SAFEPATH_FOLLOW_WITHIN;
		break;
	case CATALOG_FOLLOW_ATOMIC_WRITER:
		s->pol.follow = SAFEPATH_FOLLOW_ATOMIC_WRITER;
		break;
	default:
		s->pol.follow = SAFEPATH_FOLLOW_NONE;
		break;
	}
	/* CSI: the volume name is the third component below the pod directory */
	s->csi_comp = s->e->csi_driver && s->t->scope == CATALOG_SCOPE_POD ? base_comps + 2 : -1;
	expand(s, comps, n, 0, 0, 0);
}

/* Expand the entry's path ignores for this target. */
static void ignores_for(struct scan *s)
{
	s->nign = 0;
	for (int i = 0; i < s->e->ignore.n && s->nign < IGNORE_PATHS_MAX; i++)
		if (strchr(s->e->ignore.v[i], '/') &&
		    !expand_pattern(s, s->e->ignore.v[i], s->ign[s->nign], sizeof(s->ign[0])))
			s->nign++;
}

/* ------------------------------------------ static pod manifests (public) */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = yscalar(yaml_document_get_node(doc, p->key));

		if (k && !strcmp(k, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *map_str(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	return yscalar(map_get(doc, m, key));
}

/* The container path a flag names, from its command and args. */
static const char *flag_in(yaml_document_t *doc, yaml_node_t *ctr, const char *flag)
{
	static const char *const lists[] = { "command", "args" };
	size_t fl = strlen(flag);

	for (int l = 0; l < 2; l++) {
		yaml_node_t *seq = map_get(doc, ctr, lists[l]);

		if (!seq || seq->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			const char *a = yscalar(yaml_document_get_node(doc, *it));

			if (!a)
				continue;
			if (!strncmp(a, flag, fl) && a[fl] == '=')
				return a + fl + 1;
			if (!strcmp(a, flag) && it + 1 < seq->data.sequence.items.top)
				return yscalar(yaml_document_get_node(doc, it[1]));
		}
	}
	return NULL;
}

/* value (a container path) on the host, through the hostPath volume mounted over it. */
static bool map_to_host(yaml_document_t *doc, yaml_node_t *spec, yaml_node_t *ctr,
			const char *value, char *out, size_t size)
{
	yaml_node_t *mounts = map_get(doc, ctr, "volumeMounts"), *vols = map_get(doc, spec, "volumes");
	const char *best = NULL, *best_path = NULL;
	size_t best_len = 0;

	if (!mounts || mounts->type != YAML_SEQUENCE_NODE || !vols ||
	    vols->type != YAML_SEQUENCE_NODE)
		return false;
	for (yaml_node_item_t *it = mounts->data.sequence.items.start;
	     it < mounts->data.sequence.items.top; it++) {
		yaml_node_t *m = yaml_document_get_node(doc, *it);
		const char *mp = map_str(doc, m, "mountPath"), *name = map_str(doc, m, "name");
		size_t ml;

		if (!mp || !name)
			continue;
		ml = strlen(mp);
		while (ml > 1 && mp[ml - 1] == '/')
			ml--;
		if (strncmp(value, mp, ml) || (value[ml] != '/' && value[ml] != '\0') || ml < best_len)
			continue;
		best = name;
		best_len = ml;
	}
	if (!best)
		return false;
	for (yaml_node_item_t *it = vols->data.sequence.items.start;
	     it < vols->data.sequence.items.top; it++) {
		yaml_node_t *v = yaml_document_get_node(doc, *it);
		const char *name = map_str(doc, v, "name");

		if (name && !strcmp(name, best))
			best_path = map_str(doc, map_get(doc, v, "hostPath"), "path");
	}
	if (!best_path || best_path[0] != '/')
		return false;
	return (size_t)snprintf(out, size, "%s%s", best_path, value + best_len) < size;
}

/*
 * The host paths the entry's flag names in its static pod manifest. The
 * manifest is public (it holds flags and paths, never a secret) and is read
 * bounded, below its own directory, no symlink followed.
 */
static int flag_values(struct safepath *sp, const struct catalog_entry *e,
		       char (*out)[PATH_MAX], int max)
{
	struct safepath_policy pol = { .follow = SAFEPATH_FOLLOW_NONE };
	char dir[PATH_MAX], *buf, *slash;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *spec, *ctrs;
	int found = 0;
	long n;

	snprintf(dir, sizeof(dir), "%s", e->flag_manifest);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	pol.trusted = dir;
	buf = malloc(CATALOG_MANIFEST_MAX);
	if (!buf)
		return 0;
	n = safepath__read_small(sp, e->flag_manifest, &pol, buf, CATALOG_MANIFEST_MAX);
	if (n <= 0 || !yaml_parser_initialize(&parser)) {
		free(buf);
		return 0;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, (size_t)n);
	if (yaml_parser_load(&parser, &doc)) {
		spec = map_get(&doc, yaml_document_get_root_node(&doc), "spec");
		ctrs = map_get(&doc, spec, "containers");
		for (yaml_node_item_t *it = ctrs && ctrs->type == YAML_SEQUENCE_NODE ?
		     ctrs->data.sequence.items.start : NULL;
		     it && it < ctrs->data.sequence.items.top && found < max; it++) {
			yaml_node_t *ctr = yaml_document_get_node(&doc, *it);
			const char *v = flag_in(&doc, ctr, e->flag_name);

			if (v && v[0] == '/' && !has_glob(v) && !pattern_problem(v, '/') &&
			    map_to_host(&doc, spec, ctr, v, out[found], PATH_MAX) &&
			    !pattern_problem(out[found], '/') && !has_glob(out[found]))
				found++;
		}
		yaml_document_delete(&doc);
	} else {
		log_debug("catalog: %s: not YAML, flag %s not looked up", e->flag_manifest,
			  e->flag_name);
	}
	yaml_parser_delete(&parser);
	free(buf);
	return found;
}

/* ------------------------------------------------------------------ scans */

static bool user_listed(const struct catalog_entry *e, const char *user)
{
	if (!e->users.n)
		return true;
	for (int i = 0; i < e->users.n; i++)
		if (user && !fnmatch(e->users.v[i], user, 0))
			return true;
	return false;
}

static void scan_entry(struct scan *s)
{
	char hpat[PATH_MAX];

	s->found = s->over = 0;
	s->last_refused[0] = '\0';
	ignores_for(s);
	for (int i = 0; i < s->e->paths.n && !s->stop; i++)
		if (!expand_pattern(s, s->e->paths.v[i], hpat, sizeof(hpat)))
			scan_pattern(s, hpat);
	if (s->e->flag_manifest && s->t->scope == CATALOG_SCOPE_NODE && !s->stop) {
		char (*vals)[PATH_MAX] = malloc(FLAG_VALUES_MAX * sizeof(*vals));
		int nv = vals ? flag_values(s->sp, s->e, vals, FLAG_VALUES_MAX) : 0;

		for (int v = 0; v < nv && !s->stop; v++) {
			if (!s->e->flag_paths.n)
				scan_pattern(s, vals[v]);
			for (int i = 0; i < s->e->flag_paths.n && !s->stop; i++)
				if ((size_t)snprintf(hpat, sizeof(hpat), "%s/%s", vals[v],
						     s->e->flag_paths.v[i]) < sizeof(hpat))
					scan_pattern(s, hpat);
		}
		free(vals);
	}
	if (s->over && !s->stop) {
		const char *first = s->e->paths.n ? s->e->paths.v[0] : s->e->flag_manifest;

		if (!expand_pattern(s, first, hpat, sizeof(hpat)))
			report(s, CATALOG_REFUSED_BOUND, hpat, NULL, NULL, s->over);
	}
}

int catalog__scan(const struct catalog *c, struct safepath *sp, const struct catalog_target *t,
		  const struct catalog_scan_cbs *cbs)
{
	struct scan *s;
	int stop;

	if (t->scope != CATALOG_SCOPE_NODE && (!t->base || t->base[0] != '/'))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->t = t;
	s->cbs = cbs;
	s->sp = sp;
	for (int i = 0; i < c->nenabled && !s->stop; i++) {
		s->e = &c->v[c->enabled[i]];
		if (scope_of(s->e) != t->scope)
			continue;
		if (t->scope == CATALOG_SCOPE_HOME && !user_listed(s->e, t->user))
			continue;
		scan_entry(s);
	}
	stop = s->stop;
	free(s);
	return stop;
}

int catalog__homes(struct safepath *sp, int (*fn)(void *ctx, const char *home, const char *user,
						   uint32_t uid), void *ctx)
{
	struct safepath_policy pol = { .trusted = "/home", .follow = SAFEPATH_FOLLOW_NONE };
	struct safepath_res res;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!safepath__stat(sp, "/root", NULL, &res) && S_ISDIR(res.st.st_mode))
		ret = fn(ctx, "/root", "root", res.st.st_uid);
	/* /home itself may be a link of root's (/home -> /var/home): followed, inside the root */
	if (ret || safepath__opendir(sp, "/home", &pol, &d, &res))
		return ret;
	while (!ret && (de = readdir(d))) {
		char home[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || strlen(de->d_name) > 64)
			continue;
		/* a home is a directory; a link in /home is not a home */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(home, sizeof(home), "/home/%s", de->d_name);
		ret = fn(ctx, home, de->d_name, st.st_uid);
	}
	closedir(d);
	return ret;
}
