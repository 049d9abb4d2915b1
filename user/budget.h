/* SPDX-License-Identifier: Apache-2.0 */
/*
 * budget.h - the per-cgroup event budget and the ring buffer reserve:
 * --cgroup-budget parsed, and sized to the ring buffer (docs/limits.md).
 *
 * Grammar of --cgroup-budget:
 *   auto          rate and burst sized to --ringbuf-bytes (the default)
 *   off           no budget and no reserve: every full event is admitted
 *   RATE          RATE full events per second per cgroup, burst sized as auto
 *   RATE:BURST    both given
 * RATE and BURST are decimal integers of at least 1.
 */
#ifndef CW_BUDGET_H
#define CW_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "../bpf/credwatch.h"

/*
 * What one event takes in the ring buffer, for sizing: the event header
 * (CW_EVENT_HDR_SIZE, 344 bytes), the exe and argv regions, a 256-byte path
 * and the ring's 8-byte record header. The fill level the kernel compares is in bytes, so a longer
 * path only makes the sizing a little optimistic; docs/limits.md says by
 * how much.
 */
#define BUDGET_EVENT_BYTES	(CW_EVENT_HDR_SIZE + 256 + 1024 + 256 + 8)

/* Cgroups assumed to flood at once when sizing the reserve (110 pods x 1-2 containers). */
#define BUDGET_FLOODERS		128

#define BUDGET_MIN_RATE		16
#define BUDGET_MIN_BURST	16

struct budget {
	bool off;		/* no budget, no reserve */
	uint64_t rate;		/* full events per second per cgroup */
	uint64_t burst;		/* events a cgroup may send at once */
	uint64_t quiet;		/* events a cgroup may have spent and still use the reserve */
	uint64_t slots;		/* typical events the ring buffer holds */
	uint64_t reserve_bytes;	/* fill level above which only quiet cgroups are admitted */
	/* the same in what the kernel programs take (ns of the boot clock) */
	uint64_t step_ns, burst_ns, quiet_ns;
};

/*
 * budget_parse - check a --cgroup-budget value. rate/burst get 0 for
 * "sized from the ring buffer"; off is set for "off". NULL is "auto".
 * Returns 0 or -EINVAL with a one-line reason in err.
 */
int budget_parse(const char *spec, bool *off, uint64_t *rate, uint64_t *burst,
		 char *err, size_t err_size);

/*
 * budget_size - the budget for a ring buffer of ringbuf_bytes from a parsed
 * spec (rate/burst 0: sized). Never fails: a spec that passed budget_parse()
 * always yields a usable budget.
 */
void budget_size(uint64_t ringbuf_bytes, bool off, uint64_t rate, uint64_t burst,
		 struct budget *out);

#endif /* CW_BUDGET_H */
