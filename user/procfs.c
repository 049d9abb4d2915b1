// SPDX-License-Identifier: Apache-2.0
/* procfs.c - Falco's on-demand process fields, read from /proc while the process lives. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fields.h"
#include "fileio.h"
#include "procfs.h"
#include "sensor.h"

int procfs_stat(const char *root, uint32_t pid, struct procfs_stat *ps)
{
	char path[PATH_MAX + 64], buf[1024], *open_p, *close_p;
	unsigned long long start;
	int ppid, sid, tty;
	size_t cl;

	snprintf(path, sizeof(path), "%s/proc/%u/stat", root, pid);
	if (read_file_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	/* comm may hold spaces and ')': it ends at the last ')'. */
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -EINVAL;
	cl = (size_t)(close_p - open_p - 1);
	if (cl >= sizeof(ps->comm))
		cl = sizeof(ps->comm) - 1;
	memcpy(ps->comm, open_p + 1, cl);
	ps->comm[cl] = '\0';
	if (sscanf(close_p + 2, "%*c %d %*d %d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
		   "%*d %*d %*d %*d %llu", &ppid, &sid, &tty, &start) != 4)
		return -EINVAL;
	ps->ppid = (uint32_t)ppid;
	ps->sid = (uint32_t)sid;
	ps->tty_nr = tty;
	ps->start_ticks = start;
	return 0;
}

/* A kernel comm (16 bytes, maybe unterminated) equals a /proc one. */
static bool same_comm(const char *kernel, const char *proc)
{
	return !strncmp(kernel, proc, CW_COMM_LEN - 1);
}

/* proc.pid.ts: the start in /proc/PID/stat (ticks since boot) as epoch ns. */
static void fill_start(const char *root, struct cw_record *rec, const struct cw_event *e)
{
	struct timespec real, boot;
	struct procfs_stat ps;
	long hz = sysconf(_SC_CLK_TCK);
	int64_t boot_to_real;

	if (hz <= 0 || procfs_stat(root, e->tgid, &ps) || !same_comm(e->comm, ps.comm))
		return;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	boot_to_real = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000LL +
		       (real.tv_nsec - boot.tv_nsec);
	rec->proc_start_ns = (uint64_t)((int64_t)(ps.start_ticks * (1000000000ull / (uint64_t)hz)) +
					boot_to_real);
}

/* "0000003fffffffff" */
static uint64_t hex_u64(const char *s)
{
	return strtoull(s, NULL, 16);
}

/* proc.vpid and thread.cap_* from /proc/PID/task/TID/status. */
static void fill_status(const char *root, struct cw_record *rec, const struct cw_event *e)
{
	char path[PATH_MAX + 64], buf[4096], *line, *save = NULL;
	bool name_ok = false;
	uint64_t vpid = 0;
	uint64_t caps[3] = { 0, 0, 0 };
	int have = 0;

	snprintf(path, sizeof(path), "%s/proc/%u/task/%u/status", root, e->tgid, e->tid);
	if (read_file_small(path, buf, sizeof(buf)) <= 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Name:\t", 6)) {
			name_ok = same_comm(e->comm, line + 6);
		} else if (!strncmp(line, "NSpid:", 6)) {
			char *last = strrchr(line, '\t');	/* the innermost namespace */

			vpid = last ? strtoull(last + 1, NULL, 10) : 0;
		} else if (!strncmp(line, "CapInh:\t", 8)) {
			caps[0] = hex_u64(line + 8);
			have |= 1;
		} else if (!strncmp(line, "CapPrm:\t", 8)) {
			caps[1] = hex_u64(line + 8);
			have |= 2;
		} else if (!strncmp(line, "CapEff:\t", 8)) {
			caps[2] = hex_u64(line + 8);
			have |= 4;
		}
	}
	if (!name_ok)		/* the tid now names another thread */
		return;
	rec->vpid = vpid;
	if (have == 7) {
		field_caps_format(caps[0], rec->cap_inheritable, sizeof(rec->cap_inheritable));
		field_caps_format(caps[1], rec->cap_permitted, sizeof(rec->cap_permitted));
		field_caps_format(caps[2], rec->cap_effective, sizeof(rec->cap_effective));
	}
}

/* proc.sname: the session leader, pid = proc.sid, when it is still that leader. */
static void fill_session(const char *root, struct cw_record *rec, const struct cw_event *e)
{
	struct procfs_stat ps;

	if (!e->sid)
		return;
	if (e->sid == e->tgid) {
		record_strlcpy(rec->proc_sname, rec->proc_name, sizeof(rec->proc_sname));
		return;
	}
	if (!procfs_stat(root, e->sid, &ps) && ps.sid == e->sid)
		record_strlcpy(rec->proc_sname, ps.comm, sizeof(rec->proc_sname));
}

/*
 * proc.pexepath and proc.aexepath[2..5]: /proc/PID/exe of each ancestor the
 * kernel captured, when it is still that process: the file /proc names has
 * the (device, inode) the kernel captured at the open (a reused pid runs
 * another file), or, without one, the pid still has the kernel's comm.
 */
static void fill_aexepaths(const char *root, struct cw_record *rec, const struct cw_event *e)
{
	char path[PATH_MAX + 64];

	for (int i = 0; i < CW_ANCESTORS; i++) {
		const struct cw_ancestor *a = &e->anc[i];
		char *out = i ? rec->aexepath[i - 1] : rec->proc_pexepath;
		size_t size = i ? sizeof(rec->aexepath[0]) : sizeof(rec->proc_pexepath);
		struct procfs_stat ps;
		struct stat st;
		ssize_t n;

		if (!a->tgid)
			break;
		snprintf(path, sizeof(path), "%s/proc/%u/exe", root, a->tgid);
		if (a->exe_ino) {
			if (stat(path, &st) || st.st_ino != a->exe_ino ||
			    dev_to_kernel(st.st_dev) != a->exe_dev)
				continue;
		} else if (procfs_stat(root, a->tgid, &ps) || !same_comm(a->comm, ps.comm)) {
			continue;
		}
		n = readlink(path, out, size - 1);
		out[n > 0 ? n : 0] = '\0';
	}
}

/*
 * Ancestors past the kernel's: from the last one it captured, follow
 * /proc/PID/stat ppid upward. The first step is checked against the name
 * the kernel saw; above it the chain is what /proc says now (a parent that
 * exited has left its children to a subreaper or init).
 */
static void fill_ancestors(const char *root, struct cw_record *rec, const struct cw_event *e)
{
	const struct cw_ancestor *last = &e->anc[CW_ANCESTORS - 1];
	struct procfs_stat ps;
	uint32_t pid;

	if (!last->tgid || procfs_stat(root, last->tgid, &ps) || !same_comm(last->comm, ps.comm))
		return;
	pid = ps.ppid;
	while (pid && rec->nanc_extra < CW_REC_ANC_EXTRA && !procfs_stat(root, pid, &ps)) {
		rec->apid_extra[rec->nanc_extra] = pid;
		record_strlcpy(rec->aname_extra[rec->nanc_extra], ps.comm,
			       sizeof(rec->aname_extra[0]));
		rec->nanc_extra++;
		pid = ps.ppid;
	}
}

void procfs_fill(const char *root, struct cw_record *rec, const struct cw_event *e,
		 uint32_t wants)
{
	if (wants & CW_WANT_PROC_START)
		fill_start(root, rec, e);
	if (wants & CW_WANT_STATUS)
		fill_status(root, rec, e);
	if (wants & CW_WANT_SESSION)
		fill_session(root, rec, e);
	if (wants & CW_WANT_PEXEPATH)
		fill_aexepaths(root, rec, e);
	if (wants & CW_WANT_ANCESTORS)
		fill_ancestors(root, rec, e);
}

uint32_t procfs_mnt_ns(const char *root, const char *pid)
{
	char path[PATH_MAX + 32], link[64];
	unsigned long ns = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", root, pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	if (sscanf(link, "mnt:[%lu]", &ns) != 1)
		return 0;
	return (uint32_t)ns;
}
