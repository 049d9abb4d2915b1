/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procfs.h - what /proc says about a reader and its ancestors, for the
 * Falco process fields the kernel event does not carry (proc.duration,
 * proc.vpid, proc.sname, thread.cap_*, proc.pexepath, proc.aname[N] past the
 * kernel's CW_ANCESTORS). Read at attribution time, only for the fields a
 * loaded rule needs (enum cw_want), and only while the process lives: once
 * it has exited, or when its pid now belongs to a process with another
 * name, the fields stay unset.
 *
 * Every path is <root>/proc/...: root is --host-root ("" for "/").
 */
#ifndef CW_PROCFS_H
#define CW_PROCFS_H

#include <stdint.h>

#include "record.h"

/* What /proc/PID/stat says about a process. */
struct procfs_stat {
	uint32_t ppid, sid;
	int tty_nr;
	uint64_t start_ticks;		/* clock ticks since boot */
	char comm[CW_COMM_LEN];
};

/* 0, -ENOENT (gone or unreadable) or -EINVAL (not a stat line). */
int procfs_stat(const char *root, uint32_t pid, struct procfs_stat *ps);

/* The inode of <root>/proc/<pid>/ns/mnt (pid: a number or "self"); 0 if unreadable. */
uint32_t procfs_mnt_ns(const char *root, const char *pid);

/*
 * procfs_fill - fill the fields wants asks for (enum cw_want, fields.h)
 * into rec for event e: proc.pid.ts, proc.vpid, thread.cap_*, proc.sname,
 * proc.pexepath and the ancestors past CW_ANCESTORS. user.loginname is
 * attribution's (it needs the reader's /etc/passwd). Never fails.
 */
void procfs_fill(const char *root, struct cw_record *rec, const struct cw_event *e,
		 uint32_t wants);

#endif /* CW_PROCFS_H */
