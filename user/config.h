/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - every agent option, from the command line (and the config
 * file, which uses the same names as keys). One table in config.c drives
 * parsing, --help, --print-config and the README's option table.
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A list option. borrowed: v is a built-in default array (config_init),
 * never freed or written; replacing the list (the file, argv) makes it
 * owned.
 */
struct strlist {
	char **v;
	int n;
	bool borrowed;
};

struct config {
	char *config_file;
	char *host_root;
	struct strlist watch;
	struct strlist rules;
	struct strlist catalog;		/* --catalog FILE|DIR; none: CW_CATALOG_DIR */
	char *output;
	char *output_format;	/* json | text | auto */
	char *events;
	char *dump;
	char *findings;		/* --findings FILE|-: NDJSON findings; off when NULL */
	char *state_dir;	/* --state-dir; NULL: /var/lib/credwatch */
	char *backend;
	char *backend_format;
	char *backend_token_file;
	char *backend_ca;
	char *backend_cert;
	char *backend_key;
	bool backend_insecure;
	uint64_t backend_connect_timeout_ms;
	uint64_t backend_timeout_ms;
	uint64_t backend_batch_max;
	uint64_t backend_batch_bytes;
	uint64_t backend_flush_ms;
	uint64_t backend_retry_base_ms;
	uint64_t backend_retry_max_ms;
	uint64_t backend_drain_ms;
	char *spool;
	uint64_t spool_max_bytes;
	uint64_t spool_fsync_ms;
	char *kubeconfig;
	char *node_name;
	char *cluster_name;
	char *listen;
	char *cgroup_root;
	uint64_t attrib_cache_max;
	uint64_t alert_rate;		/* alerts per second per rule and reader */
	uint64_t alert_burst;
	uint64_t alert_summary_interval_s;
	char *rule_matching;	/* first | all */
	uint64_t dump_max_bytes;
	uint64_t dump_max_age_s;
	uint64_t dump_keep;
	uint64_t duration_s;
	uint64_t max_watched;
	uint64_t token_reserve;		/* --token-reserve, 8192 (capped at max_watched / 4) */
	uint64_t max_watched_per_pod;	/* --max-watched-per-pod, 512; 0 = no bound */
	uint64_t ringbuf_bytes;
	char *bpf_variant;	/* auto | fast | compat */
	uint64_t repeat_window_ms;	/* --repeat-window-ms, 1000; 0: no aggregation */
	char *cgroup_budget;	/* --cgroup-budget auto | off | RATE[:BURST] (budget.h) */
	char *ia32_syscalls;	/* --ia32-syscalls auto | fexit | raw_syscalls | off */
	uint64_t findings_window_s;	/* --findings-window, 86400 */
	uint64_t findings_interval_s;	/* --findings-interval, 300 */
	uint64_t discovery_recheck_ms;	/* --discovery-recheck-ms, 1000; 0 = off */
	bool list_watched;
	bool validate_rules;
	bool print_config;
	bool version;
	bool help;
	bool verbose;
	bool no_color;
	bool no_redact;		/* --no-redact: command lines as they are */
	struct strlist redact_names;		/* default: redact_defaults() */
	struct strlist redact_extra_names;	/* added to redact_names */
	struct strlist redact_prefixes;
	struct strlist redact_extra_prefixes;
	struct strlist redact_programs;
	struct strlist redact_extra_programs;
	struct strlist node_agents;		/* default: node_agents_default_names() */
	struct strlist node_agent_paths;	/* default: node_agents_default_paths() */

	/*
	 * Where this configuration came from, for a SIGHUP reload: the argv
	 * main was started with (borrowed, never freed here). Not options.
	 */
	int src_argc;
	char **src_argv;
};

/* Read when --config is not given and this file exists. */
#define CONFIG_DEFAULT_FILE "/etc/credwatch/credwatch.yaml"

/* Fill defaults. */
void config_init(struct config *c);
void config_free(struct config *c);

/*
 * config_parse_args - parse argv on top of what c holds. A list option
 * given in argv replaces the list c holds (so flags override a config
 * file's list instead of appending to it); repeating the flag in argv
 * appends. On a usage error returns -EINVAL with a one-line reason naming
 * the flag in err.
 */
int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t err_size);

/*
 * config_load_file - read a YAML config file on top of what c holds.
 *
 * Grammar: one YAML document, a mapping (or empty: nothing set) whose keys
 * are the long option names of the command line:
 *   string options   key: text          (null, ~ or empty: unset)
 *   list options     key: [a, b] | "- a" block sequence | key: a (one item)
 *   unsigned ints    key: 123           (decimal, no sign)
 *   booleans         key: true | false
 * Actions (help, version, print-config, list-watched, validate-rules) and
 * config itself are command-line only. Unknown keys, duplicate keys, wrong
 * types and YAML syntax errors return -EINVAL with "FILE:LINE: reason" in
 * err; an unreadable file returns -errno with "FILE: reason".
 */
int config_load_file(struct config *c, const char *path, char *err, size_t err_size);

/*
 * config_from_sources - the effective configuration, into a c fresh from
 * config_init(): defaults, then the config file (--config from argv, else
 * CONFIG_DEFAULT_FILE when it exists), then argv on top, then
 * config_validate(). A validation error about a value that came from the
 * file names FILE:LINE. --help and --version skip the file so they work
 * with a broken one. Remembers argc/argv for config_reload(). On error
 * returns -EINVAL or -errno with a one-line reason in err (exit 2).
 */
int config_from_sources(struct config *c, int argc, char **argv, char *err, size_t err_size);

/*
 * config_reload - SIGHUP: build next from scratch out of the same sources
 * current was built from (re-reading the file). On error next is freed,
 * err says why, and the caller keeps running with current.
 */
int config_reload(const struct config *current, struct config *next, char *err, size_t err_size);

/*
 * config_diff - which settings differ between a and b: their key names,
 * comma-separated, into buf (truncated to fit). Returns how many differ.
 */
int config_diff(const struct config *a, const struct config *b, char *buf, size_t buf_size);

/* Check values that depend on each other; -EINVAL with a reason. */
int config_validate(const struct config *c, char *err, size_t err_size);

void config_usage(FILE *out);
/* The effective configuration, as a config file would spell it. */
void config_print(const struct config *c, FILE *out);

/* Every option as a Markdown table, for docs/operations.md (make docs). */
void config_print_markdown(FILE *out);
/* Every option as troff .TP entries, for man/credwatch.8 (make docs). */
void config_print_man(FILE *out);

#endif /* CW_CONFIG_H */
