// SPDX-License-Identifier: Apache-2.0
/* opt.c - values of table-declared options: defaults, lists, freeing, comparing. */
#include <errno.h>
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
