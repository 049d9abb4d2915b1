/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opt.h - how a module declares its options: one table entry per option,
 * next to the options struct the module owns and reads.
 *
 * An entry names the option (the --flag and the config file key are the
 * same word), its type and field, its default and its help text. From the
 * tables alone config.c builds the command line, the YAML config file,
 * --help, --print-config, reload diffs and the option tables of
 * docs/operations.md and man/credwatch.8 (make docs). So a new option is
 * one entry plus the code that uses its field (CONTRIBUTING.md):
 *
 *	struct ship_opts {		(ship.h)
 *		uint64_t batch_max;
 *		...
 *	};
 *	static const struct opt_desc ship_option_list[] = {	(ship.c)
 *		OPT_UINT(struct ship_opts, batch_max, "backend-batch-max", "N", 500, "500",
 *			 "records per batch"),
 *		...
 *	};
 *	const struct opt_table ship_options = OPT_TABLE(ship_option_list, ship_opts_init,
 *							ship_opts_check);
 *
 * (init and check take the struct as void *: the table is generic.)
 *
 * Field types are fixed per option type and checked at compile time:
 * OPT_STR char * (NULL: unset; config owns and frees it), OPT_LIST struct
 * strlist, OPT_UINT uint64_t, OPT_BOOL bool.
 */
#ifndef CW_OPT_H
#define CW_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type { OPT_STR, OPT_LIST, OPT_UINT, OPT_BOOL };

/*
 * A list option. borrowed: v is a built-in default array (opt_desc
 * def_list), never freed or written; replacing the list (the file, argv)
 * makes it owned.
 */
struct strlist {
	char **v;
	int n;
	bool borrowed;
};

struct opt_desc {
	const char *name;	/* --name, and the config file key */
	enum opt_type type;
	size_t offset;		/* of its field in the module's options struct */
	const char *arg;	/* metavar; NULL for booleans */
	const char *def;	/* the default as --help and the docs say it; NULL: none */
	const char *help;
	int short_opt;		/* -v, -V, -h; 0: none */
	/* an action or --config itself: why it is not a config file key; NULL: a setting */
	const char *cli_only;
	uint64_t def_uint;	/* OPT_UINT: the default */
	/* OPT_LIST: the built-in items (static, borrowed), or NULL: empty */
	const char *const *(*def_list)(size_t *n);
};

/* A module's options: its entries and what fills and checks its struct. */
struct opt_table {
	const struct opt_desc *opts;
	size_t n;
	/*
	 * Fill the module's struct with its defaults, options and the rest
	 * (NULL: the entries' defaults, everything else zero). String options
	 * must stay NULL: config owns the strings it sets.
	 */
	void (*init)(void *opts);
	/*
	 * Values that must hold together, after every source is read: 0, or
	 * -EINVAL with "--name: reason" in err (NULL: nothing to check).
	 */
	int (*check)(const void *opts, char *err, size_t err_size);
};

#define OPT_TABLE(list, init_fn, check_fn) \
	{ list, sizeof(list) / sizeof((list)[0]), init_fn, check_fn }

/* offsetof(T, f), refusing to compile unless f has type ctype. */
#define OPT_FIELD(T, f, ctype) \
	(offsetof(T, f) + 0 * sizeof(char[_Generic(((T *)0)->f, ctype: 1, default: -1)]))

#define OPT_STR(T, f, nm, a, d, h, ...) \
	{ .name = nm, .type = OPT_STR, .offset = OPT_FIELD(T, f, char *), .arg = a, .def = d, \
	  .help = h, __VA_ARGS__ }
#define OPT_LIST(T, f, nm, a, d, h, ...) \
	{ .name = nm, .type = OPT_LIST, .offset = OPT_FIELD(T, f, struct strlist), .arg = a, \
	  .def = d, .help = h, __VA_ARGS__ }
#define OPT_UINT(T, f, nm, a, dv, d, h, ...) \
	{ .name = nm, .type = OPT_UINT, .offset = OPT_FIELD(T, f, uint64_t), .arg = a, \
	  .def_uint = dv, .def = d, .help = h, __VA_ARGS__ }
#define OPT_BOOL(T, f, nm, h, ...) \
	{ .name = nm, .type = OPT_BOOL, .offset = OPT_FIELD(T, f, bool), .help = h, __VA_ARGS__ }

/* The entries' defaults into opts (what init does when a table has none). */
void opt_table_defaults(const struct opt_table *t, void *opts);

/* One option's field in the struct at base. */
static inline void *opt_field(const struct opt_desc *o, void *base)
{
	return (char *)base + o->offset;
}

void strlist_free(struct strlist *l);
/* Append a copy of s; a borrowed list is replaced first. 0 or -ENOMEM. */
int strlist_push(struct strlist *l, const char *s);

/* Release what an option's field owns (strings, lists); the field is unset. */
void opt_value_free(const struct opt_desc *o, void *field);
/* Whether two values of one option are the same. */
bool opt_value_equal(const struct opt_desc *o, const void *a, const void *b);
/* "123" into a uint64_t: digits only, no sign or blank. 0 or -EINVAL. */
int opt_parse_uint(const char *s, uint64_t *out);
/* Replace an OPT_STR field with a copy of val (NULL: unset). 0 or -ENOMEM. */
int opt_str_set(char **field, const char *val);
/*
 * One option's value from its text into its field in base ("" sets a
 * boolean). 0, -EINVAL with "--name: reason" in err, or -ENOMEM.
 */
int opt_value_set(const struct opt_desc *o, void *base, const char *val, char *err,
		  size_t err_size);

/*
 * The command line of a flat option array (offsets from base): long
 * options --name, short ones from short_opt. The first time argv names a
 * list it replaces the list base held (a config file's). given (optional,
 * n entries) says which options argv named. 0, or -EINVAL / -ENOMEM with
 * the reason in err ("unknown option '--x' (see --help)").
 */
int opt_parse_argv(const struct opt_desc *opts, size_t n, void *base, int argc, char **argv,
		   bool *given, char *err, size_t err_size);
/* --help's option lines: flag, help text, default. */
void opt_print_help(FILE *out, const struct opt_desc *opts, size_t n);

#endif /* CW_OPT_H */
