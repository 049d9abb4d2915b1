// SPDX-License-Identifier: Apache-2.0
/*
 * config.c - the agent's configuration: every module's option table
 * (opt.h) in one list, read from the command line and the config file
 * (config_file.c), checked, printed (--help, --print-config) and documented
 * (docs/operations.md, man/credwatch.8 via make docs). The agent's own
 * options (the config file, the host root, how long to run, the actions)
 * are declared here. Over 600 lines: the option list and its three
 * printers (help, markdown, troff) must stay beside each other to agree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "config_int.h"

/* ---- the agent's own options ------------------------------------------- */

static const char ACTION[] = "an action, not a setting: give it on the command line";

static const struct opt_desc agent_option_list[] = {
	OPT_STR(struct agent_opts, config_file, "config", "FILE",
		"/etc/credwatch/credwatch.yaml if present",
		"read options from a YAML file; flags override it",
		.cli_only = "a config file cannot name another config file; use --config"),
	OPT_STR(struct agent_opts, host_root, "host-root", "DIR", "/",
		"where host paths are found (kubelet dirs, /etc, /proc, cgroup fs)"),
	OPT_UINT(struct agent_opts, duration_s, "duration", "SECONDS", 0, "0 (run until signalled)",
		 "run this long, then flush everything and exit 0"),
	/* the sensor's */
	OPT_UINT(struct agent_opts, max_watched, "max-watched", "N", 0, "65536",
		 "size of the kernel's watched-inode map"),
	OPT_UINT(struct agent_opts, ringbuf_bytes, "ringbuf-bytes", "BYTES", 0, "8388608",
		 "kernel ring buffer size (power of 2)"),
	OPT_STR(struct agent_opts, bpf_variant, "bpf-variant", "auto|fast|compat", "auto",
		"BPF programs to load: fast needs Linux 6.2+, compat runs from 5.10; "
		"auto picks fast where the kernel has it"),
	OPT_UINT(struct agent_opts, repeat_window_ms, "repeat-window-ms", "MS", 1000, "1000",
		 "an open by the same process of the same credential (same program, uid, cgroup, "
		 "access mode, syscall) within MS of its previous open is counted in the kernel, "
		 "not sent: it reaches every output as evt.count of an aggregated record "
		 "(0: every open is an event)"),
	OPT_STR(struct agent_opts, cgroup_budget, "cgroup-budget", "auto|off|RATE[:BURST]", "auto",
		"full events per second (and at once) each cgroup may send; beyond it they are "
		"refused, counted per pod and alerted, but a cgroup's first read of each "
		"credential still gets through; past half full the ring buffer admits only "
		"quiet cgroups. auto sizes it to --ringbuf-bytes (docs/limits.md)"),
	OPT_STR(struct agent_opts, ia32_syscalls, "ia32-syscalls", "auto|fexit|raw_syscalls|off",
		"auto", "how 32-bit (int 0x80) opens are seen where the kernel runs 32-bit code: "
		"fexit (free for 64-bit syscalls), raw_syscalls (runs on every syscall), auto "
		"(fexit where tracing programs load, else raw_syscalls), off"),
};

static int agent_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct agent_opts *o = opts;

	if (o->host_root && !o->host_root[0]) {
		snprintf(err, err_size, "--host-root: empty path");
		return -EINVAL;
	}
	if (o->ringbuf_bytes && (o->ringbuf_bytes < 4096 ||
				 (o->ringbuf_bytes & (o->ringbuf_bytes - 1)) ||
				 o->ringbuf_bytes > (1ULL << 30))) {
		snprintf(err, err_size, "--ringbuf-bytes: %llu is not a power of 2 between "
			 "4096 and 1073741824", (unsigned long long)o->ringbuf_bytes);
		return -EINVAL;
	}
	if (o->bpf_variant && strcmp(o->bpf_variant, "auto") && strcmp(o->bpf_variant, "fast") &&
	    strcmp(o->bpf_variant, "compat")) {
		snprintf(err, err_size, "--bpf-variant: '%s' is not auto, fast or compat",
			 o->bpf_variant);
		return -EINVAL;
	}
	if (o->repeat_window_ms > 3600000) {
		snprintf(err, err_size, "--repeat-window-ms: %llu is above 3600000 (an hour)",
			 (unsigned long long)o->repeat_window_ms);
		return -EINVAL;
	}
	{
		uint64_t rate, burst;
		bool off;

		if (budget_parse(o->cgroup_budget, &off, &rate, &burst, err, err_size))
			return -EINVAL;
	}
	if (o->ia32_syscalls && strcmp(o->ia32_syscalls, "auto") &&
	    strcmp(o->ia32_syscalls, "fexit") && strcmp(o->ia32_syscalls, "raw_syscalls") &&
	    strcmp(o->ia32_syscalls, "off")) {
		snprintf(err, err_size, "--ia32-syscalls: '%s' is not auto, fexit, raw_syscalls "
			 "or off", o->ia32_syscalls);
		return -EINVAL;
	}
	if (o->max_watched > (1u << 24)) {
		snprintf(err, err_size, "--max-watched: %llu is above 16777216",
			 (unsigned long long)o->max_watched);
		return -EINVAL;
	}
	return 0;
}

static const struct opt_table agent_options = OPT_TABLE(agent_option_list, NULL,
							agent_opts_check);

/* What main does instead of running the agent; last in --help. */
static const struct opt_desc agent_action_list[] = {
	OPT_BOOL(struct agent_opts, validate_rules, "validate-rules",
		 "load and check the rules, print every error as FILE:LINE:COL, exit 0 or 2; "
		 "with -v list the rules that do not apply to credential opens",
		 .cli_only = ACTION),
	OPT_BOOL(struct agent_opts, list_watched, "list-watched",
		 "print the discovered credentials and exit", .cli_only = ACTION),
	OPT_BOOL(struct agent_opts, print_config, "print-config",
		 "print the effective configuration and exit", .cli_only = ACTION),
	OPT_BOOL(struct agent_opts, verbose, "verbose", "debug logging, including libbpf's",
		 .short_opt = 'v'),
	OPT_BOOL(struct agent_opts, version, "version", "print the version and exit",
		 .short_opt = 'V', .cli_only = ACTION),
	OPT_BOOL(struct agent_opts, help, "help", "this help", .short_opt = 'h',
		 .cli_only = ACTION),
};

static const struct opt_table agent_actions = OPT_TABLE(agent_action_list, NULL, NULL);

/* ---- every module's options ---------------------------------------------- */

/*
 * The modules with options, each table at its struct in struct config, in
 * the order --help and the docs list them: the pipeline's. A module that
 * gets options adds its struct to struct config and one line here; an
 * option is an entry in its module's table (opt.h).
 */
static const struct {
	const struct opt_table *t;
	size_t offset;
} sections[] = {
	{ &agent_options, offsetof(struct config, agent) },
	{ &watch_options, offsetof(struct config, watch) },
	{ &identity_options, offsetof(struct config, identity) },
	{ &attrib_options, offsetof(struct config, attrib) },
	{ &nodeagents_options, offsetof(struct config, nodeagents) },
	{ &redact_options, offsetof(struct config, redact) },
	{ &rules_options, offsetof(struct config, rules) },
	{ &outputs_options, offsetof(struct config, outputs) },
	{ &dump_options, offsetof(struct config, dump) },
	{ &ship_options, offsetof(struct config, ship) },
	{ &spool_options, offsetof(struct config, ship.spool) },
	{ &findings_options, offsetof(struct config, findings) },
	{ &health_options, offsetof(struct config, health) },
	{ &agent_actions, offsetof(struct config, agent) },
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

const struct opt_desc *config_opts(size_t *n)
{
	static struct opt_desc all[CONFIG_OPTS_MAX];
	static size_t nall;
	static bool built;

	/* built once (main thread, before any other reads it): offsets from struct config */
	for (size_t s = 0; !built && s < NSECTIONS; s++) {
		for (size_t i = 0; i < sections[s].t->n; i++) {
			if (nall == CONFIG_OPTS_MAX)
				abort();	/* raise CONFIG_OPTS_MAX: test_config_file fails first */
			all[nall] = sections[s].t->opts[i];
			all[nall++].offset += sections[s].offset;
		}
	}
	built = true;
	*n = nall;
	return all;
}

const struct opt_desc *config_opt_find(const char *name)
{
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);

	for (size_t i = 0; i < nall; i++)
		if (!strcmp(all[i].name, name))
			return &all[i];
	return NULL;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t s = 0; s < NSECTIONS; s++) {
		void *section = (char *)c + sections[s].offset;

		if (sections[s].t->init)
			sections[s].t->init(section);
		else
			opt_table_defaults(sections[s].t, section);
	}
}

void config_free(struct config *c)
{
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);

	for (size_t i = 0; i < nall; i++)
		opt_value_free(&all[i], (char *)c + all[i].offset);
}

int config_validate(const struct config *c, char *err, size_t err_size)
{
	for (size_t s = 0; s < NSECTIONS; s++) {
		const void *section = (const char *)c + sections[s].offset;
		int ret = sections[s].t->check ? sections[s].t->check(section, err, err_size) : 0;

		if (ret)
			return ret;
	}
	return 0;
}

/* seen[i] (optional) is set for every option argv gives. */
static int parse_args(struct config *c, int argc, char **argv, bool *seen,
		      char *err, size_t err_size)
{
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);

	return opt_parse_argv(all, nall, c, argc, argv, seen, err, err_size);
}

int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
	return parse_args(c, argc, argv, NULL, err, err_size);
}

/*
 * config_validate() names flags ("--duration: ..."); when the value came
 * from the file and argv did not override it, name FILE:LINE instead.
 */
static void attribute_to_file(const char *path, const unsigned long *lines, const bool *argv_set,
			      char *err, size_t err_size)
{
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	char prefix[80], rest[512];

	for (size_t i = 0; i < nall; i++) {
		size_t len;

		if (!lines[i] || argv_set[i])
			continue;
		len = (size_t)snprintf(prefix, sizeof(prefix), "--%s:", all[i].name);
		if (strncmp(err, prefix, len))
			continue;
		snprintf(rest, sizeof(rest), "%s", err + len);
		snprintf(err, err_size, "%s:%lu: %s:%s", path, lines[i], all[i].name, rest);
		return;
	}
}

int config_from_sources(struct config *c, int argc, char **argv, char *err, size_t err_size)
{
	unsigned long lines[CONFIG_OPTS_MAX] = { 0 };
	bool argv_set[CONFIG_OPTS_MAX] = { false };
	const char *path = NULL;
	struct config pre;
	int ret;

	/* argv first on a scratch copy: find --config, catch usage errors */
	config_init(&pre);
	ret = config_parse_args(&pre, argc, argv, err, err_size);
	if (ret)
		goto cleanup;
	if (pre.agent.help || pre.agent.version) {
		ret = config_parse_args(c, argc, argv, err, err_size);
		goto cleanup;
	}
	if (pre.agent.config_file)
		path = pre.agent.config_file;
	else if (!access(CONFIG_DEFAULT_FILE, F_OK))	/* present but unreadable: error */
		path = CONFIG_DEFAULT_FILE;
	if (path) {
		ret = config_load_file_lines(c, path, lines, err, err_size);
		if (!ret)
			ret = opt_str_set(&c->agent.config_file, path);
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

int config_diff(const struct config *a, const struct config *b, char *buf, size_t buf_size)
{
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	size_t len = 0;
	int n = 0;

	if (buf_size)
		buf[0] = '\0';
	for (size_t i = 0; i < nall; i++) {
		if (all[i].cli_only || opt_value_equal(&all[i], (const char *)a + all[i].offset,
						       (const char *)b + all[i].offset))
			continue;
		if (len < buf_size)
			len += (size_t)snprintf(buf + len, buf_size - len, "%s%s", n ? ", " : "",
						all[i].name);
		n++;
	}
	return n;
}

void config_usage(FILE *out)
{
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	fprintf(out,
		"Usage: credwatch [OPTION]...\n"
		"Watch every open of a credential file on this node, by inode, and say which\n"
		"process in which pod read whose credential.\n\n");
	opt_print_help(out, all, nall);
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
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	fprintf(out, "# credwatch %s effective configuration (credwatch --print-config)\n",
		CW_VERSION);
	for (size_t i = 0; i < nall; i++) {
		const void *field = (const char *)c + all[i].offset;

		if (all[i].cli_only)
			continue;
		switch (all[i].type) {
		case OPT_STR: {
			const char *s = *(char *const *)field;

			fprintf(out, "%s: ", all[i].name);
			if (s)
				print_yaml_str(out, s);
			else
				fputs("null", out);
			fputc('\n', out);
			break;
		}
		case OPT_LIST: {
			const struct strlist *l = field;

			fprintf(out, "%s:%s\n", all[i].name, l->n ? "" : " []");
			for (int k = 0; k < l->n; k++) {
				fputs("  - ", out);
				print_yaml_str(out, l->v[k]);
				fputc('\n', out);
			}
			break;
		}
		case OPT_UINT:
			fprintf(out, "%s: %llu\n", all[i].name,
				(unsigned long long)*(const uint64_t *)field);
			break;
		case OPT_BOOL:
			fprintf(out, "%s: %s\n", all[i].name,
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
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	static const char *const type_name[] = {
		[OPT_STR] = "string", [OPT_LIST] = "list of strings",
		[OPT_UINT] = "unsigned integer", [OPT_BOOL] = "boolean",
	};

	fputs("| Key (and `--flag`) | Type | Default | Meaning |\n"
	      "|---|---|---|---|\n", out);
	for (size_t i = 0; i < nall; i++) {
		fprintf(out, "| `%s` | %s | ", all[i].name,
			all[i].cli_only ? "command line only" : type_name[all[i].type]);
		md_cell(out, all[i].def ? all[i].def :
			all[i].type == OPT_BOOL && !all[i].cli_only ? "false" : "");
		fputs(" | ", out);
		md_cell(out, all[i].help);
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
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	for (size_t i = 0; i < nall; i++) {
		fputs(".TP\n", out);
		if (all[i].short_opt)
			fprintf(out, "\\fB\\-%c\\fR, ", all[i].short_opt);
		fputs("\\fB\\-\\-", out);
		man_text(out, all[i].name);
		fputs("\\fR", out);
		if (all[i].arg) {
			fputs(" \\fI", out);
			man_text(out, all[i].arg);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		man_text(out, all[i].help);
		fputs(".", out);
		if (all[i].def) {
			fputs(" Default: ", out);
			man_text(out, all[i].def);
			fputs(".", out);
		}
		if (all[i].cli_only)
			fputs(" Command line only.", out);
		else {
			fputs(" Config file key \\fB", out);
			man_text(out, all[i].name);
			fputs("\\fR.", out);
		}
		fputc('\n', out);
	}
}
