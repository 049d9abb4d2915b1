// SPDX-License-Identifier: Apache-2.0
/* time.c - the --since/--until syntax and the time format of every inspect command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect.h"

static int parse_digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -EINVAL;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

/* Nanoseconds from ".123" style fractions; advances *s. */
static uint64_t parse_frac(const char **s)
{
	uint64_t ns = 0, scale = 100000000;

	if (**s != '.')
		return 0;
	for ((*s)++; **s >= '0' && **s <= '9'; (*s)++, scale /= 10)
		ns += (uint64_t)(**s - '0') * scale;
	return ns;
}

int inspect_parse_time(const char *s, uint64_t *out_ns)
{
	int y, mo, d, h, mi, sec, oh, om;
	const char *p = s;
	struct tm tm = { 0 };
	int64_t t, off = 0;
	uint64_t frac;

	if (!strchr(s, '-') && !strchr(s, ':')) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 10);
		p = end;
		frac = parse_frac(&p);
		if (errno || end == s || *p || v > 18000000000ull)
			return -EINVAL;
		*out_ns = v * 1000000000ull + frac;
		return 0;
	}
	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) ||
	    *p++ != '-' || parse_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi) ||
	    *p++ != ':' || parse_digits(&p, 2, &sec))
		return -EINVAL;
	frac = parse_frac(&p);
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if (parse_digits(&p, 2, &oh) || *p++ != ':' || parse_digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -EINVAL;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm) - off;
	if (t < 0)
		return -EINVAL;
	*out_ns = (uint64_t)t * 1000000000ull + frac;
	return 0;
}

const char *inspect_fmt_time(uint64_t ns, char *buf, size_t size)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06uZ", (unsigned)(ns % 1000000000ull / 1000));
	return buf;
}
