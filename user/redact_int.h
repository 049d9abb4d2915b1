/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_int.h - the redactor's state, shared by redact.c (the recognisers
 * and redact_argv) and redact_lists.c (built-in lists, the item grammar,
 * building a redactor). Not for other modules: they use redact.h.
 */
#ifndef CW_REDACT_INT_H
#define CW_REDACT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact.h"

#define NAME_WORD_MAX	32	/* a configured name */
#define PREFIX_MAX	32	/* a configured token prefix */
#define PROG_MAX	64	/* a program's base name */
#define FLAG_MAX	32	/* a program flag */

/* Trigger bits: which recogniser may start at a byte. */
enum {
	T_SEP = 1 << 0,		/* '=' ':'  key/value pairs, URLs */
	T_JWT = 1 << 1,		/* 'e'      eyJ... */
	T_AUTH = 1 << 2,	/* 'b' 'B'  Bearer, Basic */
	T_PEM = 1 << 3,		/* '-'      -----BEGIN ... PRIVATE KEY----- */
	T_PREFIX = 1 << 4,	/* the first byte of a configured prefix */
};

struct name_word {
	char w[NAME_WORD_MAX + 1];	/* lower case */
	size_t len;
};

struct prefix {
	char p[PREFIX_MAX + 1];
	size_t len;
};

struct prog_flag {
	char prog[PROG_MAX + 1];
	size_t prog_len;
	char flag[FLAG_MAX + 1];	/* as an argument of its own: "-p", "--user" */
	char glued[FLAG_MAX + 2];	/* with the value in the argument: "-p", "--user=" */
	size_t flag_len, glued_len;
	char user_sep;			/* 0: the whole value; else only what follows it */
	bool next;			/* FLAG VALUE as two arguments too */
};

/* Entries of a list that share a byte (a name's last, a prefix's first). */
struct index_list {
	uint16_t *v;
	size_t n;
};

#define NAME_CLASSES	36	/* a-z, 0-9: the bytes a name word ends with */

/* Lower-case words, indexed by their last byte. */
struct word_set {
	struct name_word *w;
	size_t n;
	size_t min_len;		/* of the shortest word: shorter names are no match */
	struct index_list by_last[NAME_CLASSES];
	/* [a][b]: some word of 2 or more ends "ab"; a word matching one ends so too */
	bool tail2[NAME_CLASSES][NAME_CLASSES];
	bool has_one_letter;	/* a word of one letter: tail2 says nothing about it */
};

/*
 * Memo of recent results: a process opening tokens in a loop sends the same
 * argv with every event. Keyed by SipHash-1-3 (key drawn at redact_new) of
 * comm, the cut flag and argv, so no reader can aim a collision at another
 * reader's entry; it holds only redacted output, never an argv.
 */
#define MEMO_SLOTS	64	/* 16 sets of 4, least recently used replaced */
#define MEMO_WAYS	4
#define MEMO_OUT_MAX	1056	/* a 1 KiB argv and a few marks; longer is not kept */

struct memo {
	uint64_t hash;			/* 0: empty */
	uint64_t used;			/* the redactor's call count when last used */
	uint32_t out_len;
	uint16_t counts[REDACT__MAX];	/* what the result replaced, counted again on a hit */
	char out[MEMO_OUT_MAX];
};

struct redact {
	struct word_set names;		/* configured */
	struct word_set refs;		/* reference words (redact_lists.c) */
	struct prefix *prefixes;
	size_t nprefixes;
	struct index_list by_first[256];
	uint8_t prefix_pairs[256][32];	/* bit (a, b): some prefix starts with a, b */
	struct prog_flag *progs;
	size_t nprogs;
	struct index_list progs_by_first[256];
	size_t *active;			/* the progs entries of the argv's program */
	size_t nactive;
	uint8_t trig[256];
	uint8_t *mask;			/* per input byte: 0 kept, else kind + 1 */
	size_t mask_cap;
	uint64_t counts[REDACT__MAX];
	struct memo *memo;		/* MEMO_SLOTS; NULL: no key could be drawn */
	uint64_t memo_key[2];
	uint64_t calls;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- bytes --------------------------------------------------------------- */

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline bool is_alnum(unsigned char c) { return is_lower(c) || is_upper(c) || is_digit(c); }
static inline unsigned char lower(unsigned char c) { return is_upper(c) ? c + 32 : c; }
/* Bytes of a flag or key name. */
static inline bool is_keychar(unsigned char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; }
/* JWT segments, token bodies. */
static inline bool is_b64url(unsigned char c) { return is_alnum(c) || c == '-' || c == '_'; }
/* RFC 7235 token68, without the trailing '='. */
static inline bool is_token68(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}
static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
static inline bool is_b64(unsigned char c) { return is_alnum(c) || c == '+' || c == '/'; }

static inline int name_class(unsigned char c)
{
	c = lower(c);
	return is_lower(c) ? c - 'a' : is_digit(c) ? 26 + c - '0' : -1;
}

#endif /* CW_REDACT_INT_H */
