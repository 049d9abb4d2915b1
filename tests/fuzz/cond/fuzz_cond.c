// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_cond.c - libFuzzer harness for the condition language (user/cond.c):
 * the --filter text of credwatch-inspect and every rule condition. Each
 * input is one condition, compiled against an environment with a list and
 * two macros (one using the other), then evaluated against fixed records,
 * alone and as "a and not b" (how exceptions attach). cond_analyze() must
 * be sound: a condition it calls never (always) true is false (true) on
 * every event credwatch can produce.
 */
#include "tests/fuzz/fuzz_common.h"
#include "user/cond.h"

static struct cond_env *env;
static struct cw_record rec[FUZZ_NRECS];
#define NOPENS (FUZZ_NRECS * 3)
static struct cw_record opens[NOPENS];	/* the records as successful opens */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const shells[] = { "sh", "bash", "/bin/sh", "curl", "kubelet" };
	static const char *const pids[] = { "1", "0x10", "4000" };

	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_records(rec);
	for (int i = 0; i < NOPENS; i++) {
		static const char *const flags[] = {
			"O_RDONLY|O_CLOEXEC", "O_WRONLY|O_CREAT|O_TRUNC", "O_RDONLY|O_DIRECTORY",
		};

		opens[i] = rec[i / 3];
		opens[i].syscall = 1 + (uint32_t)i % (CW_SYS__MAX - 1);
		opens[i].res = i;
		record_strlcpy(opens[i].fd_flags, flags[i % 3], sizeof(opens[i].fd_flags));
	}
	if (cond_env_new(&env) ||
	    cond_env_set_list(env, "shell_binaries", shells, NULL, 5) ||
	    cond_env_set_list(env, "known_pids", pids, NULL, 3) ||
	    cond_env_set_macro(env, "spawned_process", "evt.type in (open, openat)", NULL) ||
	    cond_env_set_macro(env, "shell_read",
			       "spawned_process and proc.name in (shell_binaries)", NULL))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cond *c = NULL, *other = NULL;
	struct cond_error err;
	char buf[600];
	char *text;

	text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	memset(&err, 0, sizeof(err));
	if (cond_compile(&c, text, env, &err)) {
		if (c)
			__builtin_trap();
		cond_error_format(&err, buf, sizeof(buf));
		if (!memchr(err.msg, '\0', sizeof(err.msg)))
			__builtin_trap();
		goto cleanup;
	}
	for (int i = 0; i < FUZZ_NRECS; i++)
		(void)cond_eval(c, &rec[i]);
	{
		struct cond_analysis an;

		cond_analyze(c, &an);
		if (!memchr(an.why, '\0', sizeof(an.why)) ||
		    !memchr(an.missing, '\0', sizeof(an.missing)))
			__builtin_trap();
		for (int i = 0; an.truth != COND_MAYBE && i < NOPENS; i++)
			if (cond_eval(c, &opens[i]) != (an.truth == COND_ALWAYS))
				__builtin_trap();	/* unsound: an open contradicts it */
	}
	(void)cond_compile(&other, "proc.name = curl or fd.name startswith /etc", env, &err);
	c = cond_and_not(c, other);
	other = NULL;
	for (int i = 0; c && i < FUZZ_NRECS; i++)
		(void)cond_eval(c, &rec[i]);
cleanup:
	cond_free(c);
	cond_free(other);
	free(text);
	return 0;
}
