/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields.h - the Falco-style field vocabulary (shared/DESIGN.md).
 *
 * One table names every field of a struct cw_record. Rules compile field
 * names to a field id once; evaluation, the --events writer, alert
 * output_fields, dumps and credwatch-inspect all go through field_get(),
 * which returns a view into the record and never allocates.
 *
 * Three ranges of ids:
 *   [0, CW_F__COUNT)        stored: written to --events and dumps, read back
 *   [CW_F__COUNT, CW_F__ALL) Falco's own fields computed from the record
 *                           (fd.directory, evt.is_open_read, ...) or filled
 *                           by attribution only when a rule asks for them
 *                           (proc.duration, thread.cap_effective, ...)
 *   [CW_F__ALL, ...)        Falco fields credwatch knows by name only: they
 *                           have no value on an open of a file (fd.sip,
 *                           evt.arg.request: CW_FK_ABSENT), or credwatch does
 *                           not collect them (proc.cwd, proc.env:
 *                           CW_FK_UNCOLLECTED). Rules may name them; they
 *                           are never set.
 *
 * Indexed fields (proc.aname[N], proc.apid[N]) take N in 0..CW_REC_ANC_MAX;
 * 0 is the process itself, 1 its parent, up to CW_ANCESTORS captured in the
 * kernel, the rest read from /proc on demand. Without an index
 * (CW_INDEX_ANY) a condition on them holds when it holds for any ancestor
 * (1..), as in Falco.
 */
#ifndef CW_FIELDS_H
#define CW_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define CW_INDEX_ANY	(-1)	/* proc.aname without [N] */

enum cw_field_type {
	CW_FT_STR,	/* string; "" means not known */
	CW_FT_U64,	/* unsigned number */
	CW_FT_S64,	/* signed number */
	CW_FT_BOOL,	/* tristate; unknown means not known */
};

enum cw_field_kind {
	CW_FK_STORED,		/* a member of the record, serialized */
	CW_FK_DERIVED,		/* computed from the record, or filled on demand */
	CW_FK_ABSENT,		/* Falco field with no value on an open of a file */
	CW_FK_UNCOLLECTED,	/* Falco has it on opens; credwatch does not collect it */
};

/*
 * What attribution must read from /proc for a field (attrib_set_wants);
 * fields without a bit are always filled.
 */
enum cw_want {
	CW_WANT_PROC_START = 1u << 0,	/* proc.pid.ts, proc.duration */
	CW_WANT_STATUS = 1u << 1,	/* proc.vpid, thread.cap_* (/proc/PID/status) */
	CW_WANT_SESSION = 1u << 2,	/* proc.sname */
	CW_WANT_LOGINNAME = 1u << 3,	/* user.loginname */
	CW_WANT_PEXEPATH = 1u << 4,	/* proc.pexepath */
	CW_WANT_ANCESTORS = 1u << 5,	/* proc.aname/apid past the kernel's, or any */
};

enum cw_field_id {
	CW_F_EVT_TIME, CW_F_EVT_TYPE, CW_F_EVT_RES, CW_F_EVT_COUNT,
	CW_F_PROC_PID, CW_F_PROC_TID, CW_F_PROC_NAME, CW_F_PROC_EXEPATH,
	CW_F_PROC_CMDLINE, CW_F_PROC_PPID, CW_F_PROC_PNAME, CW_F_PROC_PCMDLINE,
	CW_F_PROC_ANAME, CW_F_PROC_APID, CW_F_PROC_TTY, CW_F_PROC_SID,
	CW_F_PROC_IS_EXEC_SESSION,
	CW_F_USER_UID, CW_F_USER_NAME, CW_F_USER_LOGINUID,
	CW_F_FD_NAME, CW_F_FD_INO, CW_F_FD_DEV, CW_F_FD_FLAGS,
	CW_F_CONTAINER_ID, CW_F_CONTAINER_NAME, CW_F_CONTAINER_IMAGE_REPOSITORY,
	CW_F_K8S_NS_NAME, CW_F_K8S_POD_NAME, CW_F_K8S_POD_UID, CW_F_K8S_POD_SA,
	CW_F_CRED_KIND, CW_F_CRED_PATH, CW_F_CRED_OWNER_NS, CW_F_CRED_OWNER_POD,
	CW_F_CRED_OWNER_SA, CW_F_CRED_SECRET_NAME, CW_F_CRED_SAME_POD,
	CW_F_K8S_CLUSTER_NAME, CW_F_CLOUD_PROVIDER, CW_F_CLOUD_REGION,
	CW_F_FD_NAMERAW, CW_F_PROC_EXE, CW_F_PROC_PEXE, CW_F_GROUP_GID, CW_F_EVT_NUM,
	CW_F_CRED_OWNER_PID,
	CW_F_PROC_EXE_INO, CW_F_PROC_EXE_DEV, CW_F_PROC_IS_HOST_MNTNS, CW_F_PROC_NODE_AGENT,
	CW_F_PROC_SYSTEMD_UNIT,
	CW_F__COUNT,

	/* Falco's fields computed from the ones above, or filled on demand */
	CW_F_EVT_DIR = CW_F__COUNT, CW_F_EVT_RAWRES, CW_F_EVT_RES_STR,
	CW_F_EVT_IS_OPEN_READ, CW_F_EVT_IS_OPEN_WRITE, CW_F_EVT_IS_OPEN_EXEC,
	CW_F_EVT_IS_OPEN_CREATE, CW_F_EVT_ARG_NAME, CW_F_EVT_ARG_FLAGS, CW_F_EVT_ARG_FD,
	CW_F_FD_NUM, CW_F_FD_TYPE, CW_F_FD_TYPECHAR, CW_F_FD_DIRECTORY, CW_F_FD_FILENAME,
	CW_F_FD_NAME_CHANGED,
	CW_F_PROC_ARGS, CW_F_PROC_PEXEPATH, CW_F_PROC_AEXE, CW_F_PROC_AEXEPATH,
	CW_F_PROC_PID_TS, CW_F_PROC_DURATION, CW_F_PROC_VPID, CW_F_PROC_SNAME,
	CW_F_PROC_IS_EXE_FROM_MEMFD, CW_F_THREAD_TID,
	CW_F_THREAD_CAP_EFFECTIVE, CW_F_THREAD_CAP_PERMITTED, CW_F_THREAD_CAP_INHERITABLE,
	CW_F_USER_LOGINNAME, CW_F_CONTAINER_PRIVILEGED, CW_F_K8S_POD_ID,
	CW_F_PROC_IS_NODE_AGENT, CW_F_PROC_AEXE_INO,
	CW_F__ALL,
};

struct cw_field_info {
	const char *name;	/* "proc.aname" (without [N]) */
	enum cw_field_type type;
	bool indexed;		/* takes [N] */
	const char *desc;	/* one line, for --help and the docs */
	enum cw_field_kind kind;
	uint32_t want;		/* enum cw_want bits attribution needs for it */
};

/* A field's value: a view into the record, valid while it lives. */
struct cw_value {
	enum cw_field_type type;
	bool is_set;		/* false: print <NA>, `exists` is false */
	const char *str;	/* CW_FT_STR: NUL-terminated */
	uint64_t u64;		/* CW_FT_U64, CW_FT_BOOL (0/1) */
	int64_t s64;		/* CW_FT_S64 */
};

/*
 * field_info - what a field id is. Ids from field_lookup() past CW_F__ALL
 * name Falco-only fields; their info->name is the table's (for evt.arg.*
 * any argument not listed shares one entry), so callers that print a name
 * keep the text the rule used.
 */
const struct cw_field_info *field_info(int id);

/*
 * field_lookup - name ("proc.aname[2]", "proc.aname" or "fd.name") to id
 * and index (CW_INDEX_ANY for an ancestor field without [N]). Returns the
 * id, or -ENOENT for an unknown field and -EINVAL for a bad or
 * missing/unexpected index.
 */
int field_lookup(const char *name, int *index);

/* Why an ABSENT or UNCOLLECTED field has no value, for messages. */
const char *field_absent_reason(int id);

/*
 * field_is_collected - false when credwatch never has a value for this
 * field at this index although Falco has one on opens: UNCOLLECTED fields,
 * and proc.aexe[N]/proc.aexepath[N] past the parent.
 */
bool field_is_collected(int id, int index);

/*
 * field_equal - whether a field reads the same in two records: both unset,
 * or both set to equal values (what comparing two field_get() results
 * says), without building the values. For delta coding (dumps); stored
 * fields only.
 */
bool field_equal(const struct cw_record *a, const struct cw_record *b, enum cw_field_id id,
		 int index);

/*
 * field_get - read a field; index is ignored unless the field is indexed.
 * Values of fd.directory and of unindexed proc.aname are built
 * in a per-thread buffer: each stays valid until the next field_get() of
 * one of those on the same thread (evaluation and output use a value
 * before reading the next one).
 */
void field_get(const struct cw_record *rec, int id, int index, struct cw_value *out);

/*
 * field_set_str / field_set_u64 - write a field (dump reader, tests).
 * Returns 0, or -EINVAL on a type mismatch, bad index or a computed field.
 */
int field_set_str(struct cw_record *rec, int id, int index, const char *s);
int field_set_u64(struct cw_record *rec, int id, int index, uint64_t v);

/*
 * field_format - the value as text for output lines ("<NA>" when unset,
 * "true"/"false" for booleans, decimal for numbers). Returns buf.
 */
const char *field_format(const struct cw_value *v, char *buf, size_t size);

/*
 * field_caps_format - a capability mask as Falco prints thread.cap_*:
 * "CAP_CHOWN CAP_DAC_OVERRIDE ...", lowest bit first; bits without a name
 * as "CAP_<n>".
 */
void field_caps_format(uint64_t caps, char *buf, size_t size);

#endif /* CW_FIELDS_H */
