// SPDX-License-Identifier: Apache-2.0
/*
 * report.c - credwatch-inspect report DUMP... : one self-contained HTML page
 * from one or many trace dumps (one per node, or a directory each).
 *
 * Reads every input once, record by record, into the report model
 * (report_model.c), then writes the page (report_html.c). With --output the
 * page is written to a temporary file next to FILE and renamed over it, so
 * FILE is either the old page or the whole new one.
 *
 * Exit status as the other commands: 0 everything was read; 1 damaged input
 * (the page is still written and says DAMAGED; each damaged region is one
 * stderr line) or the page could not be written; 2 a usage error, an input
 * that cannot be opened or holds no dumps.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "report.h"
#include "user/fileio.h"
#include "user/json.h"

#define CMD		INSPECT_PROG " report"
#define TOP_DEFAULT	20
#define TOP_MAX		500

struct report_args {
	char **inputs;
	int ninputs;
	const char *output;	/* NULL or "-": stdout */
	uint64_t since_ns, until_ns;
	int top;
};

static const char usage_text[] =
	"usage: " CMD " DUMP... [--since T] [--until T] [--top N] [--output FILE]\n"
	"\n"
	"Writes one self-contained HTML page from credwatch trace dumps: the access graph\n"
	"(readers -> credentials -> owners, cross-pod, host and exec-session reads\n"
	"highlighted), a timeline per reader, alerts by rule and priority with their\n"
	"events, open findings with their fix and those resolved in the period, and the\n"
	"dumps' integrity, nodes, time range and agent versions. The page loads nothing\n"
	"(no script, font or image; a Content-Security-Policy of default-src 'none').\n"
	"\n"
	"  DUMP           a .cwd file or a directory of them; give one per node for a\n"
	"                 cluster-wide page\n"
	"\n"
	"options:\n"
	"  --output FILE  write the page to FILE (a temporary file renamed over it)\n"
	"                 [default: stdout, which must not be a terminal]\n"
	"  --since T      skip records before T (RFC3339 or epoch seconds) [default: the first]\n"
	"  --until T      skip records after T (RFC3339 or epoch seconds) [default: the last]\n"
	"  --top N        readers, credentials and owners the graph draws on their own\n"
	"                 before grouping the rest by namespace or node [default: 20]\n"
	"  --help         this text\n"
	"\n"
	"exit status: 0 all input read; 1 damaged input (the page says so) or the page\n"
	"could not be written; 2 usage error or an input that cannot be opened.\n";

static int usage_error(const char *fmt, const char *arg)
{
	return inspect_usage_error(CMD, fmt, arg);
}

static int parse_args(struct report_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	a->top = TOP_DEFAULT;
	a->inputs = calloc((size_t)argc, sizeof(*a->inputs));
	if (!a->inputs)
		return 2;
	opterr = 0;
	optind = 1;	/* argv[0] is "report" */
	/* "-": positionals in order; ":": a missing value is ':', not '?' */
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (c) {
		case 1:
			a->inputs[a->ninputs++] = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 's':
		case 'u':
			if (inspect_parse_time(optarg, c == 's' ? &a->since_ns : &a->until_ns))
				return usage_error(c == 's' ? "--since: cannot parse '%s' (RFC3339 or epoch seconds)"
					: "--until: cannot parse '%s' (RFC3339 or epoch seconds)", optarg);
			break;
		case 't':
			a->top = (int)strtol(optarg, &end, 10);
			if (*end || !*optarg || a->top < 1 || a->top > TOP_MAX)
				return usage_error("--top: expected a number from 1 to 500, got '%s'",
						   optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!a->ninputs)
		return usage_error("missing DUMP (a .cwd file or a directory of them)%s", "");
	if (a->since_ns && a->until_ns && a->since_ns > a->until_ns)
		return usage_error("--since is after --until%s", "");
	if ((!a->output || !strcmp(a->output, "-")) && isatty(STDOUT_FILENO))
		return usage_error("will not write HTML to a terminal: give --output FILE or "
				   "redirect stdout%s", "");
	return 0;
}

/* A damaged region: one stderr line, as the other commands print it, and the page. */
static void on_damage(void *ctx, const char *file, uint64_t offset, const char *what)
{
	char esc[1024];

	fprintf(stderr, INSPECT_PROG ": %s: offset %llu: %s\n",
		text_escape(file, esc, sizeof(esc)), (unsigned long long)offset, what);
	report_damage(ctx, file, offset, what);
}

/* Read every input into r. Returns 0, 1 (damage or a read error), 2 (cannot open). */
static int read_inputs(struct report *r, const struct report_args *a)
{
	struct dump_reader_opts ro = { .since_ns = a->since_ns, .until_ns = a->until_ns,
				       .on_damage = on_damage, .ctx = r };
	struct dump_reader **readers = calloc((size_t)a->ninputs, sizeof(*readers));
	struct dump_item it;
	int code = 0, ret;

	if (!readers)
		return 1;
	/* open them all first: a wrong path is a usage error before any work */
	for (int i = 0; i < a->ninputs; i++) {
		char esc[1024];

		ret = dump_reader_open(&readers[i], a->inputs[i], &ro);
		if (ret) {
			fprintf(stderr, CMD ": %s: %s\n", text_escape(a->inputs[i], esc, sizeof(esc)),
				ret == -ENODATA ? "no dump files (*.cwd) in this directory"
						: strerror(-ret));
			code = 2;
			goto cleanup;
		}
	}
	for (int i = 0; i < a->ninputs; i++) {
		while ((ret = dump_reader_next(readers[i], &it)) == 1)
			report_add(r, &it);
		if (ret < 0) {
			fprintf(stderr, CMD ": %s: %s\n", a->inputs[i], strerror(-ret));
			code = 1;
		}
		dump_reader_stats(readers[i], &r->inputs[i].st);
		r->inputs[i].damaged = dump_reader_saw_damage(readers[i]) || ret < 0;
		if (r->inputs[i].damaged)
			code = code ? code : 1;
		dump_reader_close(readers[i]);	/* its buffers go before the next is read */
		readers[i] = NULL;
	}
cleanup:
	for (int i = 0; i < a->ninputs; i++)
		dump_reader_close(readers[i]);
	free(readers);
	return code;
}

/* Write the page to a temporary file next to path, then rename it over path. */
static int write_file(const struct report *r, const char *path, int top)
{
	struct file_replace fr;
	mode_t mask;
	FILE *f;
	int err;

	/* a page to share, not a secret: the mode any new file would get */
	mask = umask(0);
	umask(mask);
	err = file_replace_open(&fr, AT_FDCWD, path, ".tmp-XXXXXX", 0666 & ~mask);
	if (err) {
		fprintf(stderr, CMD ": %s: cannot create: %s\n", path, strerror(-err));
		return err;
	}
	f = file_replace_stream(&fr);
	if (!f) {
		err = -errno;
		file_replace_abort(&fr);
		goto failed;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	if (report_html(f, r, top)) {
		err = -(errno ? errno : EIO);
		file_replace_abort(&fr);
		goto failed;
	}
	err = file_replace_commit(&fr);
	if (!err || !strcmp(fr.op, "fsync dir"))
		return 0;	/* in place; a late directory sync is not the page's fault */
failed:
	fprintf(stderr, CMD ": %s: write: %s\n", path, strerror(-err));
	return err;
}

int report_main(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct report *r = NULL;
	struct timespec now;
	int code;

	code = parse_args(&a, argc, argv);
	if (code)
		goto cleanup;
	if (report_new(&r, a.inputs, a.ninputs)) {
		fprintf(stderr, CMD ": out of memory\n");
		code = 1;
		goto cleanup;
	}
	r->since_ns = a.since_ns;
	r->until_ns = a.until_ns;
	code = read_inputs(r, &a);
	if (code == 2)
		goto cleanup;
	if (r->oom) {
		fprintf(stderr, CMD ": out of memory while reading; the page says which counts "
			"are incomplete\n");
		code = 1;
	}
	report_finish(r);
	clock_gettime(CLOCK_REALTIME, &now);
	r->generated_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	if (a.output && strcmp(a.output, "-")) {
		if (write_file(r, a.output, a.top))
			code = 1;
	} else {
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
		if (report_html(stdout, r, a.top) || fflush(stdout)) {
			fprintf(stderr, CMD ": stdout: write error: %s\n", strerror(errno));
			code = 1;
		}
	}
cleanup:
	report_free(r);
	free(a.inputs);
	return code < 0 ? 0 : code;	/* -1: --help */
}
