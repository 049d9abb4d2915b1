/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privs.h - give up what the agent no longer needs once the BPF programs
 * are attached.
 *
 * Kept: CAP_BPF (updating the watched-inode map as credentials come and go)
 * and CAP_DAC_READ_SEARCH (stat and inotify in kubelet's 0750 directories).
 * CAP_SYS_ADMIN is kept only when the agent ran without CAP_BPF: before
 * Linux 5.8 map updates needed it. Everything else, CAP_PERFMON and
 * CAP_SYS_RESOURCE included, is dropped from the effective, permitted,
 * inheritable and bounding sets, and no_new_privs is set.
 */
#ifndef CW_PRIVS_H
#define CW_PRIVS_H

#include <stdint.h>

/*
 * Capabilities are per thread: call this while the process has one thread,
 * and start every thread afterwards so each inherits the reduced sets.
 * Returns 0, -EBUSY (logged) when other threads already run, or -errno;
 * logs what it kept.
 */
int privs_drop_after_attach(void);

/* Effective capability mask of this process (bit n = capability n). */
uint64_t privs_effective(void);

#endif /* CW_PRIVS_H */
