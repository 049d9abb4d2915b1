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
 *                 | 'bcontains' | 'bstartswith'      (hex bytes: cafebabe)
 *   ListOp      ::= 'in' | 'intersects' | 'pmatch'
 *   ListValue   ::= '(' (Item (',' Item)*)? ')' | ListName
 *   Item        ::= Value            (a bare Item naming a list is expanded)
 *   Field       ::= FieldName ('[' Arg ']')?
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
 *     FNM_CASEFOLD (matched in linear time here, whatever the pattern);
 *     pmatch is true when the value equals a list path or lies below it.
 *   - An ancestor field without an index (proc.aname = bash) holds when it
 *     holds for any ancestor, parent first.
 *   - evt.res compared with a word (SUCCESS, EACCES) or a text operator is
 *     Falco's text form; with a number, the fd.
 *   - Falco fields credwatch knows only by name (fields.h) are never set.
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
#include <stdint.h>

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

/*
 * 0, -EINVAL or -ENOMEM with err filled (line/col within text when it has
 * no source); *out NULL on error.
 */
int cond_compile(struct cond **out, const char *text, const struct cond_env *env,
		 struct cond_error *err);
/* Same, with text positions mapped to a file through src (may be NULL). */
int cond_compile_src(struct cond **out, const char *text, const struct cond_env *env,
		     const struct cond_src *src, struct cond_error *err);
bool cond_eval(const struct cond *c, const struct cw_record *rec);
void cond_free(struct cond *c);

/* What a condition can be on the events credwatch produces (opens). */
enum cond_truth { COND_NEVER, COND_ALWAYS, COND_MAYBE };

struct cond_analysis {
	enum cond_truth truth;
	char why[256];		/* COND_NEVER: "needs evt.type in (execve, execveat)" */
	char missing[256];	/* fields it depends on that credwatch never has a value
				 * for although Falco does ("proc.cwd, proc.env"), or "" */
	uint32_t wants;		/* enum cw_want bits of the fields it depends on */
};

/*
 * cond_analyze - evaluate c symbolically over every event credwatch can
 * produce: evt.type is one of the open syscalls, evt.dir is '<', fd.type
 * is file or directory, the open succeeded, and Falco fields without a
 * value on opens (fd.sip, evt.arg.request, ...) are unset. A comparison on
 * anything else may go either way. Sound: COND_NEVER means no credwatch
 * event can match; COND_ALWAYS that every one does. Parts whose outcome is
 * settled this way are left out of missing and wants (their fields are
 * never needed to decide).
 */
void cond_analyze(const struct cond *c, struct cond_analysis *out);
/*
 * cond_and_not - "a and not b" (how rule exceptions attach). Takes both;
 * returns a, or NULL with errno ENOMEM after freeing both.
 */
struct cond *cond_and_not(struct cond *a, struct cond *b);

/* An empty environment: 0 or -ENOMEM, *out NULL on error. */
int cond_env_new(struct cond_env **out);
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
