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

void record_reset(struct cw_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->is_exec_session = CW_UNKNOWN;
	rec->same_pod = CW_UNKNOWN;
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
	size_t used;

	used = (size_t)snprintf(buf, size, "%s", acc[flags & O_ACCMODE]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used < size; i++) {
		if ((flags & names[i].bit) == names[i].bit)
			used += (size_t)snprintf(buf + used, size - used, "|%s", names[i].name);
	}
}
