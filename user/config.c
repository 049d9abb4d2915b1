// SPDX-License-Identifier: Apache-2.0
/*
 * config.c - the option table: command-line parsing, the YAML config file,
 * --help, --print-config and the documentation's option table.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "budget.h"
#include "config.h"
#include "nodeagents.h"
#include "redact.h"

enum opt_type { OPT_STR, OPT_LIST, OPT_UINT, OPT_BOOL };

struct opt_desc {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *arg;	/* metavar; NULL for booleans */
	const char *def;	/* default as text, for --help */
	const char *help;
	int short_opt;
};

#define O(n, t, m, a, d, h) { n, t, offsetof(struct config, m), a, d, h, 0 }

/*
 * Every option, once. Adding an entry here (plus its field in struct
 * config) is all a new option needs: the command-line flag, the config
 * file key of the same name with type checking, --help, --print-config,
 * config_diff() for reloads and the table in docs/operations.md (make docs)
 * all come from this table. Options that are actions rather than settings
 * are listed in cli_only() below and stay out of the file.
 */
static const struct opt_desc opts[] = {
	O("config", OPT_STR, config_file, "FILE", "/etc/credwatch/credwatch.yaml if present",
	  "read options from a YAML file; flags override it"),
	O("host-root", OPT_STR, host_root, "DIR", "/",
	  "where host paths are found (kubelet dirs, /etc, /proc, cgroup fs)"),
	O("watch", OPT_LIST, watch, "PATH", "none",
	  "also watch this host file or directory (kind custom); repeatable"),
	O("catalog", OPT_LIST, catalog, "FILE|DIR", "/etc/credwatch/catalog.d, else catalog/ "
	  "next to the build", "credential catalog: where credentials live on a node (every "
	  ".yaml file of a DIR); repeatable, applied in order"),
	O("rules", OPT_LIST, rules, "FILE", "/etc/credwatch/rules/credwatch_rules.yaml, else "
	  "rules/credwatch_rules.yaml next to the build", "Falco rules file, or a directory of "
	  "*.yaml/*.yml rules files (name order); repeatable, applied in order"),
	O("validate-rules", OPT_BOOL, validate_rules, NULL, NULL,
	  "load and check the rules, print every error as FILE:LINE:COL, exit 0 or 2; with -v "
	  "list the rules that do not apply to credential opens"),
	O("output", OPT_STR, output, "FILE|-", "-", "where alerts go (appends to FILE)"),
	O("output-format", OPT_STR, output_format, "json|text", "text on a terminal, else json",
	  "alert format: Falco JSON lines or readable text"),
	O("rule-matching", OPT_STR, rule_matching, "first|all", "first",
	  "raise only the first matching rule per access (as Falco), or all"),
	O("alert-rate", OPT_UINT, alert_rate, "N", "10",
	  "alerts per second per rule and reader before suppression (0: no limit)"),
	O("alert-burst", OPT_UINT, alert_burst, "N", "50", "alerts allowed in a burst"),
	O("alert-summary-interval", OPT_UINT, alert_summary_interval_s, "SECONDS", "60",
	  "how often suppressed alerts are reported in a summary alert"),
	O("dump", OPT_STR, dump, "DIR", "off",
	  "record every event and alert to compressed trace dumps in DIR"),
	O("dump-max-bytes", OPT_UINT, dump_max_bytes, "BYTES", "67108864",
	  "start a new dump file past this size (0: no limit)"),
	O("dump-max-age", OPT_UINT, dump_max_age_s, "SECONDS", "3600",
	  "start a new dump file past this age (0: no limit)"),
	O("dump-keep", OPT_UINT, dump_keep, "N", "8", "dump files kept; older ones are deleted (0: all)"),
	O("backend", OPT_STR, backend, "URL", "off",
	  "ship alerts and findings to this https:// audit backend (spooled, at-least-once)"),
	O("backend-format", OPT_STR, backend_format, "credwatch|falcosidekick", "credwatch",
	  "gzip NDJSON batches, or one Falco JSON alert per POST for falcosidekick"),
	O("backend-token-file", OPT_STR, backend_token_file, "FILE", "none",
	  "bearer token, re-read when the file changes; never logged"),
	O("backend-ca", OPT_STR, backend_ca, "FILE", "system CAs", "CA bundle to verify the backend"),
	O("backend-cert", OPT_STR, backend_cert, "FILE", "none", "client certificate for mTLS"),
	O("backend-key", OPT_STR, backend_key, "FILE", "none", "client key for mTLS"),
	O("backend-insecure", OPT_BOOL, backend_insecure, NULL, NULL,
	  "allow an http:// backend (certificates are always verified for https)"),
	O("backend-connect-timeout-ms", OPT_UINT, backend_connect_timeout_ms, "MS", "5000",
	  "connect timeout per request"),
	O("backend-timeout-ms", OPT_UINT, backend_timeout_ms, "MS", "10000", "total timeout per request"),
	O("backend-batch-max", OPT_UINT, backend_batch_max, "N", "500", "records per batch"),
	O("backend-batch-bytes", OPT_UINT, backend_batch_bytes, "BYTES", "1048576",
	  "uncompressed bytes per batch"),
	O("backend-flush-ms", OPT_UINT, backend_flush_ms, "MS", "1000",
	  "send a partial batch after this long"),
	O("backend-retry-base-ms", OPT_UINT, backend_retry_base_ms, "MS", "500",
	  "first retry delay (exponential backoff with jitter, Retry-After honoured)"),
	O("backend-retry-max-ms", OPT_UINT, backend_retry_max_ms, "MS", "60000", "longest retry delay"),
	O("backend-drain-ms", OPT_UINT, backend_drain_ms, "MS", "5000",
	  "at exit, how long to keep sending; the rest stays spooled for the next start"),
	O("spool", OPT_STR, spool, "DIR", "/var/lib/credwatch/spool",
	  "on-disk queue of alerts and findings not yet acknowledged by the backend"),
	O("spool-max-bytes", OPT_UINT, spool_max_bytes, "BYTES", "268435456",
	  "spool bound; the oldest records are evicted, counted and reported"),
	O("spool-fsync-ms", OPT_UINT, spool_fsync_ms, "MS", "100",
	  "group commit window (0: fsync every record)"),
	O("listen", OPT_STR, listen, "ADDR:PORT", "off",
	  "serve /healthz, /readyz and /metrics (Prometheus) on this address"),
	O("events", OPT_STR, events, "FILE|-", "off",
	  "write every credential access as NDJSON, before rules"),
	O("findings", OPT_STR, findings, "FILE|-", "off",
	  "write credential exposure findings (what to fix) as NDJSON"),
	O("findings-window", OPT_UINT, findings_window_s, "SECONDS", "86400",
	  "observation window: unused tokens, learning of token readers"),
	O("findings-interval", OPT_UINT, findings_interval_s, "SECONDS", "300",
	  "how often findings are evaluated (and state saved)"),
	O("state-dir", OPT_STR, state_dir, "DIR", "/var/lib/credwatch",
	  "where findings state survives restarts (created 0700)"),
	O("node-name", OPT_STR, node_name, "NAME", "$NODE_NAME, else the host name",
	  "this node's name"),
	O("kubeconfig", OPT_STR, kubeconfig, "FILE", "in-cluster service account when present",
	  "Kubernetes API access for pod enrichment (the agent works without it)"),
	O("cgroup-root", OPT_STR, cgroup_root, "DIR", "the cgroup2 mount under --host-root",
	  "cgroup v2 hierarchy used to map cgroup ids to containers and pods"),
	O("attrib-cache-max", OPT_UINT, attrib_cache_max, "N", "16384",
	  "cgroup ids kept in the attribution cache"),
	O("cluster-name", OPT_STR, cluster_name, "NAME", "unset (<NA>)",
	  "cluster name put on every event and alert"),
	O("duration", OPT_UINT, duration_s, "SECONDS", "0 (run until signalled)",
	  "run this long, then flush everything and exit 0"),
	O("discovery-recheck-ms", OPT_UINT, discovery_recheck_ms, "MS", "1000",
	  "re-check the volumes of the next 16 pods this often, counting what the live path "
	  "missed (0: off)"),
	O("max-watched", OPT_UINT, max_watched, "N", "65536",
	  "size of the kernel's watched-inode map"),
	O("token-reserve", OPT_UINT, token_reserve, "N", "8192",
	  "places of the watched map only service-account tokens may take (at most a quarter "
	  "of --max-watched)"),
	O("max-watched-per-pod", OPT_UINT, max_watched_per_pod, "N", "512",
	  "credential files watched per pod, service-account tokens first (0: no bound)"),
	O("ringbuf-bytes", OPT_UINT, ringbuf_bytes, "BYTES", "8388608",
	  "kernel ring buffer size (power of 2)"),
	O("bpf-variant", OPT_STR, bpf_variant, "auto|fast|compat", "auto",
	  "BPF programs to load: fast needs Linux 6.2+, compat runs from 5.10; "
	  "auto picks fast where the kernel has it"),
	O("repeat-window-ms", OPT_UINT, repeat_window_ms, "MS", "1000",
	  "an open by the same process of the same credential (same program, uid, cgroup, "
	  "access mode, syscall) within MS of its previous open is counted in the kernel, "
	  "not sent: it reaches every output as evt.count of an aggregated record "
	  "(0: every open is an event)"),
	O("cgroup-budget", OPT_STR, cgroup_budget, "auto|off|RATE[:BURST]", "auto",
	  "full events per second (and at once) each cgroup may send; beyond it they are "
	  "refused, counted per pod and alerted, but a cgroup's first read of each "
	  "credential still gets through; past half full the ring buffer admits only "
	  "quiet cgroups. auto sizes it to --ringbuf-bytes (docs/limits.md)"),
	O("ia32-syscalls", OPT_STR, ia32_syscalls, "auto|fexit|raw_syscalls|off", "auto",
	  "how 32-bit (int 0x80) opens are seen where the kernel runs 32-bit code: fexit "
	  "(free for 64-bit syscalls), raw_syscalls (runs on every syscall), auto (fexit "
	  "where tracing programs load, else raw_syscalls), off"),
	O("node-agents", OPT_LIST, node_agents, "NAME", "kubelet, containerd, "
	  "containerd-shim-runc-v2, runc, crio, conmon, kube-proxy, calico-node, cilium-agent "
	  "and more (--print-config lists them)", "base names of node-agent executables looked "
	  "for in the host's process table at start and on SIGHUP: a process of the host's "
	  "mount namespace running one registers its executable's (device, inode) as "
	  "proc.node_agent; replaces the list"),
	O("node-agent-paths", OPT_LIST, node_agent_paths, "PATH", "/usr/bin/kubelet, "
	  "/usr/local/bin/kubelet, /usr/bin/containerd, /usr/bin/runc, /usr/bin/kubectl "
	  "and more (--print-config lists them)", "host paths (inside --host-root) of "
	  "node-agent executables registered by (device, inode) whether or not they run; "
	  "each must be root's and not writable by group or others; replaces the list"),
	O("list-watched", OPT_BOOL, list_watched, NULL, NULL,
	  "print the discovered credentials and exit"),
	O("print-config", OPT_BOOL, print_config, NULL, NULL,
	  "print the effective configuration and exit"),
	O("no-color", OPT_BOOL, no_color, NULL, NULL, "no colours in text output (also NO_COLOR)"),
	O("no-redact", OPT_BOOL, no_redact, NULL, NULL,
	  "keep secrets in command lines (proc.cmdline, proc.pcmdline) as they are; "
	  "warned at every start"),
	O("redact-names", OPT_LIST, redact_names, "WORD", "token, password, secret, key, auth "
	  "and more (--print-config lists them)", "flag and key names whose value is "
	  "redacted from command lines; replaces the list"),
	O("redact-extra-names", OPT_LIST, redact_extra_names, "WORD", "none",
	  "names added to redact-names; repeatable"),
	O("redact-prefixes", OPT_LIST, redact_prefixes, "PREFIX", "ghp_, glpat-, xoxb-, AKIA "
	  "and more (--print-config lists them)", "token formats by prefix, redacted "
	  "after the prefix; replaces the list"),
	O("redact-extra-prefixes", OPT_LIST, redact_extra_prefixes, "PREFIX", "none",
	  "prefixes added to redact-prefixes; repeatable"),
	O("redact-programs", OPT_LIST, redact_programs, "'PROG -FLAG VALUE'", "mysql -pVALUE, "
	  "sshpass -p VALUE, curl -u USER:VALUE and more (--print-config lists them)",
	  "password flags of one program; replaces the list"),
	O("redact-extra-programs", OPT_LIST, redact_extra_programs, "'PROG -FLAG VALUE'", "none",
	  "program flags added to redact-programs; repeatable"),
	{ "verbose", OPT_BOOL, offsetof(struct config, verbose), NULL, NULL,
	  "debug logging, including libbpf's", 'v' },
	{ "version", OPT_BOOL, offsetof(struct config, version), NULL, NULL,
	  "print the version and exit", 'V' },
	{ "help", OPT_BOOL, offsetof(struct config, help), NULL, NULL,
	  "this help", 'h' },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/*
 * Options that are not settings: actions that make the agent do something
 * else and exit, and the file's own name. A config file that set them
 * would turn every start of the service into that action. Returns why,
 * or NULL for an ordinary setting. By name so that options other branches
 * add (validate-rules) are covered before they exist.
 */
static const char *cli_only(const char *name)
{
	static const char *const actions[] = {
		"help", "version", "print-config", "list-watched", "validate-rules",
	};

	if (!strcmp(name, "config"))
		return "a config file cannot name another config file; use --config";
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(name, actions[i]))
			return "an action, not a setting: give it on the command line";
	return NULL;
}

static const struct opt_desc *opt_find(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')	/* no sign, no space, no empty */
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = n;
	return 0;
}

static void set_default_items(struct strlist *l, const char *const *items, size_t n)
{
	/* read-only and static: borrowed, never freed (see struct strlist) */
	l->v = (char **)items;
	l->n = (int)n;
	l->borrowed = true;
}

static void set_default_list(struct strlist *l, enum redact_list list)
{
	size_t n;
	const char *const *items = redact_defaults(list, &n);

	/* read-only and static: borrowed, never freed (see struct strlist) */
	l->v = (char **)items;
	l->n = (int)n;
	l->borrowed = true;
}

void config_init(struct config *c)
{
	const char *const *items;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->alert_rate = 10;
	c->alert_burst = 50;
	c->alert_summary_interval_s = 60;
	c->dump_max_bytes = 64ULL << 20;
	c->dump_max_age_s = 3600;
	c->dump_keep = 8;
	c->backend_connect_timeout_ms = 5000;
	c->backend_timeout_ms = 10000;
	c->backend_batch_max = 500;
	c->backend_batch_bytes = 1 << 20;
	c->backend_flush_ms = 1000;
	c->backend_retry_base_ms = 500;
	c->backend_retry_max_ms = 60000;
	c->backend_drain_ms = 5000;
	c->spool_max_bytes = 256ULL << 20;
	c->spool_fsync_ms = 100;
	c->findings_window_s = 86400;
	c->findings_interval_s = 300;
	c->repeat_window_ms = 1000;
	c->discovery_recheck_ms = 1000;
	c->token_reserve = 8192;
	c->max_watched_per_pod = 512;
	/* built-in lists, shown by --print-config, replaced by the file or argv */
	set_default_list(&c->redact_names, REDACT_LIST_NAMES);
	set_default_list(&c->redact_prefixes, REDACT_LIST_PREFIXES);
	set_default_list(&c->redact_programs, REDACT_LIST_PROGRAMS);
	items = node_agents_default_names(&n);
	set_default_items(&c->node_agents, items, n);
	items = node_agents_default_paths(&n);
	set_default_items(&c->node_agent_paths, items, n);
}

static void strlist_free(struct strlist *l)
{
	for (int i = 0; !l->borrowed && i < l->n; i++)
		free(l->v[i]);
	if (!l->borrowed)
		free(l->v);
	l->v = NULL;
	l->n = 0;
	l->borrowed = false;
}

static int strlist_push(struct strlist *l, const char *s)
{
	char **v;

	if (l->borrowed)	/* every writer replaces first; never write a default */
		strlist_free(l);
	v = realloc(l->v, (size_t)(l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n] = strdup(s);
	if (!v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < NOPTS; i++) {
		void *field = (char *)c + opts[i].offset;

		if (opts[i].type == OPT_STR) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (opts[i].type == OPT_LIST) {
			strlist_free(field);
		}
	}
}

static int set_str(char **field, const char *val)
{
	char *s = val ? strdup(val) : NULL;

	if (val && !s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int set_value(struct config *c, const struct opt_desc *o, const char *val,
		     char *err, size_t err_size)
{
	void *field = (char *)c + o->offset;

	switch (o->type) {
	case OPT_STR:
		return set_str(field, val);
	case OPT_LIST:
		return strlist_push(field, val);
	case OPT_UINT:
		if (parse_u64(val, field)) {
			snprintf(err, err_size, "--%s: '%s' is not a non-negative integer",
				 o->name, val);
			return -EINVAL;
		}
		return 0;
	case OPT_BOOL:
		*(bool *)field = true;
		return 0;
	}
	return -EINVAL;
}

/* seen[i] (optional) is set for every option argv gives. */
static int parse_args(struct config *c, int argc, char **argv, bool *seen,
		      char *err, size_t err_size)
{
	bool given[NOPTS];
	struct option longopts[NOPTS + 1];
	char shortopts[32] = ":";
	size_t ns = 1;
	int ch, idx, ret;

	memset(given, 0, sizeof(given));
	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].type == OPT_BOOL ? no_argument : required_argument;
		longopts[i].val = 1000 + (int)i;
		if (opts[i].short_opt && ns < sizeof(shortopts) - 1)
			shortopts[ns++] = (char)opts[i].short_opt;
	}
	optind = 0;	/* 0, not 1: glibc fully re-initialises, argv is parsed more than once */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		const struct opt_desc *o = NULL;

		if (ch >= 1000 && ch < 1000 + (int)NOPTS) {
			o = &opts[ch - 1000];
		} else if (ch == '?') {
			if (optopt)
				snprintf(err, err_size, "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, err_size, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return -EINVAL;
		} else if (ch == ':') {
			snprintf(err, err_size, "option '%s' needs a value", argv[optind - 1]);
			return -EINVAL;
		} else {
			for (size_t i = 0; i < NOPTS; i++)
				if (opts[i].short_opt == ch)
					o = &opts[i];
		}
		if (!o)
			continue;
		/* the first time argv names a list, it replaces the file's list */
		if (o->type == OPT_LIST && !given[o - opts])
			strlist_free((struct strlist *)((char *)c + o->offset));
		given[o - opts] = true;
		ret = set_value(c, o, optarg ? optarg : "", err, err_size);
		if (ret == -ENOMEM)
			snprintf(err, err_size, "out of memory");
		if (ret)
			return ret;
	}
	if (optind < argc) {
		snprintf(err, err_size, "unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (seen)
		memcpy(seen, given, sizeof(given));
	return 0;
}

int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
	return parse_args(c, argc, argv, NULL, err, err_size);
}

/* ---- the YAML config file ---------------------------------------------- */

struct file_ctx {
	const char *path;
	yaml_document_t *doc;
	char *err;
	size_t err_size;
};

static unsigned long node_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML's null: an unquoted null, Null, NULL, ~ or nothing at all. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !s[0] || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int file_error(struct file_ctx *f, const yaml_node_t *n, const char *key,
		      const char *fmt, const char *arg)
{
	char reason[256];

	snprintf(reason, sizeof(reason), fmt, arg);
	snprintf(f->err, f->err_size, "%s:%lu: %s%s%s", f->path, node_line(n),
		 key ? key : "", key ? ": " : "", reason);
	return -EINVAL;
}

/* One list item, or a scalar given where a list is expected. */
static int file_list_item(struct file_ctx *f, const struct opt_desc *o, struct strlist *l,
			  const yaml_node_t *item)
{
	if (item->type != YAML_SCALAR_NODE)
		return file_error(f, item, o->name, "list items must be strings, got %s",
				  node_kind(item));
	if (is_null(item))
		return file_error(f, item, o->name, "empty list item%s", "");
	return strlist_push(l, scalar(item));
}

static int file_set(struct file_ctx *f, struct config *c, const struct opt_desc *o,
		    const yaml_node_t *v)
{
	void *field = (char *)c + o->offset;
	const char *s;
	int err;

	if (o->type == OPT_LIST) {
		struct strlist *l = field;

		/* the file's list replaces whatever was there */
		strlist_free(l);
		if (v->type == YAML_MAPPING_NODE)
			return file_error(f, v, o->name, "expected a list of strings, got %s",
					  node_kind(v));
		if (v->type == YAML_SCALAR_NODE)
			return is_null(v) ? 0 : file_list_item(f, o, l, v);
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			err = file_list_item(f, o, l, yaml_document_get_node(f->doc, *it));
			if (err)
				return err;
		}
		return 0;
	}
	if (v->type != YAML_SCALAR_NODE)
		return file_error(f, v, o->name, o->type == OPT_STR ? "expected a string, got %s" :
				  o->type == OPT_UINT ? "expected a non-negative integer, got %s" :
				  "expected true or false, got %s", node_kind(v));
	s = scalar(v);
	switch (o->type) {
	case OPT_STR:
		return set_str(field, is_null(v) ? NULL : s);
	case OPT_UINT:
		if (parse_u64(s, field))
			return file_error(f, v, o->name, "'%s' is not a non-negative integer", s);
		return 0;
	case OPT_BOOL:
		/* not YAML 1.1's yes/no/on/off: "no" meaning false surprises people */
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
			*(bool *)field = true;
		else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
			*(bool *)field = false;
		else
			return file_error(f, v, o->name, "'%s' is not true or false", s);
		return 0;
	case OPT_LIST:
		break;
	}
	return -EINVAL;
}

static int file_unknown_key(struct file_ctx *f, const yaml_node_t *k)
{
	char alt[128];
	size_t i;

	/* host_root or Host-Root for host-root: say which key was meant */
	for (i = 0; scalar(k)[i] && i < sizeof(alt) - 1; i++) {
		char ch = scalar(k)[i];

		alt[i] = ch == '_' ? '-' : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	alt[i] = '\0';
	if (!scalar(k)[i] && opt_find(alt) && !cli_only(alt)) {
		snprintf(f->err, f->err_size, "%s:%lu: unknown key '%s' (did you mean '%s'?)",
			 f->path, node_line(k), scalar(k), alt);
		return -EINVAL;
	}
	return file_error(f, k, NULL, "unknown key '%s' (keys are the long option names "
			  "of credwatch --help)", scalar(k));
}

static int file_apply(struct file_ctx *f, struct config *c, unsigned long *lines)
{
	yaml_node_t *root = yaml_document_get_root_node(f->doc);
	unsigned long seen[NOPTS] = { 0 };

	if (!root || is_null(root))
		return 0;	/* empty, only comments, or a bare "---": nothing set */
	if (root->type != YAML_MAPPING_NODE)
		return file_error(f, root, NULL, "expected a mapping of option names to values, "
				  "got %s", node_kind(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(f->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(f->doc, p->value);
		const struct opt_desc *o;
		const char *why;
		char prev[64];
		int err;

		if (k->type != YAML_SCALAR_NODE)
			return file_error(f, k, NULL, "keys must be option names, got %s",
					  node_kind(k));
		o = opt_find(scalar(k));
		if (!o)
			return file_unknown_key(f, k);
		why = cli_only(o->name);
		if (why)
			return file_error(f, k, o->name, "%s", why);
		if (seen[o - opts]) {
			snprintf(prev, sizeof(prev), "%lu", seen[o - opts]);
			return file_error(f, k, o->name, "duplicate key (first set on line %s)",
					  prev);
		}
		seen[o - opts] = node_line(k);
		err = file_set(f, c, o, v);
		if (err == -ENOMEM)
			snprintf(f->err, f->err_size, "%s: out of memory", f->path);
		if (err)
			return err;
		if (lines)
			lines[o - opts] = node_line(k);
	}
	return 0;
}

/* lines[i] (optional) gets the line each option was set on. */
static int load_file(struct config *c, const char *path, unsigned long *lines,
		     char *err, size_t err_size)
{
	struct file_ctx f = { path, NULL, err, err_size };
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false;
	yaml_parser_t parser;
	FILE *in = NULL;
	struct stat st;
	int ret;

	in = fopen(path, "re");
	if (!in) {
		ret = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (fstat(fileno(in), &st)) {
		ret = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, err_size, "%s: not a regular file", path);
		goto cleanup;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		snprintf(err, err_size, "%s: out of memory", path);
		goto cleanup;
	}
	parser_ok = true;
	yaml_parser_set_input_file(&parser, in);
	if (!yaml_parser_load(&parser, &doc))
		goto syntax;
	doc_ok = true;
	f.doc = &doc;
	/* a second document would be silently ignored by a one-document read */
	if (!yaml_parser_load(&parser, &extra))
		goto syntax;
	if (yaml_document_get_root_node(&extra)) {
		snprintf(err, err_size, "%s:%lu: more than one YAML document", path,
			 (unsigned long)extra.start_mark.line + 1);
		yaml_document_delete(&extra);
		ret = -EINVAL;
		goto cleanup;
	}
	yaml_document_delete(&extra);
	ret = file_apply(&f, c, lines);
	goto cleanup;
syntax:
	snprintf(err, err_size, "%s:%lu: YAML syntax error: %s%s%s", path,
		 (unsigned long)(parser.problem_mark.line + 1),
		 parser.problem ? parser.problem : "unreadable",
		 parser.context ? " " : "", parser.context ? parser.context : "");
	ret = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
cleanup:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (in)
		fclose(in);
	return ret;
}

int config_load_file(struct config *c, const char *path, char *err, size_t err_size)
{
	return load_file(c, path, NULL, err, err_size);
}

/*
 * config_validate() names flags ("--duration: ..."); when the value came
 * from the file and argv did not override it, name FILE:LINE instead.
 */
static void attribute_to_file(const char *path, const unsigned long *lines, const bool *argv_set,
			      char *err, size_t err_size)
{
	char prefix[80], rest[512];

	for (size_t i = 0; i < NOPTS; i++) {
		size_t len;

		if (!lines[i] || argv_set[i])
			continue;
		len = (size_t)snprintf(prefix, sizeof(prefix), "--%s:", opts[i].name);
		if (strncmp(err, prefix, len))
			continue;
		snprintf(rest, sizeof(rest), "%s", err + len);
		snprintf(err, err_size, "%s:%lu: %s:%s", path, lines[i], opts[i].name, rest);
		return;
	}
}

int config_from_sources(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
	unsigned long lines[NOPTS] = { 0 };
	bool argv_set[NOPTS] = { false };
	const char *path = NULL;
	struct config pre;
	int ret;

	/* argv first on a scratch copy: find --config, catch usage errors */
	config_init(&pre);
	ret = config_parse_args(&pre, argc, argv, err, err_size);
	if (ret)
		goto cleanup;
	if (pre.help || pre.version) {
		ret = config_parse_args(c, argc, argv, err, err_size);
		goto cleanup;
	}
	if (pre.config_file)
		path = pre.config_file;
	else if (!access(CONFIG_DEFAULT_FILE, F_OK))	/* present but unreadable: error */
		path = CONFIG_DEFAULT_FILE;
	if (path) {
		ret = load_file(c, path, lines, err, err_size);
		if (!ret)
			ret = set_str(&c->config_file, path);
		if (ret)
			goto cleanup;
	}
	ret = parse_args(c, argc, argv, argv_set, err, err_size);
	if (ret)
		goto cleanup;
	c->src_argc = argc;
	c->src_argv = argv;
	ret = config_validate(c, err, err_size);
	if (ret && path)
		attribute_to_file(path, lines, argv_set, err, err_size);
cleanup:
	if (ret == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	config_free(&pre);
	return ret;
}

int config_reload(const struct config *current, struct config *next, char *err, size_t err_size)
{
	int ret;

	config_init(next);
	ret = config_from_sources(next, current->src_argc, current->src_argv, err, err_size);
	if (ret)
		config_free(next);
	return ret;
}

static bool opt_equal(const struct opt_desc *o, const struct config *a, const struct config *b)
{
	const void *fa = (const char *)a + o->offset, *fb = (const char *)b + o->offset;

	switch (o->type) {
	case OPT_STR: {
		const char *sa = *(char *const *)fa, *sb = *(char *const *)fb;

		return sa == sb || (sa && sb && !strcmp(sa, sb));
	}
	case OPT_LIST: {
		const struct strlist *la = fa, *lb = fb;

		if (la->n != lb->n)
			return false;
		for (int i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]))
				return false;
		return true;
	}
	case OPT_UINT:
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	case OPT_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	}
	return false;
}

int config_diff(const struct config *a, const struct config *b, char *buf, size_t buf_size)
{
	size_t len = 0;
	int n = 0;

	if (buf_size)
		buf[0] = '\0';
	for (size_t i = 0; i < NOPTS; i++) {
		if (cli_only(opts[i].name) || opt_equal(&opts[i], a, b))
			continue;
		if (len < buf_size)
			len += (size_t)snprintf(buf + len, buf_size - len, "%s%s", n ? ", " : "",
						opts[i].name);
		n++;
	}
	return n;
}

/* Every redact-* item well formed: a bad one is named with its key. */
static int validate_redact(const struct config *c, char *err, size_t err_size)
{
	const struct { const char *key; enum redact_list list; const struct strlist *l; } lists[] = {
		{ "redact-names", REDACT_LIST_NAMES, &c->redact_names },
		{ "redact-extra-names", REDACT_LIST_NAMES, &c->redact_extra_names },
		{ "redact-prefixes", REDACT_LIST_PREFIXES, &c->redact_prefixes },
		{ "redact-extra-prefixes", REDACT_LIST_PREFIXES, &c->redact_extra_prefixes },
		{ "redact-programs", REDACT_LIST_PROGRAMS, &c->redact_programs },
		{ "redact-extra-programs", REDACT_LIST_PROGRAMS, &c->redact_extra_programs },
	};
	char why[384];

	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		for (int i = 0; i < lists[k].l->n; i++) {
			if (redact_item_valid(lists[k].list, lists[k].l->v[i], why, sizeof(why)))
				continue;
			snprintf(err, err_size, "--%s: %s", lists[k].key, why);
			return -EINVAL;
		}
	}
	return 0;
}

int config_validate(const struct config *c, char *err, size_t err_size)
{
	if (c->output_format && strcmp(c->output_format, "json") &&
	    strcmp(c->output_format, "text")) {
		snprintf(err, err_size, "--output-format: '%s' is not json or text",
			 c->output_format);
		return -EINVAL;
	}
	if (c->ringbuf_bytes && (c->ringbuf_bytes < 4096 ||
				 (c->ringbuf_bytes & (c->ringbuf_bytes - 1)) ||
				 c->ringbuf_bytes > (1ULL << 30))) {
		snprintf(err, err_size, "--ringbuf-bytes: %llu is not a power of 2 between "
			 "4096 and 1073741824", (unsigned long long)c->ringbuf_bytes);
		return -EINVAL;
	}
	if (c->backend_format && strcmp(c->backend_format, "credwatch") &&
	    strcmp(c->backend_format, "falcosidekick")) {
		snprintf(err, err_size, "--backend-format: '%s' is not credwatch or falcosidekick",
			 c->backend_format);
		return -EINVAL;
	}
	if (c->alert_rate && !c->alert_burst) {
		snprintf(err, err_size, "--alert-burst: must be at least 1 when --alert-rate is set");
		return -EINVAL;
	}
	if (c->rule_matching && strcmp(c->rule_matching, "first") &&
	    strcmp(c->rule_matching, "all")) {
		snprintf(err, err_size, "--rule-matching: '%s' is not first or all", c->rule_matching);
		return -EINVAL;
	}
	if (c->bpf_variant && strcmp(c->bpf_variant, "auto") && strcmp(c->bpf_variant, "fast") &&
	    strcmp(c->bpf_variant, "compat")) {
		snprintf(err, err_size, "--bpf-variant: '%s' is not auto, fast or compat",
			 c->bpf_variant);
		return -EINVAL;
	}
	if (c->repeat_window_ms > 3600000) {
		snprintf(err, err_size, "--repeat-window-ms: %llu is above 3600000 (an hour)",
			 (unsigned long long)c->repeat_window_ms);
		return -EINVAL;
	}
	{
		uint64_t rate, burst;
		bool off;

		if (budget_parse(c->cgroup_budget, &off, &rate, &burst, err, err_size))
			return -EINVAL;
	}
	if (c->ia32_syscalls && strcmp(c->ia32_syscalls, "auto") &&
	    strcmp(c->ia32_syscalls, "fexit") && strcmp(c->ia32_syscalls, "raw_syscalls") &&
	    strcmp(c->ia32_syscalls, "off")) {
		snprintf(err, err_size, "--ia32-syscalls: '%s' is not auto, fexit, raw_syscalls "
			 "or off", c->ia32_syscalls);
		return -EINVAL;
	}
	if (c->discovery_recheck_ms > 3600000) {
		snprintf(err, err_size, "--discovery-recheck-ms: %llu is above 3600000 (an hour)",
			 (unsigned long long)c->discovery_recheck_ms);
		return -EINVAL;
	}
	if (c->max_watched > (1u << 24)) {
		snprintf(err, err_size, "--max-watched: %llu is above 16777216",
			 (unsigned long long)c->max_watched);
		return -EINVAL;
	}
	if (!c->findings_window_s || !c->findings_interval_s) {
		snprintf(err, err_size, "--findings-%s: must be at least 1 second",
			 c->findings_window_s ? "interval" : "window");
		return -EINVAL;
	}
	if (c->state_dir && !c->state_dir[0]) {
		snprintf(err, err_size, "--state-dir: empty path");
		return -EINVAL;
	}
	if (c->host_root && !c->host_root[0]) {
		snprintf(err, err_size, "--host-root: empty path");
		return -EINVAL;
	}
	return validate_redact(c, err, err_size);
}

void config_usage(FILE *out)
{
	fprintf(out,
		"Usage: credwatch [OPTION]...\n"
		"Watch every open of a credential file on this node, by inode, and say which\n"
		"process in which pod read whose credential.\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];

		if (opts[i].short_opt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].short_opt,
				 opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name,
				 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		/* a long flag gets its own line rather than pushing the text right */
		if (strlen(left) > 34)
			fprintf(out, "  %s\n  %-34s %s", left, "", opts[i].help);
		else
			fprintf(out, "  %-34s %s", left, opts[i].help);
		if (opts[i].def)
			fprintf(out, " [default: %s]", opts[i].def);
		else if (opts[i].type == OPT_BOOL && !cli_only(opts[i].name))
			fputs(" [default: off]", out);
		fputc('\n', out);
	}
	fprintf(out, "\nExit status: 0 ok, 1 runtime failure, 2 usage or configuration error.\n"
		"Signals: SIGINT/SIGTERM flush and exit 0; SIGHUP re-reads the config file\n"
		"and rescans credentials.\n");
}

/*
 * Characters YAML will not read back as they are, as escapes: C0, DEL and
 * C1 controls (U+0085 NEL would fold into a space), U+2028/U+2029 (line
 * breaks too) and the BOM and U+FFFE/U+FFFF (not printable to libyaml).
 */
static void print_yaml_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\x%02x", *s);
		else if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			fprintf(out, "\\x%02x", *++s);
		else if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
			fputs(s[2] == 0xa8 ? "\\L" : "\\P", out);
			s += 2;
		} else if (s[0] == 0xef && ((s[1] == 0xbb && s[2] == 0xbf) ||
					    (s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf)))) {
			fprintf(out, "\\u%04x", 0xf000 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f));
			s += 2;
		} else
			fputc(*s, out);
	}
	fputc('"', out);
}

/*
 * Double-quoted YAML with escapes reads back byte for byte (for valid
 * UTF-8; a YAML file cannot hold other bytes).
 */
void config_print(const struct config *c, FILE *out)
{
	fprintf(out, "# credwatch %s effective configuration (credwatch --print-config)\n",
		CW_VERSION);
	for (size_t i = 0; i < NOPTS; i++) {
		const void *field = (const char *)c + opts[i].offset;

		if (cli_only(opts[i].name))
			continue;
		switch (opts[i].type) {
		case OPT_STR: {
			const char *s = *(char *const *)field;

			fprintf(out, "%s: ", opts[i].name);
			if (s)
				print_yaml_str(out, s);
			else
				fputs("null", out);
			fputc('\n', out);
			break;
		}
		case OPT_LIST: {
			const struct strlist *l = field;

			fprintf(out, "%s:%s\n", opts[i].name, l->n ? "" : " []");
			for (int k = 0; k < l->n; k++) {
				fputs("  - ", out);
				print_yaml_str(out, l->v[k]);
				fputc('\n', out);
			}
			break;
		}
		case OPT_UINT:
			fprintf(out, "%s: %llu\n", opts[i].name,
				(unsigned long long)*(const uint64_t *)field);
			break;
		case OPT_BOOL:
			fprintf(out, "%s: %s\n", opts[i].name,
				*(const bool *)field ? "true" : "false");
			break;
		}
	}
}

static void md_cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')		/* else <NA> is an HTML tag */
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '|')	/* a cell border otherwise */
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

void config_print_markdown(FILE *out)
{
	static const char *const type_name[] = {
		[OPT_STR] = "string", [OPT_LIST] = "list of strings",
		[OPT_UINT] = "unsigned integer", [OPT_BOOL] = "boolean",
	};

	fputs("| Key (and `--flag`) | Type | Default | Meaning |\n"
	      "|---|---|---|---|\n", out);
	for (size_t i = 0; i < NOPTS; i++) {
		fprintf(out, "| `%s` | %s | ", opts[i].name,
			cli_only(opts[i].name) ? "command line only" : type_name[opts[i].type]);
		md_cell(out, opts[i].def ? opts[i].def :
			opts[i].type == OPT_BOOL && !cli_only(opts[i].name) ? "false" : "");
		fputs(" | ", out);
		md_cell(out, opts[i].help);
		fputs(" |\n", out);
	}
}

/* troff: a leading . or ' starts a request, a backslash an escape */
static void man_text(FILE *out, const char *s)
{
	if (s && (*s == '.' || *s == '\''))
		fputs("\\&", out);
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void config_print_man(FILE *out)
{
	for (size_t i = 0; i < NOPTS; i++) {
		fputs(".TP\n", out);
		if (opts[i].short_opt)
			fprintf(out, "\\fB\\-%c\\fR, ", opts[i].short_opt);
		fputs("\\fB\\-\\-", out);
		man_text(out, opts[i].name);
		fputs("\\fR", out);
		if (opts[i].arg) {
			fputs(" \\fI", out);
			man_text(out, opts[i].arg);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		man_text(out, opts[i].help);
		fputs(".", out);
		if (opts[i].def) {
			fputs(" Default: ", out);
			man_text(out, opts[i].def);
			fputs(".", out);
		}
		if (cli_only(opts[i].name))
			fputs(" Command line only.", out);
		else {
			fputs(" Config file key \\fB", out);
			man_text(out, opts[i].name);
			fputs("\\fR.", out);
		}
		fputc('\n', out);
	}
}
