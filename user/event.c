// SPDX-License-Identifier: Apache-2.0
/* event.c - decode a kernel event into a record, defensively. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "redact.h"
#include "sensor.h"

int64_t event_boot_to_real_ns(void)
{
	struct timespec boot, real;

	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000LL +
	       (real.tv_nsec - boot.tv_nsec);
}

/* A comm from the kernel: at most 16 bytes, maybe unterminated. */
static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, CW_COMM_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * argv as "arg0 arg1 ..." (Falco's proc.cmdline). NULs between arguments
 * become spaces; a cut made by the kernel ends with "...".
 */
static void format_args(const char *args, size_t len, bool cut, char *dst, size_t size)
{
	size_t o = 0, room = size > 4 ? size - 4 : 0;

	while (len && args[len - 1] == '\0')
		len--;
	if (len > room)
		len = room;
	/* per event on the hit path: copy each argument with one memcpy */
	while (o < len) {
		const char *nul = memchr(args + o, '\0', len - o);
		size_t n = nul ? (size_t)(nul - (args + o)) : len - o;

		memcpy(dst + o, args + o, n);
		o += n;
		if (o < len)
			dst[o++] = ' ';
	}
	if (cut && o + 4 <= size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

int event_to_record(const struct cw_event *e, size_t size, const struct cred_entry *cred,
		    int64_t boot_to_real_ns, struct redact *redact, struct cw_record *rec)
{
	size_t data = size > CW_EVENT_HDR_SIZE ? size - CW_EVENT_HDR_SIZE : 0;

	record_reset(rec);
	if (size < CW_EVENT_HDR_SIZE)
		return -EINVAL;
	rec->time_ns = (uint64_t)((int64_t)e->ts_ns + boot_to_real_ns);
	rec->res = e->ret;
	rec->syscall = e->syscall < CW_SYS__MAX ? e->syscall : 0;
	rec->pid = e->tgid;
	rec->tid = e->tid;
	rec->ppid = e->anc[0].tgid;
	rec->sid = e->sid;
	rec->tty = e->tty;
	rec->uid = e->uid;
	rec->gid = e->gid;
	rec->loginuid = e->loginuid;
	rec->cgroup_id = e->cgroup_id;
	rec->mnt_ns = e->mnt_ns;
	rec->pid_ns = e->pid_ns;
	rec->ev_flags = e->flags;
	copy_comm(rec->proc_name, e->comm);
	copy_comm(rec->aname[0], e->comm);
	rec->apid[0] = e->tgid;
	if (e->exe_ino) {
		rec->aexe_ino[0] = e->exe_ino;
		rec->aexe_dev[0] = dev_from_kernel(e->exe_dev);
	}
	for (int i = 0; i < CW_ANCESTORS; i++) {
		if (!e->anc[i].tgid)
			break;
		rec->apid[i + 1] = e->anc[i].tgid;
		copy_comm(rec->aname[i + 1], e->anc[i].comm);
		if (e->anc[i].exe_ino) {
			rec->aexe_ino[i + 1] = e->anc[i].exe_ino;
			rec->aexe_dev[i + 1] = dev_from_kernel(e->anc[i].exe_dev);
		}
	}
	memcpy(rec->proc_pname, rec->aname[1], sizeof(rec->proc_pname));

	/* exe: data[exe_off, CW_EXE_MAX), NUL-terminated at CW_EXE_MAX - 1 */
	if (e->exe_off < CW_EXE_MAX && data >= CW_EXE_MAX && e->exe_len > 1) {
		const char *exe = e->data + e->exe_off;
		size_t n = strnlen(exe, CW_EXE_MAX - e->exe_off);
		size_t o = 0;

		if (e->flags & CW_EVF_EXE_TRUNC) {
			memcpy(rec->proc_exepath, "...", 3);
			o = 3;
		}
		memcpy(rec->proc_exepath + o, exe, n);
		rec->proc_exepath[o + n] = '\0';
	}
	/* the kernel always sends both fixed regions; the path follows them */
	if (data >= CW_PATH_OFF) {
		size_t n = e->args_len <= CW_ARGS_MAX ? e->args_len : CW_ARGS_MAX;
		bool cut = e->flags & CW_EVF_ARGS_TRUNC, out_cut = false;
		const char *args = e->data + CW_ARGS_OFF;
		char clean[REDACT_OUT_SIZE(CW_ARGS_MAX)];

		/*
		 * The one place the kernel's argv enters a record: from here on
		 * only the redacted copy exists, for every field made of it
		 * (proc.cmdline, proc.args and proc.exe, argv[0], alike).
		 */
		if (redact && n) {
			n = redact_argv(redact, rec->proc_name, args, n, cut, clean, sizeof(clean),
					&out_cut);
			args = clean;
		}
		format_args(args, n, cut || out_cut, rec->proc_cmdline, sizeof(rec->proc_cmdline));
		/* proc.exe is argv[0]; proc.args is the command line after it */
		n = strnlen(args, n);
		if (n >= sizeof(rec->proc_exe))
			n = sizeof(rec->proc_exe) - 1;
		memcpy(rec->proc_exe, args, n);
		rec->proc_exe[n] = '\0';
	}
	if (e->path_len && data > CW_PATH_OFF) {
		size_t avail = data - CW_PATH_OFF;
		size_t n = e->path_len < avail ? e->path_len : avail;

		n = strnlen(e->data + CW_PATH_OFF, n);
		memcpy(rec->fd_nameraw, e->data + CW_PATH_OFF, n);
		rec->fd_nameraw[n] = '\0';
		/* Falco's fd.name: "/etc/./x//../shadow" is "/etc/shadow" */
		record_path_normalize(rec->fd_nameraw, rec->fd_name, sizeof(rec->fd_name));
	}

	rec->open_flags = e->open_flags;
	open_flags_format(e->open_flags, rec->fd_flags, sizeof(rec->fd_flags));
	rec->fd_ino = e->ino;
	rec->fd_dev = (uint64_t)dev_from_kernel(e->dev);

	rec->cred_id = e->cred_id;
	if (e->flags & CW_EVF_ENVIRON) {
		/* no watched file: whose environment it was is attrib's (owner_cgroup_id) */
		record_strlcpy(rec->cred_kind, CW_CRED_KIND_ENVIRON, sizeof(rec->cred_kind));
		rec->owner_pid = e->owner_tgid;
		return 0;
	}
	if (cred) {
		record_strlcpy(rec->cred_kind, cred_kind_name(cred->kind), sizeof(rec->cred_kind));
		record_strlcpy(rec->cred_path, cred->path, sizeof(rec->cred_path));
		record_strlcpy(rec->owner_pod_uid, cred->pod_uid, sizeof(rec->owner_pod_uid));
		record_strlcpy(rec->secret_name, cred->secret_name[0] ? cred->secret_name :
			       cred->volume, sizeof(rec->secret_name));
	}
	return 0;
}
