// SPDX-License-Identifier: Apache-2.0
/* record.c - helpers for struct cw_record: reset, names of kinds and syscalls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

static const char *const cred_kind_names[CW_CRED__MAX] = {
	[CW_CRED_SA_TOKEN] = "sa_token",
	[CW_CRED_SECRET] = "secret",
	[CW_CRED_KUBECONFIG] = "kubeconfig",
	[CW_CRED_PKI] = "pki",
	[CW_CRED_CLOUD] = "cloud",
	[CW_CRED_CUSTOM] = "custom",
	[CW_CRED_REGISTRY] = "registry",
	[CW_CRED_SSH] = "ssh",
	[CW_CRED_ETCD] = "etcd",
	[CW_CRED_CI] = "ci",
	[CW_CRED_TOKEN] = "token",
};

static const char *const syscall_names[CW_SYS__MAX] = {
	[CW_SYS_OPEN] = "open",
	[CW_SYS_OPENAT] = "openat",
	[CW_SYS_OPENAT2] = "openat2",
	[CW_SYS_CREAT] = "creat",
	[CW_SYS_OPEN_BY_HANDLE_AT] = "open_by_handle_at",
	[CW_SYS_IO_URING_OPENAT] = "io_uring_openat",
	[CW_SYS_IO_URING_OPENAT2] = "io_uring_openat2",
};

const char *cred_kind_name(enum cw_cred_kind kind)
{
	if ((unsigned)kind >= CW_CRED__MAX)
		return "custom";
	return cred_kind_names[kind];
}

int cred_kind_parse(const char *name)
{
	for (int i = 0; i < CW_CRED__MAX; i++)
		if (!strcmp(cred_kind_names[i], name))
			return i;
	return -EINVAL;
}

const char *syscall_name(uint32_t syscall)
{
	if (syscall == 0 || syscall >= CW_SYS__MAX)
		return "unknown";
	return syscall_names[syscall];
}

void record_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Per event on the hit path: memset of the whole record (about 25 KB, nearly
 * all of it string buffers) was 7% of the agent's CPU. Every consumer reads
 * strings only up to their NUL (field_get, json, dump, rules, the shipper),
 * so emptying a string is its first byte. Every member is listed here: a new
 * member of struct cw_record must be added too (test_record checks the
 * field table and these members on a record filled with garbage), and to
 * the table in record_pack.c.
 */
void record_reset(struct cw_record *rec)
{
	rec->time_ns = 0;
	rec->res = 0;
	rec->syscall = 0;
	rec->count = 1;
	rec->pid = rec->tid = rec->ppid = rec->sid = rec->tty = 0;
	rec->uid = rec->gid = rec->loginuid = 0;
	rec->proc_name[0] = '\0';
	rec->proc_exepath[0] = '\0';
	rec->proc_cmdline[0] = '\0';
	rec->proc_pname[0] = '\0';
	rec->proc_pcmdline[0] = '\0';
	memset(rec->apid, 0, sizeof(rec->apid));
	for (int i = 0; i <= CW_ANCESTORS; i++)
		rec->aname[i][0] = '\0';
	rec->user_name[0] = '\0';
	rec->is_exec_session = CW_UNKNOWN;
	memset(rec->aexe_ino, 0, sizeof(rec->aexe_ino));
	memset(rec->aexe_dev, 0, sizeof(rec->aexe_dev));
	rec->is_host_mntns = CW_UNKNOWN;
	rec->node_agent[0] = '\0';
	rec->systemd_unit[0] = '\0';
	rec->evt_num = 0;
	rec->proc_exe[0] = '\0';
	rec->proc_pexe[0] = '\0';
	rec->proc_pexepath[0] = '\0';
	for (int i = 0; i < CW_ANCESTORS - 1; i++)
		rec->aexepath[i][0] = '\0';
	rec->proc_start_ns = 0;
	rec->vpid = 0;
	rec->proc_sname[0] = '\0';
	rec->user_loginname[0] = '\0';
	rec->cap_effective[0] = '\0';
	rec->cap_permitted[0] = '\0';
	rec->cap_inheritable[0] = '\0';
	rec->nanc_extra = 0;
	rec->fd_name[0] = '\0';
	rec->fd_nameraw[0] = '\0';
	rec->fd_flags[0] = '\0';
	rec->fd_ino = rec->fd_dev = rec->open_flags = 0;
	rec->cgroup_id = rec->mnt_ns = rec->pid_ns = 0;
	rec->container_id[0] = '\0';
	rec->container_name[0] = '\0';
	rec->container_image[0] = '\0';
	rec->container_privileged = CW_UNKNOWN;
	rec->ns_name[0] = '\0';
	rec->pod_name[0] = '\0';
	rec->pod_uid[0] = '\0';
	rec->pod_sa[0] = '\0';
	rec->cred_id = 0;
	rec->cred_kind[0] = '\0';
	rec->cred_path[0] = '\0';
	rec->owner_ns[0] = '\0';
	rec->owner_pod[0] = '\0';
	rec->owner_pod_uid[0] = '\0';
	rec->owner_sa[0] = '\0';
	rec->owner_pid = 0;
	rec->secret_name[0] = '\0';
	rec->same_pod = CW_UNKNOWN;
	rec->cluster_name[0] = '\0';
	rec->cloud_provider[0] = '\0';
	rec->cloud_region[0] = '\0';
	rec->ev_flags = 0;
}

void record_path_normalize(const char *src, char *dst, size_t size)
{
	size_t o = 0;
	const char *s = src;

	if (size < 2) {
		if (size)
			dst[0] = '\0';
		return;
	}
	if (src[0] != '/') {
		record_strlcpy(dst, src, size);
		return;
	}
	/* dst holds "/a/b" (no trailing '/') between components */
	while (*s) {
		const char *c;
		size_t n;

		while (*s == '/')
			s++;
		c = s;
		while (*s && *s != '/')
			s++;
		n = (size_t)(s - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (o > 0 && dst[o - 1] != '/')
				o--;
			if (o > 0)
				o--;	/* the '/' before the dropped component */
			continue;
		}
		if (o + 1 + n + 1 > size)	/* cut: keep what fits, as record_strlcpy */
			n = size > o + 2 ? size - o - 2 : 0;
		if (o + 1 < size)
			dst[o++] = '/';
		memcpy(dst + o, c, n);
		o += n;
		if (o + 1 >= size)
			break;
	}
	if (o == 0)
		dst[o++] = '/';
	dst[o] = '\0';
}

/* Append sep and name to buf, cut (NUL-terminated) at size as snprintf would. */
static void flags_append(char *buf, size_t size, size_t *used, const char *sep,
			 const char *name)
{
	size_t o = *used;

	for (const char *s = sep; *s && o + 1 < size; s++)
		buf[o++] = *s;
	for (const char *s = name; *s && o + 1 < size; s++)
		buf[o++] = *s;
	buf[o] = '\0';
	*used = o;
}

void open_flags_format(uint64_t flags, char *buf, size_t size)
{
	/*
	 * Kernel (asm-generic) values: the flags come from syscall arguments,
	 * and glibc defines O_LARGEFILE as 0 on 64-bit userspace.
	 */
	static const struct { uint64_t bit; const char *name; } names[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" }, { 040000, "O_DIRECT" }, { 0100000, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ 01000000, "O_NOATIME" }, { O_CLOEXEC, "O_CLOEXEC" }, { 010000000, "O_PATH" },
		{ 020000000, "O_TMPFILE" }, { 04000000, "O_SYNC" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	size_t used = 0;

	/* per event on the hit path: plain copies, not snprintf (same output, same cut) */
	if (!size)
		return;
	buf[0] = '\0';
	flags_append(buf, size, &used, "", acc[flags & O_ACCMODE]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used + 1 < size; i++) {
		if ((flags & names[i].bit) == names[i].bit)
			flags_append(buf, size, &used, "|", names[i].name);
	}
}
