/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact.h - secrets out of command lines before anything keeps them.
 *
 * A reader's argv (and its parent's) often carries a secret: kubectl
 * --token=..., mysql -p..., curl -H "Authorization: Bearer ...", URLs with
 * user:password@. redact_argv() copies a NUL-separated argv with every
 * secret it recognises replaced by "<redacted>", keeping the flag, the
 * scheme or the prefix that says what it was (`--token=<redacted>`,
 * `Bearer <redacted>`, `https://u:<redacted>@host`, `ghp_<redacted>`).
 * The record is built from that copy (event.c, attrib.c), so rules,
 * alerts, events, dumps, the spool and the backend only ever see it.
 *
 * What is recognised (docs/redaction.md has the tables):
 *   always     JWTs (eyJ... with two dots), Bearer and Basic credentials,
 *              the password of scheme://user:password@host, the body of a
 *              PEM "... PRIVATE KEY" block
 *   names      the value of a flag or key whose name says secret: --NAME=V,
 *              --NAME V (next argument), -NAME V, NAME=V, NAME: V, "NAME":"V"
 *              anywhere in an argument (query strings, JSON, conninfo)
 *   prefixes   token formats by their fixed prefix (ghp_, glpat-, xoxb-,
 *              AKIA, ...) followed by 16 or more of [A-Za-z0-9_-]
 *   programs   short flags that mean "password" only for one program
 *              (mysql -pVALUE, sshpass -p VALUE, curl -u USER:VALUE)
 *
 * Configured items, one per list entry:
 *   name     = WORD                      letters and digits, 1-32
 *   prefix   = PREFIX                    2-32 printable, first alphanumeric
 *   program  = PROG SP FLAG SHAPE        value glued to the flag only
 *            | PROG SP FLAG SP SHAPE     glued, or the next argument
 *   SHAPE    = "VALUE" | "USER" SEP "VALUE"   (SEP one punctuation byte:
 *              only what follows the first SEP is the secret)
 * A flag name is split into words at - _ . and lower-to-upper case changes
 * (rootPassword: root, password); it names a secret when a word, without
 * trailing digits or a plural s, is a configured name or ends with one of 5
 * letters or more (pgpassword, authtoken), or when the words joined are a
 * configured name (api-key: apikey). Not when the first word is "no" or the
 * last says it is a reference to the secret rather than the secret (file,
 * path, dir, name, id, type, ...): --token-file=/x stays as it is.
 *
 * Cost: linear in the argv's length whatever it holds. One pass over each
 * argument with a 256-entry trigger table; each recogniser reads forward
 * from a trigger and either marks what it read and the pass jumps past it,
 * or fails and does not start again before the point it read to. No
 * backtracking regex is involved. A process opening tokens in a loop sends
 * the same argv with every event: a memo of 64 results, keyed by a keyed
 * hash (SipHash-1-3, random key) of everything that decides the result,
 * answers repeats; it holds only redacted output. Not thread-safe (scratch
 * buffer, memo): one instance per thread; the agent's event loop owns one.
 */
#ifndef CW_REDACT_H
#define CW_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt.h"

#define REDACT_MARK		"<redacted>"
#define REDACT_MARK_LEN		(sizeof(REDACT_MARK) - 1)
#define REDACT_PREFIX_BODY_MIN	16	/* bytes of [A-Za-z0-9_-] after a prefix */
/* Worst case growth: "-px" (3 bytes + NUL) becomes "-p<redacted>" (12 + NUL). */
#define REDACT_OUT_SIZE(len)	((len) * 13 / 4 + REDACT_MARK_LEN + 1)

/* What found a secret: the label of credwatch_redactions_total. */
enum redact_kind {
	REDACT_NAME = 0,	/* value of a flag or key whose name says secret */
	REDACT_PROGRAM_FLAG,	/* mysql -pVALUE, sshpass -p VALUE, curl -u U:VALUE */
	REDACT_URL_PASSWORD,	/* scheme://user:VALUE@host */
	REDACT_AUTH_SCHEME,	/* Bearer VALUE, Basic VALUE */
	REDACT_JWT,		/* eyJ...header.payload.signature */
	REDACT_TOKEN_PREFIX,	/* ghp_VALUE, glpat-VALUE, xoxb-VALUE, AKIAVALUE */
	REDACT_PRIVATE_KEY,	/* PEM body between BEGIN and END ... PRIVATE KEY */
	REDACT__MAX,
};

/* The configurable lists. */
enum redact_list {
	REDACT_LIST_NAMES = 0,
	REDACT_LIST_PREFIXES,
	REDACT_LIST_PROGRAMS,
	REDACT_LIST__MAX,
};

struct redact;

/*
 * What the operator sets: off, or the lists (each replaces the built-in
 * one) and their extras (added to it).
 */
struct redact_opts {
	bool off;			/* --no-redact */
	struct strlist names;		/* --redact-names (default: the built-in list) */
	struct strlist extra_names;	/* --redact-extra-names */
	struct strlist prefixes;	/* --redact-prefixes */
	struct strlist extra_prefixes;	/* --redact-extra-prefixes */
	struct strlist programs;	/* --redact-programs */
	struct strlist extra_programs;	/* --redact-extra-programs */
};

/* --no-redact and the redact-* lists (opt.h); checks every item's form. */
extern const struct opt_table redact_options;

/*
 * redact_open - the redactor every command line passes through before a
 * record is made of it (event.c, attrib.c), from o's lists and extras;
 * *out NULL with o->off, which is said in a warning at every start.
 * Logs what it loaded. 0, -EINVAL naming a malformed item, or -ENOMEM.
 */
int redact_open(struct redact **out, const struct redact_opts *o);

/*
 * An empty redactor: the fixed shapes only, no names, prefixes or programs.
 * 0 or -ENOMEM, *out NULL on error.
 */
int redact_new(struct redact **out);
void redact_free(struct redact *r);

/*
 * redact_add - add one item to a list. Returns 0, -EINVAL with the reason
 * in why (not naming the list: the caller does) for a malformed item, or
 * -ENOMEM.
 */
int redact_add(struct redact *r, enum redact_list list, const char *item, char *why,
	       size_t why_size);

/* Whether item is well formed for list; the reason in why when not. */
bool redact_item_valid(enum redact_list list, const char *item, char *why, size_t why_size);

/* The built-in default items of a list (the config's defaults). */
const char *const *redact_defaults(enum redact_list list, size_t *n);

/*
 * redact_argv - copy argv (len bytes, arguments separated by NUL, as the
 * kernel and /proc/<pid>/cmdline give it) into out with every recognised
 * secret replaced by REDACT_MARK. Every NUL of the input is kept, so
 * argument boundaries hold. comm (may be NULL) and argv[0]'s base name
 * select the program-flag entries. cut: the input was cut short, so its
 * last argument may end inside a secret; a token prefix or a JWT that
 * reaches the end is then redacted even if shorter than its minimum.
 * Writes at most size bytes; REDACT_OUT_SIZE(len) always suffices, and a
 * smaller out is cut (at any byte: what is written is already redacted)
 * with *out_cut set. Returns the bytes written. Never fails: if its scratch
 * buffer cannot grow, the whole argv becomes one REDACT_MARK.
 */
size_t redact_argv(struct redact *r, const char *comm, const char *args, size_t len, bool cut,
		   char *out, size_t size, bool *out_cut);

/* Secrets replaced so far, by kind (adjacent finds count once). */
void redact_counts(const struct redact *r, uint64_t counts[REDACT__MAX]);
uint64_t redact_total(const struct redact *r);

/* "name", "program_flag", ... for metrics and docs. */
const char *redact_kind_name(enum redact_kind kind);

#endif /* CW_REDACT_H */
