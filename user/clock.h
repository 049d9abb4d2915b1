/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - the clock readings every module needs, once: nanoseconds and
 * milliseconds of a POSIX clock, an absolute time some milliseconds ahead
 * for pthread_cond_timedwait(), and a time as RFC 3339 text.
 *
 * CLOCK_MONOTONIC for intervals and deadlines (never steps); CLOCK_REALTIME
 * only for times shown to people; CLOCK_BOOTTIME is what BPF timestamps are.
 */
#ifndef CW_CLOCK_H
#define CW_CLOCK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
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

/*
 * clock_rfc3339 - ns since the epoch as RFC 3339 UTC with frac_digits
 * (0..9) digits of the second, truncated: "2026-11-23T00:43:21.123456789Z"
 * (alerts, the backend), ".123456Z" (credwatch-inspect). Returns buf.
 */
static inline const char *clock_rfc3339(uint64_t ns, unsigned frac_digits, char *buf,
					size_t size)
{
	time_t sec = (time_t)(ns / NSEC_PER_SEC);
	uint64_t frac = ns % NSEC_PER_SEC;
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!frac_digits) {
		snprintf(buf + n, size - n, "Z");
		return buf;
	}
	for (unsigned d = frac_digits; d < 9; d++)
		frac /= 10;
	snprintf(buf + n, size - n, ".%0*" PRIu64 "Z", (int)frac_digits, frac);
	return buf;
}

#endif /* CW_CLOCK_H */
