/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h - what the libFuzzer harnesses share: quiet the logger,
 * hand an input to a parser that reads a path (a memfd seen as
 * /proc/self/fd/N), a UTF-8 check of their own, and a few fixed records
 * for evaluators to run against.
 */
#ifndef CW_FUZZ_COMMON_H
#define CW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "user/fields.h"
#include "user/log.h"
#include "user/record.h"

/* Errors only: inputs make the modules warn on purpose, on every run. */
static inline void fuzz_quiet(void)
{
	cw_log_level = CW_LOG_ERROR;
}

/* Write data to a memfd; path gets its /proc/self/fd name. fd or -1. */
static inline int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

/* A NUL-terminated copy of the input (parsers of C strings). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Well-formed UTF-8 sequence length at s (RFC 3629 table 3-7), 0 if none
 * (written apart from user/json.c, so the two can disagree).
 */
static inline size_t fuzz_u8len(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		k = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		k = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* Is s[0..n) well-formed UTF-8? */
static inline int fuzz_utf8_valid(const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = fuzz_u8len(s + i, n - i)))
			return 0;
	return 1;
}

#define FUZZ_NRECS 3

/* A pod reading another pod's token, kubelet reading its own, a host cat of a key. */
static inline void fuzz_records(struct cw_record rec[FUZZ_NRECS])
{
	static const struct { int id, idx; const char *s; uint64_t u; } f[][16] = {
		{ { CW_F_PROC_NAME, 0, "curl", 0 }, { CW_F_PROC_PID, 0, NULL, 4000 },
		  { CW_F_PROC_CMDLINE, 0, "curl -sk -H @/host/token https://kubernetes", 0 },
		  { CW_F_PROC_ANAME, 1, "containerd-shim", 0 }, { CW_F_PROC_APID, 1, NULL, 3000 },
		  { CW_F_FD_NAME, 0, "/var/lib/kubelet/pods/5d0c/volumes/kubernetes.io~projected/x/token", 0 },
		  { CW_F_CONTAINER_ID, 0, "3f9a1c2b7d4e", 0 }, { CW_F_K8S_NS_NAME, 0, "web", 0 },
		  { CW_F_K8S_POD_NAME, 0, "web-1", 0 }, { CW_F_CRED_KIND, 0, "sa_token", 0 },
		  { CW_F_CRED_OWNER_NS, 0, "prod", 0 }, { CW_F_CRED_SAME_POD, 0, NULL, 0 },
		  { CW_F_USER_UID, 0, NULL, 0 }, { CW_F_EVT_RES, 0, NULL, 3 }, { -1, 0, NULL, 0 } },
		{ { CW_F_PROC_NAME, 0, "kubelet", 0 }, { CW_F_PROC_PID, 0, NULL, 4001 },
		  { CW_F_PROC_EXEPATH, 0, "/usr/bin/kubelet", 0 }, { CW_F_CONTAINER_ID, 0, "host", 0 },
		  { CW_F_CRED_KIND, 0, "pki", 0 }, { CW_F_CRED_PATH, 0, "/etc/kubernetes/pki/ca.key", 0 },
		  { CW_F_USER_NAME, 0, "root", 0 }, { CW_F_FD_INO, 0, NULL, 100 }, { -1, 0, NULL, 0 } },
		{ { CW_F_PROC_NAME, 0, "c\xc3\xa4t\x1b[0m", 0 }, { CW_F_PROC_TTY, 0, NULL, 34816 },
		  { CW_F_FD_NAME, 0, "/etc/kubernetes/admin.conf\n\"\\", 0 },
		  { CW_F_CRED_KIND, 0, "kubeconfig", 0 }, { CW_F_CRED_SAME_POD, 0, NULL, 1 },
		  { CW_F_EVT_RES, 0, NULL, (uint64_t)-13 }, { -1, 0, NULL, 0 } },
	};

	for (int r = 0; r < FUZZ_NRECS; r++) {
		record_reset(&rec[r]);
		for (int i = 0; f[r][i].id >= 0; i++) {
			if (f[r][i].s)
				field_set_str(&rec[r], f[r][i].id, f[r][i].idx, f[r][i].s);
			else
				field_set_u64(&rec[r], f[r][i].id, f[r][i].idx, f[r][i].u);
		}
	}
}

#endif /* CW_FUZZ_COMMON_H */
