// SPDX-License-Identifier: Apache-2.0
/*
 * test_ia32.c - 32-bit x86 opens: the i386 syscall numbers the kernel
 * program maps (checked against the kernel's own <asm/unistd_32.h>), and
 * what the int 0x80 probe's wait status means.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#if defined(__x86_64__)
#include <asm/unistd_32.h>
#endif

#include "bpf/credwatch.h"
#include "user/ia32.h"

static void test_ia32_numbers_are_the_kernels(void **state)
{
	(void)state;
#if defined(__x86_64__)
	assert_int_equal(CW_IA32_NR_OPEN, __NR_open);
	assert_int_equal(CW_IA32_NR_CREAT, __NR_creat);
	assert_int_equal(CW_IA32_NR_OPENAT, __NR_openat);
	assert_int_equal(CW_IA32_NR_OPEN_BY_HANDLE_AT, __NR_open_by_handle_at);
	assert_int_equal(CW_IA32_NR_OPENAT2, __NR_openat2);
#endif
	assert_int_equal(cw_ia32_syscall(CW_IA32_NR_OPEN), CW_SYS_OPEN);
	assert_int_equal(cw_ia32_syscall(CW_IA32_NR_CREAT), CW_SYS_CREAT);
	assert_int_equal(cw_ia32_syscall(CW_IA32_NR_OPENAT), CW_SYS_OPENAT);
	assert_int_equal(cw_ia32_syscall(CW_IA32_NR_OPEN_BY_HANDLE_AT), CW_SYS_OPEN_BY_HANDLE_AT);
	assert_int_equal(cw_ia32_syscall(CW_IA32_NR_OPENAT2), CW_SYS_OPENAT2);
}

/* The 64-bit numbers of the same calls, and everything else, are not opens here. */
static void test_ia32_other_numbers_are_not_opens(void **state)
{
	static const long others[] = {
		0, 1, 2, 3, 4, 6, 20, 85, 257, 303, 304, 383, 436, 438, -1, 1L << 32,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(cw_ia32_syscall(others[i]), 0);
}

static int status_exited(int code)
{
	return (code & 0xff) << 8;
}

static void test_ia32_classify_probe_status(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(ia32_classify(status_exited(0), why, sizeof(why)), IA32_RUNS);
	assert_int_equal(ia32_classify(SIGSEGV, why, sizeof(why)), IA32_REFUSED);
	assert_non_null(strstr(why, "SIGSEGV"));
	/* seccomp on the agent (systemd's SystemCallArchitectures=native): unknown */
	assert_int_equal(ia32_classify(SIGSYS, why, sizeof(why)), IA32_UNKNOWN);
	assert_non_null(strstr(why, "may still run"));
	assert_int_equal(ia32_classify(status_exited(3), why, sizeof(why)), IA32_UNKNOWN);
	assert_int_equal(ia32_classify(SIGKILL, why, sizeof(why)), IA32_UNKNOWN);
}

static void test_ia32_probe_without_entry_points_does_not_fork(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(ia32_probe(false, why, sizeof(why)), IA32_REFUSED);
#if defined(__x86_64__)
	assert_non_null(strstr(why, "without IA32 emulation"));
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ia32_numbers_are_the_kernels),
		cmocka_unit_test(test_ia32_other_numbers_are_not_opens),
		cmocka_unit_test(test_ia32_classify_probe_status),
		cmocka_unit_test(test_ia32_probe_without_entry_points_does_not_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
