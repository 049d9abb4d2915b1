// SPDX-License-Identifier: Apache-2.0
/*
 * budget.c - sizing of the per-cgroup budget and the ring buffer reserve.
 *
 * The arithmetic (also in docs/limits.md). S is the number of typical
 * events the ring holds: ringbuf_bytes / BUDGET_EVENT_BYTES (8 MiB: 4,443).
 *  - reserve: the upper half of the ring. Above half full, the kernel
 *    admits only "quiet" cgroups: ones that have spent at most `quiet` of
 *    their burst. A flooding cgroup has spent all of it, so it is refused
 *    there and the upper half stays for other pods' first reads.
 *  - quiet = S / 2 / (2 * BUDGET_FLOODERS): the cgroups that can enter the
 *    reserve at once, each with `quiet` events, fill at most half of it
 *    (8 MiB: 8 events each, 128 x 8 = 1,024 of 2,221 slots).
 *  - rate = S / 64 per second (8 MiB: 69/s): in steady state every cgroup
 *    is held to its rate, so the reserve only fills while the agent drains
 *    fewer than BUDGET_FLOODERS x rate events a second (8,832/s; it drains
 *    well over 100,000/s).
 *  - burst = S / 32 (138): what a pod may open at once (every distinct
 *    process's first read; repeats by one process cost nothing). Bursts
 *    only use the lower half: past it, only quiet cgroups get in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

static int parse_count(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000ULL)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!v || v > 1000000000ULL)
		return -EINVAL;
	*out = v;
	return 0;
}

int budget_parse(const char *spec, bool *off, uint64_t *rate, uint64_t *burst,
		 char *err, size_t err_size)
{
	const char *colon, *end;

	*off = false;
	*rate = *burst = 0;
	if (!spec || !strcmp(spec, "auto"))
		return 0;
	if (!strcmp(spec, "off")) {
		*off = true;
		return 0;
	}
	end = spec + strlen(spec);
	colon = strchr(spec, ':');
	if (parse_count(spec, colon ? colon : end, rate) ||
	    (colon && parse_count(colon + 1, end, burst))) {
		snprintf(err, err_size, "--cgroup-budget: '%s' is not auto, off, RATE or RATE:BURST "
			 "(whole numbers from 1 to 1000000000)", spec);
		*rate = *burst = 0;
		return -EINVAL;
	}
	return 0;
}

static uint64_t at_least(uint64_t v, uint64_t min)
{
	return v < min ? min : v;
}

void budget_size(uint64_t ringbuf_bytes, bool off, uint64_t rate, uint64_t burst,
		 struct budget *out)
{
	memset(out, 0, sizeof(*out));
	out->off = off;
	out->slots = ringbuf_bytes / BUDGET_EVENT_BYTES;
	if (off)
		return;
	out->rate = rate ? rate : at_least(out->slots / 64, BUDGET_MIN_RATE);
	out->burst = burst ? burst : at_least(out->slots / 32, BUDGET_MIN_BURST);
	out->quiet = at_least(out->slots / 2 / (2 * BUDGET_FLOODERS), 1);
	if (out->quiet > out->burst)
		out->quiet = out->burst;
	out->reserve_bytes = ringbuf_bytes / 2;
	out->step_ns = 1000000000ULL / out->rate;
	if (!out->step_ns)
		out->step_ns = 1;
	out->burst_ns = out->burst * out->step_ns;
	out->quiet_ns = out->quiet * out->step_ns;
}
