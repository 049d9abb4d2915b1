/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h - the running agent: wires discovery, sensor, attribution,
 * outputs; owns the event loop.
 */
#ifndef CW_AGENT_H
#define CW_AGENT_H

#include <signal.h>

#include "config.h"

/* Flags main's signal handlers set; the loop reads them. */
struct agent_signals {
	volatile sig_atomic_t stop;
	volatile sig_atomic_t reload;
};

/* Run until stopped or --duration ends. Returns 0, 1 (runtime failure) or 2 (bad rules or --listen). */
int agent_run(const struct config *cfg, struct agent_signals *sig);

/* --list-watched: discover, print, exit code. Needs no BPF. */
int agent_list_watched(const struct config *cfg);

#endif /* CW_AGENT_H */
