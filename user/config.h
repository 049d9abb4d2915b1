/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the agent's configuration: every module's options struct,
 * filled from the command line and the config file (which uses the same
 * names as keys). Each module declares its options in a table next to its
 * struct (opt.h); config.c lists the modules, and from those tables come
 * parsing, --help, --print-config and the documentation's option table.
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "attrib.h"
#include "dump.h"
#include "findings.h"
#include "health.h"
#include "identity.h"
#include "nodeagents.h"
#include "opt.h"
#include "outputs.h"
#include "redact.h"
#include "rules.h"
#include "ship.h"
#include "watch.h"

/* The agent's own options (config.c declares them). */
struct agent_opts {
	char *config_file;		/* --config */
	char *host_root;		/* --host-root; NULL: "/" */
	uint64_t duration_s;		/* --duration; 0: until signalled */
	/* the sensor's */
	uint64_t max_watched;		/* --max-watched; 0: the sensor's default */
	uint64_t ringbuf_bytes;		/* --ringbuf-bytes; 0: the sensor's default */
	char *bpf_variant;		/* --bpf-variant auto | fast | compat */
	uint64_t repeat_window_ms;	/* --repeat-window-ms, 1000; 0: no aggregation */
	char *cgroup_budget;		/* --cgroup-budget auto | off | RATE[:BURST] (budget.h) */
	char *ia32_syscalls;		/* --ia32-syscalls auto | fexit | raw_syscalls | off */
	/* actions: main does them instead of running the agent */
	bool validate_rules, list_watched, print_config, version, help;
	bool verbose;			/* -v: debug logging */
};

struct config {
	struct agent_opts agent;
	struct watch_opts watch;		/* discovery */
	struct identity_opts identity;
	struct attrib_opts attrib;
	struct nodeagents_opts nodeagents;	/* proc.node_agent's inventory */
	struct redact_opts redact;
	struct rules_opts rules;
	struct outputs_opts outputs;
	struct dump_opts dump;
	struct ship_opts ship;			/* with its spool */
	struct findings_opts findings;
	struct health_opts health;

	/*
	 * Where this configuration came from, for a SIGHUP reload: the argv
	 * main was started with (borrowed, never freed here). Not options.
	 */
	int src_argc;
	char **src_argv;
};

/* Read when --config is not given and this file exists. */
#define CONFIG_DEFAULT_FILE "/etc/credwatch/credwatch.yaml"

/* Fill every module's defaults. */
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

/* Every module's checks (opt_table.check); -EINVAL with a reason naming the flag. */
int config_validate(const struct config *c, char *err, size_t err_size);

void config_usage(FILE *out);
/* The effective configuration, as a config file would spell it. */
void config_print(const struct config *c, FILE *out);

/* Every option as a Markdown table, for docs/operations.md (make docs). */
void config_print_markdown(FILE *out);
/* Every option as troff .TP entries, for man/credwatch.8 (make docs). */
void config_print_man(FILE *out);

#endif /* CW_CONFIG_H */
