/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attrib_int.h - the attribution state shared by attrib.c (the facade,
 * pods, identity) and attrib_proc.c (the process side). Not for other
 * modules: they use attrib.h.
 */
#ifndef CW_ATTRIB_INT_H
#define CW_ATTRIB_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "attrib.h"
#include "cgroup.h"
#include "passwd.h"

#define USER_CACHE_MAX		4096	/* (container, mnt ns, uid) -> name */
#define USER_TTL_MS		60000	/* passwd files change rarely */
#define USER_NEG_TTL_MS		10000
#define EXEC_CACHE_MAX		1024	/* container -> its init process */
#define CHAIN_PROC_MAX		32	/* ancestors read from /proc past the kernel's 5 */
#define PROCS_MAX		4096	/* cgroup.procs entries examined */
/*
 * (parent pid, parent comm) -> proc.pcmdline. Reading /proc/<ppid>/stat and
 * cmdline per event was a fifth of the agent's hit-path CPU; a process
 * hammering a token has the same parent for every event. Short-lived: a
 * parent that execs or a pid reused under the same comm within the TTL is
 * the window in which the cached line may be stale.
 */
#define PCMD_CACHE_MAX		128
#define PCMD_TTL_MS		1000

struct user_val {
	uint32_t uid, mnt_ns;
	char cid[CG_ID_MAX];
	char name[PASSWD_NAME_MAX];
	uint64_t expires_ms;
};

struct pcmd_val {
	uint32_t ppid;
	char comm[CW_COMM_LEN];
	uint64_t expires_ms;
	char cmdline[CW_REC_CMDLINE_MAX];	/* "" when unknown */
	char exe[CW_ARGS_MAX + 4];		/* its argv[0], "" when unknown */
};

struct exec_val {
	char cid[CG_ID_MAX];
	uint32_t init_pid;
	uint64_t init_start;	/* starttime, to notice pid reuse */
	bool init_has_tty;
};

struct attrib {
	char root[PATH_MAX];	/* host root prefix; "" for "/" */
	char proc_root[PATH_MAX];	/* <root>/proc when present, else /proc: fd names */
	char node[256];
	struct cgroup_cache *cg;
	struct pods *pods;
	struct k8s *k8s;
	struct lru *users, *execs, *pcmds;
	struct redact *redact;	/* borrowed; NULL: --no-redact */
	const struct node_agents *agents;	/* borrowed; NULL: no inventory */
	uint32_t host_mnt_ns;
	bool pidns_own;		/* the agent is not in the initial pid namespace */
	uint64_t fills;
	bool warned_rootfs;	/* said once that a container's root is out of reach */
	uint32_t wants;		/* enum cw_want: on-demand fields the rules need */
};

/* attrib_proc.c, for attrib_fill() */
/*
 * Exec session: the reader's ancestry reaches the runtime shim through a
 * process that is not the container's init (or never reaches the shim).
 * CW_TRUE, CW_FALSE or CW_UNKNOWN.
 */
int8_t attrib_exec_session(struct attrib *a, const struct cw_event *e,
			   const struct cgroup_attr *ca);
/* user.name (and user.loginname when a rule wants it) from the reader's passwd, cached. */
void attrib_fill_user(struct attrib *a, struct cw_record *rec, const struct cw_event *e,
		      const struct cgroup_attr *ca);
/* proc.pcmdline and proc.pexe from /proc while the parent is the same process; redacted. */
void attrib_fill_pcmdline(struct attrib *a, struct cw_record *rec, const struct cw_event *e);

#endif /* CW_ATTRIB_INT_H */
