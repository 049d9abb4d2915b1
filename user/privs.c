// SPDX-License-Identifier: Apache-2.0
/* privs.c - capability drop after attach, with raw capget/capset (no libcap). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define CAP_LAST 63

static int caps_get(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*eff = data[0].effective | ((uint64_t)data[1].effective << 32);
	*perm = data[0].permitted | ((uint64_t)data[1].permitted << 32);
	return 0;
}

uint64_t privs_effective(void)
{
	uint64_t eff = 0, perm = 0;

	caps_get(&eff, &perm);
	return eff;
}

/* Threads of this process, from /proc/self/task; 0 when it cannot be read. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

int privs_drop_after_attach(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t eff, perm, keep;
	int err, threads;

	/*
	 * capset() and PR_CAPBSET_DROP change the calling thread only: a thread
	 * started before this point would keep everything. The agent starts
	 * its threads afterwards; refuse loudly if that ever stops being true.
	 */
	threads = thread_count();
	if (threads > 1) {
		log_error("privs: %d threads run before the capability drop and would keep "
			  "every capability", threads);
		return -EBUSY;
	}
	err = caps_get(&eff, &perm);
	if (err)
		return err;
	keep = (1ULL << CAP_BPF) | (1ULL << CAP_DAC_READ_SEARCH);
	if (!(perm & (1ULL << CAP_BPF)))
		keep |= 1ULL << CAP_SYS_ADMIN;
	keep &= perm;

	/* bounding set first: needs CAP_SETPCAP, which we may not have */
	for (int cap = 0; cap <= CAP_LAST; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL && errno != EPERM)
			log_debug("privs: drop %d from bounding set: %s", cap, strerror(errno));
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	log_debug("privs: capabilities now %#" PRIx64 " (were %#" PRIx64 ")", keep, eff);
	return 0;
}
