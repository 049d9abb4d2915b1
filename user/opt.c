// SPDX-License-Identifier: Apache-2.0
/*
 * opt.c - table-declared options: defaults, setting, freeing and comparing
 * values, and the command line (parsing and --help) of any table: the
 * agent's (config.c) and a subcommand's (inventory.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

void opt_table_defaults(const struct opt_table *t, void *opts)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct opt_desc *o = &t->opts[i];
		void *field = opt_field(o, opts);

		if (o->type == OPT_UINT) {
			*(uint64_t *)field = o->def_uint;
		} else if (o->type == OPT_LIST && o->def_list) {
			struct strlist *l = field;
			size_t n;

			/* read-only and static: borrowed, never freed (see struct strlist) */
			l->v = (char **)o->def_list(&n);
			l->n = (int)n;
			l->borrowed = true;
		}
	}
}

void strlist_free(struct strlist *l)
{
	for (int i = 0; !l->borrowed && i < l->n; i++)
		free(l->v[i]);
	if (!l->borrowed)
		free(l->v);
	l->v = NULL;
	l->n = 0;
	l->borrowed = false;
}

int strlist_push(struct strlist *l, const char *s)
{
	char **v;

	if (l->borrowed)	/* every writer replaces first; never write a default */
		strlist_free(l);
	v = realloc(l->v, (size_t)(l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n] = strdup(s);
	if (!v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

void opt_value_free(const struct opt_desc *o, void *field)
{
	if (o->type == OPT_STR) {
		free(*(char **)field);
		*(char **)field = NULL;
	} else if (o->type == OPT_LIST) {
		strlist_free(field);
	}
}

bool opt_value_equal(const struct opt_desc *o, const void *fa, const void *fb)
{
	switch (o->type) {
	case OPT_STR: {
		const char *sa = *(char *const *)fa, *sb = *(char *const *)fb;

		return sa == sb || (sa && sb && !strcmp(sa, sb));
	}
	case OPT_LIST: {
		const struct strlist *la = fa, *lb = fb;

		if (la->n != lb->n)
			return false;
		for (int i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]))
				return false;
		return true;
	}
	case OPT_UINT:
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	case OPT_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	}
	return false;
}

int opt_parse_uint(const char *s, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')	/* no sign, no space, no empty */
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = n;
	return 0;
}

int opt_str_set(char **field, const char *val)
{
	char *s = val ? strdup(val) : NULL;

	if (val && !s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

int opt_value_set(const struct opt_desc *o, void *base, const char *val, char *err,
		  size_t err_size)
{
	void *field = opt_field(o, base);

	switch (o->type) {
	case OPT_STR:
		return opt_str_set(field, val);
	case OPT_LIST:
		return strlist_push(field, val);
	case OPT_UINT:
		if (opt_parse_uint(val, field)) {
			snprintf(err, err_size, "--%s: '%s' is not a non-negative integer",
				 o->name, val);
			return -EINVAL;
		}
		return 0;
	case OPT_BOOL:
		*(bool *)field = true;
		return 0;
	}
	return -EINVAL;
}

/* getopt_long's val for the option at index i: above every short option */
#define OPT_LONG_VAL(i) (1000 + (int)(i))

int opt_parse_argv(const struct opt_desc *opts, size_t n, void *base, int argc, char **argv,
		   bool *given, char *err, size_t err_size)
{
	struct option *longopts = calloc(n + 1, sizeof(*longopts));
	bool *named = calloc(n + 1, sizeof(*named));
	char shortopts[32] = ":";
	size_t ns = 1;
	int ch, idx, ret = 0;

	if (!longopts || !named) {
		snprintf(err, err_size, "out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].type == OPT_BOOL ? no_argument : required_argument;
		longopts[i].val = OPT_LONG_VAL(i);
		if (opts[i].short_opt && ns < sizeof(shortopts) - 1)
			shortopts[ns++] = (char)opts[i].short_opt;
	}
	optind = 0;	/* 0, not 1: glibc fully re-initialises, argv is parsed more than once */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		const struct opt_desc *o = NULL;

		if (ch >= OPT_LONG_VAL(0) && ch < OPT_LONG_VAL(n)) {
			o = &opts[ch - OPT_LONG_VAL(0)];
		} else if (ch == '?') {
			if (optopt)
				snprintf(err, err_size, "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, err_size, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			ret = -EINVAL;
			goto cleanup;
		} else if (ch == ':') {
			snprintf(err, err_size, "option '%s' needs a value", argv[optind - 1]);
			ret = -EINVAL;
			goto cleanup;
		} else {
			for (size_t i = 0; i < n; i++)
				if (opts[i].short_opt == ch)
					o = &opts[i];
		}
		if (!o)
			continue;
		/* the first time argv names a list, it replaces the one base holds (a file's) */
		if (o->type == OPT_LIST && !named[o - opts])
			strlist_free(opt_field(o, base));
		named[o - opts] = true;
		ret = opt_value_set(o, base, optarg ? optarg : "", err, err_size);
		if (ret == -ENOMEM)
			snprintf(err, err_size, "out of memory");
		if (ret)
			goto cleanup;
	}
	if (optind < argc) {
		snprintf(err, err_size, "unexpected argument '%s' (see --help)", argv[optind]);
		ret = -EINVAL;
		goto cleanup;
	}
	if (given)
		memcpy(given, named, n * sizeof(*named));
cleanup:
	free(longopts);
	free(named);
	return ret;
}

void opt_print_help(FILE *out, const struct opt_desc *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt_desc *o = &opts[i];
		char left[64];

		if (o->short_opt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_opt, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		/* a long flag gets its own line rather than pushing the text right */
		if (strlen(left) > 34)
			fprintf(out, "  %s\n  %-34s %s", left, "", o->help);
		else
			fprintf(out, "  %-34s %s", left, o->help);
		if (o->def)
			fprintf(out, " [default: %s]", o->def);
		else if (o->type == OPT_BOOL && !o->cli_only)
			fputs(" [default: off]", out);
		fputc('\n', out);
	}
}
