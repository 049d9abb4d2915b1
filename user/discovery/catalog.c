// SPDX-License-Identifier: Apache-2.0
/*
 * catalog.c - the credential catalog: its sources (files and directories
 * of catalog files, in order), its entries once loaded (catalog_load.c)
 * and what discovery asks of them. Scans of the host: catalog_scan.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "../fileio.h"
#include "catalog_int.h"

/* ------------------------------------------------------------ small helpers */

void catalog_strs_free(struct catalog_strs *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int catalog_strs_push(struct catalog_strs *s, const char *str)
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

void catalog_entry_free(struct catalog_entry *e)
{
	free(e->name);
	catalog_strs_free(&e->paths);
	catalog_strs_free(&e->ignore);
	catalog_strs_free(&e->users);
	catalog_strs_free(&e->flag_paths);
	free(e->csi_driver);
	free(e->flag_manifest);
	free(e->flag_name);
	free(e->file);
	memset(e, 0, sizeof(*e));
}

static const char *const severity_names[] = { "low", "medium", "high", "critical" };

const char *catalog_severity_name(enum catalog_severity s)
{
	return (unsigned)s < 4 ? severity_names[s] : "high";
}

int catalog_severity_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, severity_names[i]))
			return i;
	return -EINVAL;
}

static const char *const refusal_names[CATALOG_REFUSED__COUNT] = {
	[CATALOG_OK] = "ok",
	[CATALOG_REFUSED_SYMLINK] = "symlink",
	[CATALOG_REFUSED_OUTSIDE] = "outside",
	[CATALOG_REFUSED_OWNER] = "owner",
	[CATALOG_REFUSED_BOUND] = "bound",
};

const char *catalog_refusal_name(enum catalog_refusal r)
{
	return (unsigned)r < CATALOG_REFUSED__COUNT ? refusal_names[r] : "unknown";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool catalog_has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * Check one pattern's components: non-empty, not "." or "..", "**" only
 * whole, printable. form: '/' absolute, '~' home ("~/..."), 'r' relative.
 */
const char *catalog_pattern_problem(const char *p, char form)
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

int catalog_find_index(const struct catalog *c, const char *name, int from, int to)
{
	for (int i = from; i < to; i++)
		if (c->v[i].name && !strcmp(c->v[i].name, name))
			return i;
	return -1;
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
		return catalog_strs_push(&c->files, path);
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
		err = catalog_strs_push(&names, full);
	}
	closedir(dir);
	if (names.n)
		qsort(names.v, (size_t)names.n, sizeof(char *), cmp_str);
	for (int i = 0; !err && i < names.n; i++)
		err = catalog_strs_push(&c->files, names.v[i]);
	catalog_strs_free(&names);
	return err;
}

/* The installed catalog, else the source tree's catalog/ a few levels above the binary. */
static int default_source(char *out, size_t size)
{
	struct stat st;

	if (!stat(CW_CATALOG_DIR, &st) && S_ISDIR(st.st_mode)) {
		snprintf(out, size, "%s", CW_CATALOG_DIR);
		return 0;
	}
	return path_near_binary("catalog", true, out, size);
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

int catalog_new(struct catalog **out, const struct catalog_opts *opts)
{
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
	err = catalog_load_files(c, opts->diag);
	if (err)
		goto cleanup;
	err = build_enabled(c);
	if (err)
		goto cleanup;
	*out = c;
	return 0;
cleanup:
	catalog_free(c);
	return err;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		catalog_entry_free(&c->v[i]);
	free(c->v);
	free(c->enabled);
	catalog_strs_free(&c->files);
	free(c);
}

int catalog_count(const struct catalog *c)
{
	return c->nenabled;
}

const struct catalog_entry *catalog_entry(const struct catalog *c, int i)
{
	return i >= 0 && i < c->nenabled ? &c->v[c->enabled[i]] : NULL;
}

const struct catalog_entry *catalog_find(const struct catalog *c, const char *name)
{
	int i = catalog_find_index(c, name, 0, c->n);

	return i >= 0 && c->v[i].enabled ? &c->v[i] : NULL;
}

int catalog_nfiles(const struct catalog *c)
{
	return c->files.n;
}

const char *catalog_file(const struct catalog *c, int i)
{
	return i >= 0 && i < c->files.n ? c->files.v[i] : NULL;
}

enum catalog_scope catalog_entry_scope(const struct catalog_entry *e)
{
	return e->owner == CRED_OWNER_HOME ? CATALOG_SCOPE_HOME :
	       e->owner == CRED_OWNER_POD ? CATALOG_SCOPE_POD : CATALOG_SCOPE_NODE;
}

bool catalog_pod_may_match(const struct catalog *c, const char *pod_dir)
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

bool catalog_has_scope(const struct catalog *c, enum catalog_scope scope)
{
	for (int i = 0; i < c->nenabled; i++)
		if (catalog_entry_scope(&c->v[c->enabled[i]]) == scope)
			return true;
	return false;
}

