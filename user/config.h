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

struct strlist {
	char **v;
	int n;
};

struct config {
	char *config_file;
	char *host_root;
	struct strlist watch;
	struct strlist rules;
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
	char *spool;
	char *kubeconfig;
	char *node_name;
	char *cluster_name;
	char *listen;
	uint64_t duration_s;
	uint64_t max_watched;
	uint64_t ringbuf_bytes;
	uint64_t findings_window_s;	/* --findings-window, 86400 */
	uint64_t findings_interval_s;	/* --findings-interval, 300 */
	bool list_watched;
	bool validate_rules;
	bool print_config;
	bool version;
	bool help;
	bool verbose;
	bool no_color;
};

/* Fill defaults. */
void config_init(struct config *c);
void config_free(struct config *c);

/*
 * config_parse_args - parse argv on top of what c holds. On a usage error
 * returns -EINVAL with a one-line reason naming the flag in err.
 */
int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t err_size);

/* Check values that depend on each other; -EINVAL with a reason. */
int config_validate(const struct config *c, char *err, size_t err_size);

void config_usage(FILE *out);
/* The effective configuration, as a config file would spell it. */
void config_print(const struct config *c, FILE *out);

#endif /* CW_CONFIG_H */
