// SPDX-License-Identifier: Apache-2.0
/*
 * caps-probe.c - load and attach the agent's eBPF programs (the skeleton
 * the agent uses), stat a path, and report, so tests/integration/test_caps.sh
 * can run it under exactly the capabilities the Helm chart grants and under
 * fewer. Prints "ok: N programs attached" and exits 0, or one line naming
 * the failed step and exits 1.
 *   caps-probe [PATH-TO-STAT]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "credwatch.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	struct credwatch_bpf *skel = NULL;
	struct bpf_program *prog;
	struct stat st;
	int err, n = 0, ret = 1;

	libbpf_set_print(quiet);
	if (argc > 1 && stat(argv[1], &st)) {
		printf("stat %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	skel = credwatch_bpf__open();
	if (!skel) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL) != 1)
		bpf_object__for_each_program(prog, skel->obj)
			if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING)
				bpf_program__set_autoload(prog, false);
	err = credwatch_bpf__load(skel);
	if (err) {
		printf("load: %s\n", strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);

		if (!link) {
			err = -errno;
			printf("attach %s: %s\n", bpf_program__name(prog), strerror(-err));
			goto cleanup;
		}
		n++;
		bpf_link__destroy(link);
	}
	printf("ok: %d programs attached\n", n);
	ret = 0;
cleanup:
	credwatch_bpf__destroy(skel);
	return ret;
}
