// SPDX-License-Identifier: Apache-2.0
/*
 * inventory.c - `credwatch inventory`: discovery once, the findings each
 * credential has, a table for people or one JSON document for machines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "creds.h"
#include "discovery/catalog.h"
#include "findings.h"
#include "inventory_int.h"
#include "json.h"
#include "log.h"
#include "passwd.h"
#include "pods.h"
#include "watch.h"

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int item_add(struct inv *v, const struct cred_entry *c, bool watched)
{
	struct item *it;

	if (v->nitems == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct item *n = realloc(v->items, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		v->items = n;
		v->cap = cap;
	}
	it = &v->items[v->nitems];
	memset(it, 0, sizeof(*it));
	it->c = *c;
	it->c.path = dup_or_empty(c->path);
	it->c.entry = dup_or_empty(c->entry);
	it->c.pod_uid = dup_or_empty(c->pod_uid);
	it->c.volume = dup_or_empty(c->volume);
	it->c.group = dup_or_empty(c->group);
	it->c.secret_name = dup_or_empty(c->secret_name);
	it->watched = watched;
	it->severity = -1;
	v->nitems++;
	if (!it->c.path || !it->c.entry || !it->c.pod_uid || !it->c.volume || !it->c.group ||
	    !it->c.secret_name)
		return -ENOMEM;
	return 0;
}

static void item_free(struct item *it)
{
	free((char *)it->c.path);
	free((char *)it->c.entry);
	free((char *)it->c.pod_uid);
	free((char *)it->c.volume);
	free((char *)it->c.group);
	free((char *)it->c.secret_name);
}

/* watch_sink.refused: keep what an inventory shows. */
static void on_refused(void *ctx, enum watch_refusal r, const struct cred_entry *c,
		       uint64_t count, const char *why)
{
	struct inv *v = ctx;
	struct refusal *x;

	/* a file of another user under a home is a credential with a finding */
	if (r == WATCH_REFUSED_OWNER && item_add(v, c, false))
		v->oom = true;
	if (v->nrefusals == v->rcap) {
		size_t cap = v->rcap ? v->rcap * 2 : 16;
		struct refusal *n = realloc(v->refusals, cap * sizeof(*n));

		if (!n) {
			v->oom = true;
			return;
		}
		v->refusals = n;
		v->rcap = cap;
	}
	x = &v->refusals[v->nrefusals++];
	x->reason = r;
	x->count = count;
	x->path = dup_or_empty(c->path);
	x->entry = dup_or_empty(c->entry);
	x->why = dup_or_empty(why);
	if (!x->path || !x->entry || !x->why)
		v->oom = true;
}

static enum verdict verdict_of(const char *type, const struct item *it)
{
	if (!strcmp(type, "exposed_host_credential"))
		return (it->c.mode & 0004) ? V_WORLD : (it->c.mode & 0040) ? V_GROUP : V_LOGIN_OWNER;
	if (!strcmp(type, "foreign_owned_credential"))
		return V_FOREIGN;
	if (!strcmp(type, "ci_workspace_credential"))
		return V_CI;
	if (!strcmp(type, "admin_kubeconfig_on_worker"))
		return V_ADMIN_WORKER;
	return V_LEGACY;
}

/* findings_check: one finding of the current item. */
static void on_finding(void *ctx, const char *type, int severity, const char *id,
		       const char *line, size_t len)
{
	struct inv *v = ctx;
	struct item *it = v->cur;
	char *copy;

	if (severity < 0 || severity > 3)
		return;
	v->by_severity[severity]++;
	if (severity > it->severity)
		it->severity = severity;
	it->verdicts |= 1u << verdict_of(type, it);
	if (it->nids < MAX_FINDINGS_PER_CRED)
		snprintf(it->ids[it->nids++], sizeof(it->ids[0]), "%s", id);
	if (v->nlines == v->lcap) {
		size_t cap = v->lcap ? v->lcap * 2 : 32;
		char **n = realloc(v->lines, cap * sizeof(*n));

		if (!n) {
			v->oom = true;
			return;
		}
		v->lines = n;
		v->lcap = cap;
	}
	copy = strndup(line, len);
	if (!copy) {
		v->oom = true;
		return;
	}
	v->lines[v->nlines++] = copy;
}

/* findings' pod lookup: namespace and name from kubelet's log tree (node-local). */
static bool pod_lookup(void *ctx, const char *pod_uid, char *ns, size_t ns_size, char *name,
		       size_t name_size, char *sa, size_t sa_size)
{
	struct inv *v = ctx;
	struct pod_ident id;

	if (!v->pods || pods_lookup(v->pods, pod_uid, &id))
		return false;
	snprintf(ns, ns_size, "%s", id.ns);
	snprintf(name, name_size, "%s", id.name);
	snprintf(sa, sa_size, "%s", "");
	return true;
}

static int cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->severity != y->severity)
		return y->severity - x->severity;
	return strcmp(x->c.path, y->c.path);
}

static void node_name_of(const struct inventory_opts *o, char *buf, size_t size)
{
	const char *env = getenv("NODE_NAME");

	if (o->node_name && o->node_name[0])
		snprintf(buf, size, "%s", o->node_name);
	else if (env && env[0])
		snprintf(buf, size, "%s", env);
	else if (gethostname(buf, size))
		snprintf(buf, size, "unknown");
	buf[size - 1] = '\0';
}

int inventory_run(const struct inventory_opts *o)
{
	struct catalog_diag diag = { 0 };
	struct catalog_opts co = { o->catalog, o->ncatalog, &diag };
	struct inv v = { .o = o };
	struct catalog *cat = NULL;
	struct creds *table = NULL;
	struct watch *w = NULL;
	struct findings *f = NULL;
	struct watch_sink sink = { NULL, NULL, &v, on_refused };
	struct watch_opts wo = { 0 };
	struct findings_opts fo = { 0 };
	const struct cred_entry *c;
	FILE *out = o->out ? o->out : stdout;
	uint64_t now_s = o->now_s ? o->now_s : (uint64_t)time(NULL);
	char node[256];
	uint32_t cursor = 0;
	bool control_plane;
	int ret = 1, err;

	v.root = o->host_root && o->host_root[0] ? o->host_root : "/";
	node_name_of(o, node, sizeof(node));
	err = catalog_new(&cat, &co);
	if (err) {
		catalog_diag_print(&diag, stderr);
		ret = err == -ENOMEM ? 1 : 2;
		goto cleanup;
	}
	if (creds_new(&table, 0))
		goto oom;
	wo.host_root = v.root;
	wo.catalog = cat;
	wo.once = true;			/* and no bound: an inventory lists everything */
	err = watch_new(&w, &wo, table, &sink);
	if (err)
		goto runtime;
	err = watch_scan_all(w);
	if (err)
		goto runtime;
	while ((c = creds_next(table, &cursor)))
		if (item_add(&v, c, true))
			goto oom;
	if (v.oom)
		goto oom;

	fo.stateless = true;
	fo.host_root = v.root;
	fo.node_name = node;
	fo.cluster_name = o->cluster_name;
	err = findings_new(&f, &fo);
	if (err)
		goto runtime;
	/* Without the pod index (out of memory) findings just name no pod. */
	(void)pods_new(&v.pods, &(struct pods_opts){ .host_root = v.root });
	control_plane = findings_is_control_plane(v.root);
	for (size_t i = 0; i < v.nitems; i++) {
		v.cur = &v.items[i];
		findings_check(f, &v.items[i].c, control_plane, !v.items[i].watched, now_s,
			       pod_lookup, &v, on_finding, &v);
	}
	if (v.oom)
		goto oom;
	if (v.nitems)
		qsort(v.items, v.nitems, sizeof(*v.items), cmp_items);
	if (o->json)
		err = inventory_print_json(&v, out, now_s, node, o->cluster_name);
	else
		inventory_print_text(&v, out, now_s, node);
	if (err || fflush(out) || ferror(out)) {
		log_error("inventory: writing the report: %s", strerror(err ? -err : EIO));
		goto cleanup;
	}
	ret = 0;
	for (int s = o->fail_on; o->fail_on >= 0 && s < 4; s++)
		if (v.by_severity[s])
			ret = INVENTORY_EXIT_FINDINGS;
	goto cleanup;
oom:
	log_error("inventory: out of memory");
	goto cleanup;
runtime:
	log_error("inventory: discovery under %s: %s", v.root, strerror(-err));
cleanup:
	pods_free(v.pods);
	findings_free(f);
	watch_free(w);
	creds_free(table);
	catalog_free(cat);
	for (size_t i = 0; i < v.nitems; i++)
		item_free(&v.items[i]);
	free(v.items);
	for (size_t i = 0; i < v.nrefusals; i++) {
		free(v.refusals[i].path);
		free(v.refusals[i].entry);
		free(v.refusals[i].why);
	}
	free(v.refusals);
	for (size_t i = 0; i < v.nlines; i++)
		free(v.lines[i]);
	free(v.lines);
	return ret;
}

/* What `credwatch inventory` reads from its command line (inventory_options). */
struct inventory_args {
	bool json;
	char *host_root;
	struct strlist catalog;
	char *fail_on;
	char *node_name;
	char *cluster_name;
	char *config;
	bool verbose;
	bool help;
};

static const struct opt_desc inventory_option_list[] = {
	OPT_BOOL(struct inventory_args, json, "json",
		 "one JSON document (findings as the agent emits them)"),
	OPT_STR(struct inventory_args, host_root, "host-root", "DIR", "/",
		"where the node's files are"),
	OPT_LIST(struct inventory_args, catalog, "catalog", "FILE|DIR",
		 CW_CATALOG_DIR ", else catalog/ next to the build",
		 "credential catalog; repeatable"),
	OPT_STR(struct inventory_args, fail_on, "fail-on", "SEVERITY", NULL,
		"exit 3 if a finding is low|medium|high|critical or worse"),
	OPT_STR(struct inventory_args, node_name, "node-name", "NAME",
		"$NODE_NAME, else the host name", "node name in findings and their ids"),
	OPT_STR(struct inventory_args, cluster_name, "cluster-name", "NAME", NULL,
		"cluster name in findings and their ids"),
	OPT_STR(struct inventory_args, config, "config", "FILE", CONFIG_DEFAULT_FILE " if present",
		"take host-root, catalog, node-name and cluster-name from the agent's config file"),
	OPT_BOOL(struct inventory_args, verbose, "verbose",
		 "also log what discovery refused, as the agent does", .short_opt = 'v'),
	OPT_BOOL(struct inventory_args, help, "help", "this help", .short_opt = 'h',
		 .cli_only = "an action"),
};

const struct opt_table inventory_options = OPT_TABLE(inventory_option_list, NULL, NULL);

static void usage(FILE *out)
{
	fputs("Usage: credwatch inventory [OPTION]...\n"
	      "List every credential on this node: kind, catalog entry, owner, mode, file owner,\n"
	      "size and age, and whether anyone may read it who should not. Needs no eBPF and\n"
	      "no cluster; reads no credential.\n\n", out);
	opt_print_help(out, inventory_options.opts, inventory_options.n);
	fputs("\nExit status: 0; 3 when --fail-on found a finding; 1 runtime failure; 2 usage or\n"
	      "catalog error.\n", out);
}

static void inventory_args_free(struct inventory_args *a)
{
	for (size_t i = 0; i < inventory_options.n; i++)
		opt_value_free(&inventory_options.opts[i], opt_field(&inventory_options.opts[i], a));
}

int inventory_main(int argc, char **argv)
{
	struct inventory_opts o = { .fail_on = -1 };
	struct inventory_args args = { 0 };
	const char *config_file;
	struct config cfg;
	int ret = 2;
	char err[512];

	config_init(&cfg);
	ret = opt_parse_argv(inventory_options.opts, inventory_options.n, &args, argc, argv, NULL,
			     err, sizeof(err));
	if (ret) {
		fprintf(stderr, "credwatch: inventory: %s\n", err);
		ret = ret == -ENOMEM ? 1 : 2;	/* out of memory is no usage error */
		goto out;
	}
	ret = 2;
	if (args.help) {
		usage(stdout);
		ret = 0;
		goto out;
	}
	if (args.fail_on) {
		o.fail_on = catalog_severity_parse(args.fail_on);
		if (o.fail_on < 0) {
			fprintf(stderr, "credwatch: inventory: --fail-on: '%s' is not low, "
				"medium, high or critical\n", args.fail_on);
			goto out;
		}
	}
	o.json = args.json;
	o.host_root = args.host_root;
	o.catalog = (const char *const *)args.catalog.v;
	o.ncatalog = args.catalog.n;
	o.node_name = args.node_name;
	o.cluster_name = args.cluster_name;
	config_file = args.config;
	/* the agent's config file, for what the command line did not say */
	if (!config_file && !access(CONFIG_DEFAULT_FILE, R_OK))
		config_file = CONFIG_DEFAULT_FILE;
	if (config_file && config_load_file(&cfg, config_file, err, sizeof(err))) {
		fprintf(stderr, "credwatch: inventory: %s\n", err);
		goto out;
	}
	if (!o.host_root)
		o.host_root = cfg.agent.host_root;
	if (!o.ncatalog) {
		o.catalog = (const char *const *)cfg.watch.catalog_files.v;
		o.ncatalog = cfg.watch.catalog_files.n;
	}
	if (!o.node_name)
		o.node_name = cfg.identity.node_name;
	if (!o.cluster_name)
		o.cluster_name = cfg.identity.cluster_name;
	if (o.host_root && access(o.host_root, R_OK | X_OK)) {
		fprintf(stderr, "credwatch: inventory: --host-root: %s: %s\n", o.host_root,
			strerror(errno));
		goto out;
	}
	/* refusals are in the report; logged too only when asked */
	cw_log_level = args.verbose ? CW_LOG_WARN : CW_LOG_ERROR;
	ret = inventory_run(&o);
out:
	config_free(&cfg);
	inventory_args_free(&args);
	return ret;
}
