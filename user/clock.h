/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - the clock readings every module needs, once: nanoseconds and
 * milliseconds of a POSIX clock, and an absolute time some milliseconds
 * ahead for pthread_cond_timedwait().
 *
 * CLOCK_MONOTONIC for intervals and deadlines (never steps); CLOCK_REALTIME
 * only for times shown to people; CLOCK_BOOTTIME is what BPF timestamps are.
 */
#ifndef CW_CLOCK_H
#define CW_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_MSEC	1000000ULL

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_ms(clockid_t clk)
{
	return clock_ns(clk) / NSEC_PER_MSEC;
}

/* clock_after_ms - *ts = now on clk plus ms (a condition variable's deadline). */
static inline void clock_after_ms(struct timespec *ts, clockid_t clk, uint64_t ms)
{
	clock_gettime(clk, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * (long)NSEC_PER_MSEC;
	if (ts->tv_nsec >= (long)NSEC_PER_SEC) {
		ts->tv_sec++;
		ts->tv_nsec -= (long)NSEC_PER_SEC;
	}
}

#endif /* CW_CLOCK_H */
