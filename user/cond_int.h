/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond_int.h - the compiled form of a condition and the compiler's state,
 * shared by the parser (cond.c), its lexer and constants (cond_lex.c), the
 * evaluator (cond_eval.c), the environment (cond_env.c) and the analysis
 * (cond_analyze.c). Not for other modules: they use cond.h.
 */
#ifndef CW_COND_INT_H
#define CW_COND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cond.h"
#include "fields.h"

/* Parentheses, `not` chains and macro nesting share one recursion budget. */
#define COND_MAX_DEPTH	100
#define COND_MAX_LISTS	16	/* lists referencing lists */

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

struct env_list {
	char *name;
	char **items;
	struct cond_srcseg *pos;	/* NULL or one per item */
	int n;
};

struct env_macro {
	char *name;
	char *text;
	struct cond_srcseg *segs;
	int nsegs;
};

struct cond_env {
	struct env_list *lists;
	int nlists;
	struct env_macro *macros;
	int nmacros;
};

/* What the macros being expanded share: the error and the recursion guards. */
struct compile_ctx {
	const struct cond_env *env;
	struct cond_error *err;
	bool failed;
	int depth;
	const char *stack[COND_MAX_DEPTH];	/* macros being expanded */
	int nstack;
};

struct parser {
	struct compile_ctx *cx;
	const char *text;
	size_t pos;
	const struct cond_src *src;
	const char *macro;		/* name, when parsing a macro's text */
};

/* Report an error at offset off of the text being parsed (the first one wins). */
#define fail(p, off, ...) do {						\
	if (!(p)->cx->failed) {						\
		cond_pos_from_src((p)->text, (p)->src, (off), (p)->cx->err);	\
		cond_fail_at((p)->cx, NULL, (p)->macro, __VA_ARGS__);	\
	}								\
} while (0)

/* "=", "contains", ... */
const char *cond_op_name(enum cn_op op);
/* Evaluate one node (and its kids) on rec. */
bool cond_eval_node(const struct cnode *n, const struct cw_record *rec);

/* cond.c: errors */
/* The line and column of offset off in text, through src's map into a file. */
void cond_pos_from_src(const char *text, const struct cond_src *src, size_t off,
		       struct cond_error *err);
/* Fail the compilation with a message at at (or where err already points). */
void __attribute__((format(printf, 4, 5)))
cond_fail_at(struct compile_ctx *cx, const struct cond_srcseg *at, const char *macro,
	     const char *fmt, ...);

/* cond_lex.c: nodes */
void cond_node_free(struct cnode *n);
struct cnode *cond_node_new(struct parser *p, enum cn_kind kind);
bool cond_node_add_kid(struct parser *p, struct cnode *n, struct cnode *kid);

/* cond_lex.c: lexing */
bool cond_is_word(char c);
void cond_skip_blanks(struct parser *p);
/* Keyword at the cursor, ending at a blank, '(' or the end. */
bool cond_at_keyword(struct parser *p, const char *kw);
/* Short quotable view of the token at off, for messages. */
const char *cond_token_at(const char *text, size_t off, char *buf, size_t size);
/*
 * A value at the cursor: quoted (escapes \" \' \\ resolved) or bare.
 * Returns a malloc'd string, *quoted says which; NULL after fail().
 */
char *cond_lex_value(struct parser *p, bool *quoted, const char *after);

/* cond_lex.c: values */
/* Which operators a field type takes (libsinsp flt_is_comparable). */
bool cond_op_fits(enum cn_op op, enum cw_field_type t);
const char *cond_type_name(enum cw_field_type t);
/* evt.res compared with a word or a text-only operator: Falco's text form. */
void cond_res_as_text(struct cnode *n);
/*
 * Add value s (ownership taken) to n. at_pos, when non-NULL, is where s was
 * written outside this text (a list item); otherwise off in the text.
 */
bool cond_add_value(struct parser *p, struct cnode *n, char *s, size_t off,
		    const struct cond_srcseg *at_pos, const char *list);

/* cond_env.c */
const struct env_list *cond_env_list_find(const struct cond_env *env, const char *name);
const struct env_macro *cond_env_macro_find(const struct cond_env *env, const char *name);
/* Add every item of list l (and of lists it names) to n. */
bool cond_add_list(struct parser *p, struct cnode *n, const struct env_list *l,
		   size_t off, int depth);

#endif /* CW_COND_INT_H */
