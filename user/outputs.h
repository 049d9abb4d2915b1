/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outputs.h - where what the agent sees goes: alerts (--output), the events
 * stream (--events), findings (--findings); the dump and the backend have
 * options of their own (dump.h, ship.h).
 */
#ifndef CW_OUTPUTS_H
#define CW_OUTPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "opt.h"

struct outputs_opts {
	char *output;			/* --output FILE|-; NULL: stdout */
	char *format;			/* --output-format json | text; NULL: text on a terminal */
	bool no_color;			/* --no-color (also NO_COLOR) */
	uint64_t alert_rate;		/* --alert-rate: per second per rule and reader; 0: no limit */
	uint64_t alert_burst;		/* --alert-burst */
	uint64_t alert_summary_interval_s;	/* --alert-summary-interval */
	char *events;			/* --events FILE|-; NULL: off */
	char *findings;			/* --findings FILE|-; NULL: off */
};

/* --output, --output-format, --no-color, --alert-*, --events, --findings (opt.h) */
extern const struct opt_table outputs_options;

#endif /* CW_OUTPUTS_H */
