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

/*
 * agent_run - run until stopped or --duration ends. 0; -EINVAL when the
 * configuration is refused at start-up (rules, --listen, the backend's
 * options, --kubeconfig: exit 2); another negative errno for a runtime
 * failure (exit 1). Every failure is logged where it happens.
 */
int agent_run(const struct config *cfg, struct agent_signals *sig);

/* --list-watched: discover and print. Needs no BPF. 0 or a runtime failure's -errno. */
int agent_list_watched(const struct config *cfg);

#endif /* CW_AGENT_H */
