/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond.h - the Falco condition language: compile once, evaluate per record.
 *
 * Grammar (EBNF, after falcosecurity/libs userspace/libsinsp/filter/parser.h):
 *
 *   Expr        ::= OrExpr
 *   OrExpr      ::= AndExpr ('or' AndExpr)*
 *   AndExpr     ::= NotExpr ('and' NotExpr)*
 *   NotExpr     ::= 'not' NotExpr | Check
 *   Check       ::= Field Condition | MacroName | '(' Expr ')'
 *   Condition   ::= 'exists'
 *                 | CmpOp Value
 *                 | ListOp ListValue
 *   CmpOp       ::= '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
 *                 | 'contains' | 'icontains' | 'startswith' | 'endswith'
 *                 | 'glob' | 'iglob'
 *   ListOp      ::= 'in' | 'intersects' | 'pmatch'
 *   ListValue   ::= '(' (Item (',' Item)*)? ')' | ListName
 *   Item        ::= Value            (a bare Item naming a list is expanded)
 *   Field       ::= FieldName ('[' Index ']')?
 *   Value       ::= QuotedStr | BareStr
 *
 * Tokens:
 *   MacroName, ListName ::= [a-zA-Z_][a-zA-Z0-9_]*
 *   FieldName   ::= [a-zA-Z_][a-zA-Z0-9_]*('.'[a-zA-Z0-9_]+)+
 *   QuotedStr   ::= '"' ... '"' | "'" ... "'"    (\" \' \\ are escapes)
 *   BareStr     ::= [^ \t\n\r\b(),="']+
 *   'and', 'or', 'not' are lowercase and end at a blank, '(' or the end.
 *
 * Semantics (those of libsinsp):
 *   - A comparison on a field that is not set (field_get is_set false:
 *     empty string, unknown tristate, apid 0) is false for every operator,
 *     `!=` included; `exists` is true exactly when the field is set. So
 *     `not proc.name = x` is true for an unknown proc.name.
 *   - Numeric fields (proc.pid, evt.res, ...) take =, !=, <, <=, >, >=, in,
 *     intersects, exists; values must be integers (decimal or 0x hex), else
 *     compile error. Boolean fields take =, !=, in, intersects, exists with
 *     true/false. String fields take every operator; < <= > >= compare
 *     bytewise (strcmp). contains/startswith/endswith are case-sensitive,
 *     icontains is not; glob is fnmatch(3) without flags, iglob adds
 *     FNM_CASEFOLD; pmatch is true when the value equals a list path or
 *     lies below it.
 *   - in and intersects are the same test on single-valued fields.
 *   - Macros are expanded where referenced (AST substitution, not text), so
 *     a macro behaves as if parenthesised. Lists expand inside ( ).
 *
 * Evaluation allocates nothing and parses nothing: fields are ids from
 * fields.h, constants are converted at compile time.
 */
#ifndef CW_COND_H
#define CW_COND_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct cond;				/* compiled condition */
struct cond_env;			/* lists + macros; may be NULL */

struct cond_error {
	char file[256];			/* "" when the text is not from a file */
	int line, col;			/* 1-based */
	char msg[256];
};

/*
 * Where a condition's text came from, for error positions. Segment i says
 * that text offset segs[i].off is at file:line:col; offsets between two
 * segments advance the column. file strings are borrowed and must outlive
 * the env (or the compile call).
 */
struct cond_srcseg {
	size_t off;
	const char *file;
	int line, col;
};

struct cond_src {
	const struct cond_srcseg *segs;
	int nsegs;
};

/* NULL on error, err filled (line/col within text when it has no source). */
struct cond *cond_compile(const char *text, const struct cond_env *env,
			  struct cond_error *err);
/* Same, with text positions mapped to a file through src (may be NULL). */
struct cond *cond_compile_src(const char *text, const struct cond_env *env,
			      const struct cond_src *src, struct cond_error *err);
bool cond_eval(const struct cond *c, const struct cw_record *rec);
void cond_free(struct cond *c);
/*
 * cond_and_not - "a and not b" (how rule exceptions attach). Takes both;
 * returns a, or NULL with errno ENOMEM after freeing both.
 */
struct cond *cond_and_not(struct cond *a, struct cond *b);

struct cond_env *cond_env_new(void);
void cond_env_free(struct cond_env *env);
/*
 * cond_env_set_list - define or replace a list. pos (may be NULL) gives one
 * position per item for errors such as a non-number used with proc.pid.
 * Returns 0 or -ENOMEM.
 */
int cond_env_set_list(struct cond_env *env, const char *name,
		      const char *const *items, const struct cond_srcseg *pos,
		      int nitems);
/* cond_env_set_macro - define or replace a macro. Returns 0 or -ENOMEM. */
int cond_env_set_macro(struct cond_env *env, const char *name,
		       const char *text, const struct cond_src *src);

/* "file:line:col: msg" or "line:col: msg" into buf. Returns buf. */
const char *cond_error_format(const struct cond_error *err, char *buf,
			      size_t size);

#endif /* CW_COND_H */
