// SPDX-License-Identifier: Apache-2.0
/*
 * cond_eval.c - evaluating a compiled condition on a record: per event, per
 * rule, so comparisons are inlined and strings compared without copies.
 */
#include <string.h>

#include "cond.h"
#include "cond_int.h"
#include "fields.h"
#include "glob.h"

/* inlined in both callers of cmp_value: per comparison per event */
static inline __attribute__((always_inline)) bool
cmp_str(const struct cnode *n, const char *s)
{
	size_t len;

	switch (n->op) {
	case OP_EQ:
		return !strcmp(s, n->vals[0].s);
	case OP_NE:
		return strcmp(s, n->vals[0].s) != 0;
	case OP_LT:
		return strcmp(s, n->vals[0].s) < 0;
	case OP_LE:
		return strcmp(s, n->vals[0].s) <= 0;
	case OP_GT:
		return strcmp(s, n->vals[0].s) > 0;
	case OP_GE:
		return strcmp(s, n->vals[0].s) >= 0;
	case OP_CONTAINS:
		return strstr(s, n->vals[0].s) != NULL;
	case OP_ICONTAINS:
		return strcasestr(s, n->vals[0].s) != NULL;
	case OP_STARTSWITH:
		return !strncmp(s, n->vals[0].s, n->vals[0].len);
	case OP_ENDSWITH:
		len = strlen(s);
		return len >= n->vals[0].len &&
		       !memcmp(s + len - n->vals[0].len, n->vals[0].s, n->vals[0].len);
	case OP_GLOB:
		return glob_match(n->vals[0].s, s, false, NULL);
	case OP_IGLOB:
		return glob_match(n->vals[0].s, s, true, NULL);
	case OP_BCONTAINS:
		return memmem(s, strlen(s), n->vals[0].s, n->vals[0].len) != NULL;
	case OP_BSTARTSWITH:
		return !strncmp(s, n->vals[0].s, n->vals[0].len);
	case OP_IN:
	case OP_INTERSECTS:
		/* per event over long lists: the length rules out most items */
		len = strlen(s);
		for (int i = 0; i < n->n; i++)
			if (n->vals[i].len == len && !memcmp(s, n->vals[i].s, len))
				return true;
		return false;
	case OP_PMATCH:
		for (int i = 0; i < n->n; i++) {
			const struct cval *v = &n->vals[i];

			if (!strncmp(s, v->s, v->len) &&
			    (s[v->len] == '\0' || s[v->len] == '/' ||
			     (v->len == 1 && v->s[0] == '/')))
				return true;
		}
		return false;
	case OP_EXISTS:
		return true;
	}
	return false;
}

#define CMP_NUM(n, x, m) do {						\
	switch ((n)->op) {						\
	case OP_EQ: return (x) == (n)->vals[0].m;			\
	case OP_NE: return (x) != (n)->vals[0].m;			\
	case OP_LT: return (x) < (n)->vals[0].m;			\
	case OP_LE: return (x) <= (n)->vals[0].m;			\
	case OP_GT: return (x) > (n)->vals[0].m;			\
	case OP_GE: return (x) >= (n)->vals[0].m;			\
	case OP_IN:							\
	case OP_INTERSECTS:						\
		for (int i_ = 0; i_ < (n)->n; i_++)			\
			if ((x) == (n)->vals[i_].m)			\
				return true;				\
		return false;						\
	default: return false;						\
	}								\
} while (0)

/* inlined in both callers: per comparison per event */
static inline __attribute__((always_inline)) bool
cmp_value(const struct cnode *n, const struct cw_value *v)
{
	if (n->op == OP_EXISTS || !v->is_set)
		return v->is_set;
	switch (n->ftype) {
	case CW_FT_STR:
		return cmp_str(n, v->str);
	case CW_FT_U64:
	case CW_FT_BOOL:
		CMP_NUM(n, v->u64, u);
	case CW_FT_S64:
		CMP_NUM(n, v->s64, i);
	}
	return false;
}

bool cond_eval_node(const struct cnode *n, const struct cw_record *rec)
{
	struct cw_value v;

	switch (n->kind) {
	case CN_AND:
		for (int i = 0; i < n->n; i++)
			if (!cond_eval_node(n->kids[i], rec))
				return false;
		return true;
	case CN_OR:
		for (int i = 0; i < n->n; i++)
			if (cond_eval_node(n->kids[i], rec))
				return true;
		return false;
	case CN_NOT:
		return !cond_eval_node(n->kids[0], rec);
	case CN_CMP:
		break;
	}
	if (n->index == CW_INDEX_ANY) {	/* any ancestor, nearest first */
		for (int i = 1; i <= CW_REC_ANC_MAX; i++) {
			field_get(rec, n->field, i, &v);
			if (!v.is_set)
				break;
			if (cmp_value(n, &v))
				return true;
		}
		return false;
	}
	field_get(rec, n->field, n->index, &v);
	return cmp_value(n, &v);
}

bool cond_eval(const struct cond *c, const struct cw_record *rec)
{
	return c && cond_eval_node(c->root, rec);
}
