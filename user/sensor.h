/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sensor.h - the eBPF side of the agent: load, attach, feed the watched
 * inode map, drain the ring buffer, read the drop counters.
 */
#ifndef CW_SENSOR_H
#define CW_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include "../bpf/credwatch.h"
#include "budget.h"

/* Userspace st_dev -> the kernel's s_dev encoding ((major << 20) | minor). */
static inline uint32_t dev_to_kernel(dev_t dev)
{
	return (uint32_t)((major(dev) << 20) | minor(dev));
}

static inline dev_t dev_from_kernel(uint32_t kdev)
{
	return makedev(kdev >> 20, kdev & ((1u << 20) - 1));
}

struct sensor_opts {
	uint32_t max_watched;		/* watched map entries (--max-watched) */
	uint32_t ringbuf_bytes;		/* ring buffer size, power of 2 (--ringbuf-bytes) */
	uint64_t wakeup_bytes;		/* batch wakeups until this much is queued */
	const char *variant;		/* "auto" (NULL), "fast" or "compat" (--bpf-variant) */
	uint64_t repeat_window_ns;	/* --repeat-window-ms; 0: every open is an event */
	const struct budget *budget;	/* --cgroup-budget, sized; NULL: none */
	const char *ia32;		/* "auto" (NULL), "fexit", "raw_syscalls", "off" */
};

/* Called for each event; return 0 to go on, negative to stop the poll. */
typedef int (*sensor_event_fn)(void *ctx, const struct cw_event *e, size_t size);

/* One line per hook for the start-up summary and --list-watched. */
struct sensor_hook_status {
	const char *name;		/* "openat", "io_uring", ... */
	bool attached;
	char reason[128];		/* why not, when not attached */
};

#define SENSOR_HOOKS 6

struct sensor;

/*
 * sensor_probe - check what the sensor needs (root or capabilities, BTF,
 * ring buffer, tracefs - mounting it if absent). Returns 0, or -errno with
 * a one-line explanation in why.
 */
int sensor_probe(char *why, size_t why_size);

/* sensor_open - open, configure, load and attach. Errors are logged once. */
int sensor_open(struct sensor **out, const struct sensor_opts *opts,
		sensor_event_fn fn, void *ctx);
void sensor_free(struct sensor *s);

/*
 * Drain the ring buffer, waiting up to timeout_ms, then every event it
 * holds (at exit). Returns events or -errno.
 */
int sensor_poll(struct sensor *s, int timeout_ms);

/*
 * sensor_consume - hand at most max events (0: no bound) to the callback
 * without waiting. *more says the batch filled up: come back after other
 * work (the event loop keeps inotify, heartbeats and timers running during
 * a flood this way). Returns events or -errno.
 */
int sensor_consume(struct sensor *s, unsigned int max, bool *more);

/*
 * An fd that polls readable when the kernel woke the reader (an epoll fd
 * itself), to wait on together with other sources. Wakeups are batched:
 * call sensor_consume() after every wait, woken or not.
 */
int sensor_epoll_fd(const struct sensor *s);

/* Watch or unwatch an inode (kernel dev encoding). 0 or -errno (-E2BIG: full). */
int sensor_watch_add(struct sensor *s, uint64_t ino, uint32_t kdev,
		     uint32_t cred_id, uint32_t kind);
int sensor_watch_del(struct sensor *s, uint64_t ino, uint32_t kdev);

/*
 * A second key for a credential (an overlay's layer file): added only when
 * no entry has the key (-EEXIST when another credential's does).
 * sensor_watch_del_owned() removes a key only while it still names cred_id:
 * a deleted pod's tmpfs device and inode numbers come back for the next
 * pod, whose credential may have taken the key before the old one goes.
 */
int sensor_watch_add_alias(struct sensor *s, uint64_t ino, uint32_t kdev,
			   uint32_t cred_id, uint32_t kind);
int sensor_watch_del_owned(struct sensor *s, uint64_t ino, uint32_t kdev, uint32_t cred_id);

/*
 * btrfs: the kernel program sees the superblock's device (sb_kdev) first
 * and tells the subvolume (subvol_kdev, stat's st_dev) on a hit only
 * (CW_WATCH_SUBVOL in credwatch.h). -EOPNOTSUPP when the kernel's BTF does
 * not describe btrfs (sensor_btrfs_subvol() false).
 */
bool sensor_btrfs_subvol(const struct sensor *s);
int sensor_watch_add_subvol(struct sensor *s, uint64_t ino, uint32_t sb_kdev,
			    uint32_t subvol_kdev, uint32_t cred_id, uint32_t kind);
int sensor_watch_del_subvol(struct sensor *s, uint64_t ino, uint32_t sb_kdev,
			    uint32_t subvol_kdev);

/* Per-reason drop counters summed over CPUs, and the hit counters. */
void sensor_drops(struct sensor *s, uint64_t drops[CW_DROP__MAX]);
void sensor_stats(struct sensor *s, uint64_t stats[CW_STAT__MAX]);

/* The kernel's repeat counter of key: 0, -ENOENT (evicted), or -errno. */
int sensor_repeat_lookup(struct sensor *s, const struct cw_repeat_key *key,
			 struct cw_repeat_val *val);
/* Forget key in the kernel: its next open is a full event again. */
void sensor_repeat_delete(struct sensor *s, const struct cw_repeat_key *key);

/*
 * sensor_budgets - call fn for every cgroup in the budget map (at most
 * CW_BUDGETS_MAX); a non-zero return stops the walk and is returned.
 */
typedef int (*sensor_budget_fn)(void *ctx, uint64_t cgroup_id, const struct cw_budget *b);
int sensor_budgets(struct sensor *s, sensor_budget_fn fn, void *ctx);

/*
 * sensor_ia32 - how 32-bit opens are covered, for the start-up summary:
 * "32-bit syscalls are refused by this kernel (...): no program attached",
 * or which program sees them. Never NULL. sensor_ia32_attached: whether a
 * program for them is attached.
 */
const char *sensor_ia32(const struct sensor *s);
bool sensor_ia32_attached(const struct sensor *s);

const struct sensor_hook_status *sensor_hooks(const struct sensor *s, int *count);

/*
 * sensor_variant - which program set runs and why, for the start-up
 * summary: "fast" or "compat (no bpf_rdonly_cast, ...)". Never NULL.
 */
const char *sensor_variant(const struct sensor *s);

#endif /* CW_SENSOR_H */
