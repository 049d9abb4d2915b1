// SPDX-License-Identifier: Apache-2.0
/* config.c - the option table: command-line parsing, --help, --print-config. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

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

static const struct opt_desc opts[] = {
	O("config", OPT_STR, config_file, "FILE", "/etc/credwatch/credwatch.yaml if present",
	  "read options from a YAML file; flags override it"),
	O("host-root", OPT_STR, host_root, "DIR", "/",
	  "where host paths are found (kubelet dirs, /etc, /proc, cgroup fs)"),
	O("watch", OPT_LIST, watch, "PATH", "none",
	  "also watch this host file or directory (kind custom); repeatable"),
	O("output", OPT_STR, output, "FILE|-", "-", "where alerts go"),
	O("output-format", OPT_STR, output_format, "json|text", "text on a terminal, else json",
	  "alert format"),
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
	O("cluster-name", OPT_STR, cluster_name, "NAME", "unset (<NA>)",
	  "cluster name put on every event and alert"),
	O("duration", OPT_UINT, duration_s, "SECONDS", "0 (run until signalled)",
	  "run this long, then flush everything and exit 0"),
	O("max-watched", OPT_UINT, max_watched, "N", "65536",
	  "size of the kernel's watched-inode map"),
	O("ringbuf-bytes", OPT_UINT, ringbuf_bytes, "BYTES", "16777216",
	  "kernel ring buffer size (power of 2)"),
	O("list-watched", OPT_BOOL, list_watched, NULL, NULL,
	  "print the discovered credentials and exit"),
	O("print-config", OPT_BOOL, print_config, NULL, NULL,
	  "print the effective configuration and exit"),
	O("no-color", OPT_BOOL, no_color, NULL, NULL, "no colours in text output (also NO_COLOR)"),
	{ "verbose", OPT_BOOL, offsetof(struct config, verbose), NULL, NULL,
	  "debug logging, including libbpf's", 'v' },
	{ "version", OPT_BOOL, offsetof(struct config, version), NULL, NULL,
	  "print the version and exit", 'V' },
	{ "help", OPT_BOOL, offsetof(struct config, help), NULL, NULL,
	  "this help", 'h' },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->findings_window_s = 86400;
	c->findings_interval_s = 300;
}

static void strlist_free(struct strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int strlist_push(struct strlist *l, const char *s)
{
	char **v = realloc(l->v, (size_t)(l->n + 1) * sizeof(*v));

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

static int set_value(struct config *c, const struct opt_desc *o, const char *val,
		     char *err, size_t err_size)
{
	void *field = (char *)c + o->offset;
	char *end;
	unsigned long long n;

	switch (o->type) {
	case OPT_STR:
		free(*(char **)field);
		*(char **)field = strdup(val);
		return *(char **)field ? 0 : -ENOMEM;
	case OPT_LIST:
		return strlist_push(field, val);
	case OPT_UINT:
		errno = 0;
		n = strtoull(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-') {
			snprintf(err, err_size, "--%s: '%s' is not a non-negative integer",
				 o->name, val);
			return -EINVAL;
		}
		*(uint64_t *)field = n;
		return 0;
	case OPT_BOOL:
		*(bool *)field = true;
		return 0;
	}
	return -EINVAL;
}

int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
	struct option longopts[NOPTS + 1];
	char shortopts[32] = ":";
	size_t ns = 1;
	int ch, idx, ret;

	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].type == OPT_BOOL ? no_argument : required_argument;
		longopts[i].val = 1000 + (int)i;
		if (opts[i].short_opt && ns < sizeof(shortopts) - 1)
			shortopts[ns++] = (char)opts[i].short_opt;
	}
	optind = 1;
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
	return 0;
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
		fprintf(out, "  %-34s %s", left, opts[i].help);
		if (opts[i].def)
			fprintf(out, " [default: %s]", opts[i].def);
		fputc('\n', out);
	}
	fprintf(out, "\nExit status: 0 ok, 1 runtime failure, 2 usage or configuration error.\n"
		"Signals: SIGINT/SIGTERM flush and exit 0; SIGHUP rescans credentials.\n");
}

static void print_yaml_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void config_print(const struct config *c, FILE *out)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const void *field = (const char *)c + opts[i].offset;

		if (!strcmp(opts[i].name, "help") || !strcmp(opts[i].name, "version") ||
		    !strcmp(opts[i].name, "print-config") || !strcmp(opts[i].name, "list-watched") ||
		    !strcmp(opts[i].name, "config"))
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
