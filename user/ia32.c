// SPDX-License-Identifier: Apache-2.0
/* ia32.c - whether the kernel runs 32-bit x86 code: the int 0x80 probe. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ia32.h"

#define IA32_NR_GETPID	20	/* getpid in the i386 table */

enum ia32_state ia32_classify(int wstatus, char *why, size_t why_size)
{
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		snprintf(why, why_size, "an int 0x80 getpid answered");
		return IA32_RUNS;
	}
	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGSEGV) {
		snprintf(why, why_size, "int 0x80 probe killed by SIGSEGV");
		return IA32_REFUSED;
	}
	if (WIFSIGNALED(wstatus))
		snprintf(why, why_size, "int 0x80 probe killed by %s (a seccomp filter on the "
			 "agent?): the kernel may still run 32-bit code", strsignal(WTERMSIG(wstatus)));
	else
		snprintf(why, why_size, "int 0x80 probe exited %d: the kernel may still run "
			 "32-bit code", WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
	return IA32_UNKNOWN;
}

#if defined(__x86_64__)
/* The child: a 32-bit getpid from 64-bit code goes through the ia32 entry. */
static void probe_child(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"((long)IA32_NR_GETPID)
			 : "memory", "r8", "r9", "r10", "r11");
	_exit(ret == getpid() ? 0 : 3);
}

enum ia32_state ia32_probe(bool has_entry_points, char *why, size_t why_size)
{
	int status;
	pid_t pid;

	if (!has_entry_points) {
		snprintf(why, why_size, "the kernel is built without IA32 emulation (no ia32 "
			 "entry points in its BTF)");
		return IA32_REFUSED;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_size, "int 0x80 probe: fork: %s: the kernel may still run "
			 "32-bit code", strerror(errno));
		return IA32_UNKNOWN;
	}
	if (pid == 0)
		probe_child();
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, why_size, "int 0x80 probe: waitpid: %s: the kernel may "
				 "still run 32-bit code", strerror(errno));
			return IA32_UNKNOWN;
		}
	}
	return ia32_classify(status, why, why_size);
}
#else
enum ia32_state ia32_probe(bool has_entry_points, char *why, size_t why_size)
{
	(void)has_entry_points;
	snprintf(why, why_size, "not an x86-64 kernel");
	return IA32_REFUSED;
}
#endif
