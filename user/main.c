// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - credwatch: options, signals, exit codes.
 * 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "inventory.h"
#include "log.h"
#include "rules.h"

static struct agent_signals signals_seen;

/* The agent's result as an exit code: -EINVAL is the operator's to fix in the options. */
static int exit_code(int err)
{
	return !err ? 0 : err == -EINVAL ? 2 : 1;
}

static void on_stop(int sig)
{
	(void)sig;
	signals_seen.stop = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	signals_seen.reload = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the poll must return so the loop sees the flag */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512] = "";
	int ret = 2;

	/* a command of its own: no sensor, its own options */
	if (argc > 1 && !strcmp(argv[1], "inventory"))
		return inventory_main(argc - 1, argv + 1);
	config_init(&cfg);
	/* defaults, then the config file, then flags; validated */
	if (config_from_sources(&cfg, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "credwatch: %s\n", err);
		goto out;
	}
	if (cfg.agent.help) {
		config_usage(stdout);
		ret = 0;
		goto out;
	}
	if (cfg.agent.version) {
		printf("credwatch %s\n", CW_VERSION);
		ret = 0;
		goto out;
	}
	if (cfg.agent.verbose)
		cw_log_level = CW_LOG_DEBUG;
	if (cfg.agent.print_config) {
		config_print(&cfg, stdout);
		ret = 0;
		goto out;
	}
	if (cfg.agent.host_root && access(cfg.agent.host_root, R_OK | X_OK)) {
		fprintf(stderr, "credwatch: --host-root: %s: %s\n", cfg.agent.host_root, strerror(errno));
		goto out;
	}
	if (cfg.agent.validate_rules) {
		const char **files;
		int n;

		rules_files(&cfg.rules, &files, &n);
		ret = rules_validate(files, n, cfg.agent.verbose, stdout, stderr);
		goto out;
	}
	if (cfg.agent.list_watched) {
		ret = exit_code(agent_list_watched(&cfg));
		goto out;
	}
	/*
	 * Everything the agent creates (alert and event files, spool and dump
	 * parents) names pods and paths: never group-writable or readable by
	 * others, whatever umask the caller left us (0 under some runtimes).
	 * Spool and dump files ask for 0600/0700 themselves.
	 */
	umask(umask(0) | 027);
	install_signals();
	/* before any thread: libcurl's global init is not thread-safe */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = exit_code(agent_run(&cfg, &signals_seen));
	curl_global_cleanup();
out:
	config_free(&cfg);
	return ret;
}
