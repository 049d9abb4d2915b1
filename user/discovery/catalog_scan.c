// SPDX-License-Identifier: Apache-2.0
/*
 * catalog_scan.c - entries matched against the host through safepath:
 * patterns expanded component by component ("*", "**", "~/", pod-relative
 * forms, CSI volumes), paths named by flags in static pod manifests, and
 * the homes of /home. Each credential found or refused goes to the
 * caller's callbacks.
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
	err = safepath_stat(s->sp, path, &s->pol, &res);
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
	n = safepath_read_small(s->sp, path, &pol, buf, VOL_DATA_MAX);
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
	err = safepath_opendir(s->sp, len ? s->path : "/", &s->pol, &d, &res);
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
	if (catalog_has_glob(comp)) {
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
	for (fixed = 0; fixed < n - 1 && !catalog_has_glob(comps[fixed]); fixed++)
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
		const char *k = catalog_yscalar(yaml_document_get_node(doc, p->key));

		if (k && !strcmp(k, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *map_str(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	return catalog_yscalar(map_get(doc, m, key));
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
			const char *a = catalog_yscalar(yaml_document_get_node(doc, *it));

			if (!a)
				continue;
			if (!strncmp(a, flag, fl) && a[fl] == '=')
				return a + fl + 1;
			if (!strcmp(a, flag) && it + 1 < seq->data.sequence.items.top)
				return catalog_yscalar(yaml_document_get_node(doc, it[1]));
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
	n = safepath_read_small(sp, e->flag_manifest, &pol, buf, CATALOG_MANIFEST_MAX);
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

			if (v && v[0] == '/' && !catalog_has_glob(v) && !catalog_pattern_problem(v, '/') &&
			    map_to_host(&doc, spec, ctr, v, out[found], PATH_MAX) &&
			    !catalog_pattern_problem(out[found], '/') && !catalog_has_glob(out[found]))
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

int catalog_scan(const struct catalog *c, struct safepath *sp, const struct catalog_target *t,
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
		if (catalog_entry_scope(s->e) != t->scope)
			continue;
		if (t->scope == CATALOG_SCOPE_HOME && !user_listed(s->e, t->user))
			continue;
		scan_entry(s);
	}
	stop = s->stop;
	free(s);
	return stop;
}

int catalog_homes(struct safepath *sp, int (*fn)(void *ctx, const char *home, const char *user,
						   uint32_t uid), void *ctx)
{
	struct safepath_policy pol = { .trusted = "/home", .follow = SAFEPATH_FOLLOW_NONE };
	struct safepath_res res;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!safepath_stat(sp, "/root", NULL, &res) && S_ISDIR(res.st.st_mode))
		ret = fn(ctx, "/root", "root", res.st.st_uid);
	/* /home itself may be a link of root's (/home -> /var/home): followed, inside the root */
	if (ret || safepath_opendir(sp, "/home", &pol, &d, &res))
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
