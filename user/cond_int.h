/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond_int.h - the compiled form of a condition, shared by the compiler
 * and evaluator (cond.c) and the analysis (cond_analyze.c). Not for other
 * modules: they use cond.h.
 */
#ifndef CW_COND_INT_H
#define CW_COND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"

enum cn_kind { CN_AND, CN_OR, CN_NOT, CN_CMP };

enum cn_op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_CONTAINS, OP_ICONTAINS, OP_STARTSWITH, OP_ENDSWITH, OP_GLOB, OP_IGLOB,
	OP_IN, OP_INTERSECTS, OP_PMATCH, OP_EXISTS, OP_BCONTAINS, OP_BSTARTSWITH,
};

/* A constant, converted once for the field it is compared with. */
struct cval {
	char *s;		/* the text as written (bytes for bcontains) */
	size_t len;
	uint64_t u;		/* CW_FT_U64, CW_FT_BOOL */
	int64_t i;		/* CW_FT_S64 */
};

struct cnode {
	enum cn_kind kind;
	enum cn_op op;
	int field;		/* enum cw_field_id, or a Falco-only id */
	int index;		/* CW_INDEX_ANY: any ancestor */
	char *fname;		/* the field as written, for analysis messages */
	enum cw_field_type ftype;
	int n, cap;		/* kids (AND/OR/NOT) or vals (CMP) */
	struct cnode **kids;
	struct cval *vals;
};

struct cond {
	struct cnode *root;
};

/* "=", "contains", ... */
const char *cond_op_name(enum cn_op op);
/* Evaluate one node (and its kids) on rec. */
bool cond_eval_node(const struct cnode *n, const struct cw_record *rec);

#endif /* CW_COND_INT_H */
