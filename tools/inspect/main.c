// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - credwatch-inspect: offline inspection of trace dumps (summary,
 * events, alerts, findings, replay, report). Options, the read loop over
 * the dumps and the progress line; each command is in its own file
 * (inspect.h says which).
 *
 * Exit codes: 0 everything was read; 1 some input was damaged or refused
 * (everything readable was still printed; each problem is named on stderr
 * with file and byte offset) or output failed; 2 usage error (bad option,
 * time, filter or rules; a path that cannot be opened or holds no dumps).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "user/clock.h"
#include "user/cond.h"
#include "user/dump.h"
#include "user/json.h"

#define PROG		INSPECT_PROG
#define PROGRESS_MIN	(32ull << 20)	/* show progress for inputs larger than this */

static const char usage_text[] =
	"usage: " PROG " <summary|events|alerts|findings|replay> FILE|DIR [options]\n"
	"       " PROG " report DUMP... [--since T] [--until T] [--top N] [--output FILE]\n"
	"\n"
	"Reads credwatch trace dumps (a .cwd file, or a directory of them in time order).\n"
	"  summary   time range, event, alert and finding counts, top readers, top\n"
	"            credentials, per-pod table, findings table (latest status of each),\n"
	"            integrity status\n"
	"  events    every recorded credential access: a table, or NDJSON with --json\n"
	"            (the same objects as the agent's --events stream)\n"
	"  alerts    the alert lines the agent raised, as recorded (NDJSON)\n"
	"  findings  the finding lines the agent wrote (--findings): a table, or the\n"
	"            lines as recorded (NDJSON) with --json\n"
	"  replay    evaluate recorded events with --rules and print the alerts they raise\n"
	"  report    one self-contained HTML page from one or many dumps (many nodes):\n"
	"            access graph, timeline, alerts, findings and their fixes, integrity\n"
	"            (" PROG " report --help)\n"
	"\n"
	"options:\n"
	"  --filter COND   only events matching a rule condition,\n"
	"                  e.g. 'proc.name in (cat, curl) and cred.kind = sa_token'\n"
	"                  (not for findings, which are not events) [default: every event]\n"
	"  --rules FILE    rule file for replay (repeatable) [default: none; replay needs one]\n"
	"  --json          machine-readable output [default: text tables]\n"
	"  --since T       skip records before T (RFC3339 or epoch seconds) [default: the first]\n"
	"  --until T       skip records after T (RFC3339 or epoch seconds) [default: the last]\n"
	"  --top N         rows in the summary's top tables [default: 10]\n"
	"  --help          this text\n"
	"\n"
	"A progress line is shown on stderr while reading more than 32 MiB, when stderr\n"
	"is a terminal.\n"
	"\n"
	"exit status: 0 all input read; 1 damaged or refused input (reported on stderr\n"
	"with file and byte offset; everything readable was printed); 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	return inspect_usage_error(PROG, fmt, arg);
}

/* ---- input ---- */

static void on_damage(void *ctx, const char *file, uint64_t offset, const char *what)
{
	char esc[1024];

	(void)ctx;
	fprintf(stderr, "\r" PROG ": %s: offset %" PRIu64 ": %s\n",
		text_escape(file, esc, sizeof(esc)), offset, what);
}

static void progress(struct inspect *in, bool done)
{
	struct dump_reader_stats st;
	uint64_t now;

	if (!in->progress)
		return;
	if (done) {
		fputs("\r\033[K", stderr);
		return;
	}
	now = clock_ns(CLOCK_MONOTONIC);
	if (now - in->progress_last_ns < 250000000ull)
		return;
	in->progress_last_ns = now;
	dump_reader_stats(in->reader, &st);
	fprintf(stderr, "\r" PROG ": %3.0f%% of %" PRIu64 " MiB", st.bytes_total ?
		100.0 * (double)st.bytes_done / (double)st.bytes_total : 100.0,
		st.bytes_total >> 20);
}

bool inspect_passes_filter(struct inspect *in, const struct cw_record *rec)
{
	if (in->filter)
		return rec && cond_eval(in->filter, rec);
	return true;
}

/* ---- main ---- */

static int parse_args(struct inspect *in, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = NULL;
	char *end;
	int c;

	in->top = 10;
	opterr = 0;
	/* "-": positionals in order; ":": a missing value is ':', not '?' */
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (c) {
		case 1:		/* positional, in order */
			if (!cmd)
				cmd = optarg;
			else if (!in->input)
				in->input = optarg;
			else
				return usage_error("unexpected argument '%s'", optarg);
			break;
		case 'f':
			in->filter_text = optarg;
			break;
		case 'r':
			if (in->nrule_files == INSPECT_MAX_RULE_FILES)
				return usage_error("--rules: more than %s files", "64");
			in->rule_files[in->nrule_files++] = optarg;
			break;
		case 'j':
			in->json = true;
			break;
		case 's':
		case 'u':
			if (inspect_parse_time(optarg, c == 's' ? &in->ropts.since_ns : &in->ropts.until_ns))
				return usage_error(c == 's' ? "--since: cannot parse '%s' (RFC3339 or epoch seconds)"
					: "--until: cannot parse '%s' (RFC3339 or epoch seconds)", optarg);
			break;
		case 't':
			in->top = (int)strtol(optarg, &end, 10);
			if (*end || in->top < 1 || in->top > 1000000)
				return usage_error("--top: expected a positive number, got '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!cmd)
		return usage_error("missing command%s (summary, events, alerts, findings, replay or report)", "");
	if (!strcmp(cmd, "summary"))
		in->cmd = INSPECT_SUMMARY;
	else if (!strcmp(cmd, "events"))
		in->cmd = INSPECT_EVENTS;
	else if (!strcmp(cmd, "alerts"))
		in->cmd = INSPECT_ALERTS;
	else if (!strcmp(cmd, "findings"))
		in->cmd = INSPECT_FINDINGS;
	else if (!strcmp(cmd, "replay"))
		in->cmd = INSPECT_REPLAY;
	else if (!strcmp(cmd, "report"))
		return usage_error("report: the command comes first: " PROG
				   " report DUMP... [options]%s", "");
	else
		return usage_error("unknown command '%s' (summary, events, alerts, findings, replay or report)", cmd);
	if (!in->input)
		return usage_error("%s: missing FILE or DIR", cmd);
	if (in->ropts.since_ns && in->ropts.until_ns && in->ropts.since_ns > in->ropts.until_ns)
		return usage_error("--since is after --until%s", "");
	if (in->cmd == INSPECT_REPLAY && !in->nrule_files)
		return usage_error("replay: needs --rules FILE%s", "");
	if (in->cmd != INSPECT_REPLAY && in->nrule_files)
		return usage_error("--rules: only for replay%s", "");
	if (in->cmd == INSPECT_FINDINGS && in->filter_text)
		return usage_error("--filter: not for findings (a finding is not an event)%s", "");
	return 0;
}

int main(int argc, char **argv)
{
	struct inspect in = { 0 };
	struct dump_reader_stats st;
	struct summary *sum = NULL;
	struct dump_item it;
	uint64_t n = 0;
	int ret, code;

	/* a command in its own file parses its own arguments */
	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	code = parse_args(&in, argc, argv);
	if (code)
		return code;
	code = inspect_rules_setup(&in);
	if (code)
		goto cleanup;
	if (in.cmd == INSPECT_SUMMARY && inspect_summary_new(&sum)) {
		fprintf(stderr, PROG ": summary: out of memory\n");
		code = 1;
		goto cleanup;
	}
	in.ropts.on_damage = on_damage;
	ret = dump_reader_open(&in.reader, in.input, &in.ropts);
	if (ret) {
		char esc[1024];

		fprintf(stderr, PROG ": %s: %s\n", text_escape(in.input, esc, sizeof(esc)),
			ret == -ENODATA ? "no dump files (*.cwd) in this directory" : strerror(-ret));
		code = 2;
		goto cleanup;
	}
	dump_reader_stats(in.reader, &st);
	in.progress = isatty(STDERR_FILENO) && st.bytes_total > PROGRESS_MIN;
	jbuf_init(&in.jb);
	/* large stdout buffer: events --json writes a line per record */
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (in.cmd == INSPECT_EVENTS && !in.json)
		inspect_events_header();
	if (in.cmd == INSPECT_FINDINGS && !in.json)
		inspect_findings_header();
	while ((ret = dump_reader_next(in.reader, &it)) == 1) {
		switch (in.cmd) {
		case INSPECT_SUMMARY:
			if (inspect_passes_filter(&in, it.rec))
				inspect_summary_add(sum, &it);
			break;
		case INSPECT_EVENTS:
			inspect_events_add(&in, &it);
			break;
		case INSPECT_ALERTS:
			inspect_alerts_add(&in, &it);
			break;
		case INSPECT_FINDINGS:
			inspect_findings_add(&in, &it);
			break;
		case INSPECT_REPLAY:
			inspect_replay_add(&in, &it);
			break;
		}
		if ((++n & 0xffff) == 0)
			progress(&in, false);
	}
	progress(&in, true);
	code = dump_reader_saw_damage(in.reader) ? 1 : 0;
	if (ret < 0) {
		fprintf(stderr, PROG ": %s: %s\n", in.input, strerror(-ret));
		code = 1;
	}
	if (in.cmd == INSPECT_SUMMARY) {
		dump_reader_stats(in.reader, &st);
		inspect_summary_print(&in, sum, &st, code != 0);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": stdout: write error: %s\n", strerror(errno));
		code = 1;
	}
cleanup:
	inspect_summary_free(sum);
	jbuf_free(&in.jb);
	dump_reader_close(in.reader);
	inspect_rules_teardown(&in);
	return code;
}
