/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ia32.h - does this kernel run 32-bit x86 code? 32-bit opens bypass the
 * syscalls:sys_exit_* tracepoints, so the sensor attaches an extra program
 * for them, but only where they can happen: one of them (raw_syscalls)
 * costs every syscall of the node.
 *
 * The answer comes from the kernel itself: the ia32 entry points in its BTF
 * (absent: built without IA32 emulation), then a forked child doing a
 * 32-bit getpid through int 0x80. The kernel answers SIGSEGV when IA32
 * emulation is off (ia32_emulation=false on 6.7+). Any other death (SIGSYS
 * from a seccomp filter on the agent itself, e.g. systemd's
 * SystemCallArchitectures=native) says nothing about the kernel: then the
 * programs are attached all the same, and the reason is given.
 */
#ifndef CW_IA32_H
#define CW_IA32_H

#include <stdbool.h>
#include <stddef.h>

enum ia32_state {
	IA32_REFUSED,		/* the kernel does not run 32-bit code */
	IA32_RUNS,		/* it does: the probe's int 0x80 getpid answered */
	IA32_UNKNOWN,		/* the probe could not tell: assume it runs */
};

/*
 * ia32_classify - the probe child's wait status as a state, with the why
 * (e.g. "int 0x80 probe killed by SIGSEGV") in why.
 */
enum ia32_state ia32_classify(int wstatus, char *why, size_t why_size);

/*
 * ia32_probe - run the probe (x86-64 only; elsewhere IA32_REFUSED, "not
 * an x86-64 kernel"). has_entry_points: whether the kernel's BTF names the
 * ia32 open entry points (no: IA32_REFUSED without forking).
 */
enum ia32_state ia32_probe(bool has_entry_points, char *why, size_t why_size);

#endif /* CW_IA32_H */
