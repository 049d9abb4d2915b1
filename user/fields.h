/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields.h - the Falco-style field vocabulary (shared/DESIGN.md).
 *
 * One table names every field of a struct cw_record. Rules compile field
 * names to a field id once; evaluation, the --events writer, alert
 * output_fields, dumps and credwatch-inspect all go through field_get(),
 * which returns a view into the record and never allocates.
 *
 * Indexed fields (proc.aname[N], proc.apid[N]) take N in 0..CW_ANCESTORS;
 * 0 is the process itself, 1 its parent.
 */
#ifndef CW_FIELDS_H
#define CW_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

enum cw_field_type {
	CW_FT_STR,	/* string; "" means not known */
	CW_FT_U64,	/* unsigned number */
	CW_FT_S64,	/* signed number */
	CW_FT_BOOL,	/* tristate; unknown means not known */
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
	CW_F__COUNT,
};

struct cw_field_info {
	const char *name;	/* "proc.aname" (without [N]) */
	enum cw_field_type type;
	bool indexed;		/* takes [N] */
	const char *desc;	/* one line, for --help and the README */
};

/* A field's value: a view into the record, valid while it lives. */
struct cw_value {
	enum cw_field_type type;
	bool is_set;		/* false: print <NA>, `exists` is false */
	const char *str;	/* CW_FT_STR: NUL-terminated */
	uint64_t u64;		/* CW_FT_U64, CW_FT_BOOL (0/1) */
	int64_t s64;		/* CW_FT_S64 */
};

const struct cw_field_info *field_info(enum cw_field_id id);

/*
 * field_lookup - name ("proc.aname[2]" or "fd.name") to id and index.
 * Returns the id, or -ENOENT for an unknown field and -EINVAL for a bad
 * or missing/unexpected index.
 */
int field_lookup(const char *name, int *index);

/*
 * field_equal - whether a field reads the same in two records: both unset,
 * or both set to equal values (what comparing two field_get() results
 * says), without building the values. For delta coding (dumps).
 */
bool field_equal(const struct cw_record *a, const struct cw_record *b, enum cw_field_id id,
		 int index);

/* field_get - read a field; index is ignored unless the field is indexed. */
void field_get(const struct cw_record *rec, enum cw_field_id id, int index,
	       struct cw_value *out);

/*
 * field_set_str / field_set_u64 - write a field (dump reader, tests).
 * Returns 0, or -EINVAL on a type mismatch or bad index.
 */
int field_set_str(struct cw_record *rec, enum cw_field_id id, int index,
		  const char *s);
int field_set_u64(struct cw_record *rec, enum cw_field_id id, int index,
		  uint64_t v);

/*
 * field_format - the value as text for output lines ("<NA>" when unset,
 * "true"/"false" for booleans, decimal for numbers). Returns buf.
 */
const char *field_format(const struct cw_value *v, char *buf, size_t size);

#endif /* CW_FIELDS_H */
