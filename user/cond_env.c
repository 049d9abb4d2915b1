// SPDX-License-Identifier: Apache-2.0
/*
 * cond_env.c - the environment conditions compile in: the rule files'
 * lists (which may reference lists) and macros, by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cond_int.h"

const struct env_list *cond_env_list_find(const struct cond_env *env, const char *name)
{
	for (int i = 0; env && i < env->nlists; i++)
		if (!strcmp(env->lists[i].name, name))
			return &env->lists[i];
	return NULL;
}

const struct env_macro *cond_env_macro_find(const struct cond_env *env, const char *name)
{
	for (int i = 0; env && i < env->nmacros; i++)
		if (!strcmp(env->macros[i].name, name))
			return &env->macros[i];
	return NULL;
}

/* Add every item of list l (and of lists it names) to n. */
bool cond_add_list(struct parser *p, struct cnode *n, const struct env_list *l,
		     size_t off, int depth)
{
	if (depth > COND_MAX_LISTS) {
		fail(p, off, "list '%s': lists nested too deeply (a list names itself?)", l->name);
		return false;
	}
	for (int i = 0; i < l->n; i++) {
		const struct env_list *sub = cond_env_list_find(p->cx->env, l->items[i]);
		char *s;

		if (sub) {
			if (!cond_add_list(p, n, sub, off, depth + 1))
				return false;
			continue;
		}
		s = strdup(l->items[i]);
		if (!s) {
			fail(p, off, "out of memory");
			return false;
		}
		if (!cond_add_value(p, n, s, off, l->pos ? &l->pos[i] : NULL, l->name))
			return false;
	}
	return true;
}

/* ---- environment ----------------------------------------------------- */

int cond_env_new(struct cond_env **out)
{
	*out = calloc(1, sizeof(struct cond_env));
	return *out ? 0 : -ENOMEM;
}

static void env_list_clear(struct env_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	free(l->pos);
	l->items = NULL;
	l->pos = NULL;
	l->n = 0;
}

void cond_env_free(struct cond_env *env)
{
	if (!env)
		return;
	for (int i = 0; i < env->nlists; i++) {
		env_list_clear(&env->lists[i]);
		free(env->lists[i].name);
	}
	for (int i = 0; i < env->nmacros; i++) {
		free(env->macros[i].name);
		free(env->macros[i].text);
		free(env->macros[i].segs);
	}
	free(env->lists);
	free(env->macros);
	free(env);
}

int cond_env_set_list(struct cond_env *env, const char *name,
		      const char *const *items, const struct cond_srcseg *pos,
		      int nitems)
{
	struct env_list *l = (struct env_list *)cond_env_list_find(env, name);
	struct env_list nl = { 0 };

	nl.items = calloc((size_t)nitems + 1, sizeof(char *));
	if (pos)
		nl.pos = calloc((size_t)nitems + 1, sizeof(*pos));
	if (!nl.items || (pos && !nl.pos))
		goto oom;
	for (int i = 0; i < nitems; i++) {
		nl.items[i] = strdup(items[i]);
		if (!nl.items[i])
			goto oom;
		nl.n++;
		if (pos)
			nl.pos[i] = pos[i];
	}
	if (!l) {
		struct env_list *ls = realloc(env->lists, sizeof(*ls) * (size_t)(env->nlists + 1));

		if (!ls)
			goto oom;
		env->lists = ls;
		nl.name = strdup(name);
		if (!nl.name)
			goto oom;
		env->lists[env->nlists++] = nl;
		return 0;
	}
	env_list_clear(l);
	l->items = nl.items;
	l->pos = nl.pos;
	l->n = nl.n;
	return 0;
oom:
	env_list_clear(&nl);
	return -ENOMEM;
}

int cond_env_set_macro(struct cond_env *env, const char *name,
		       const char *text, const struct cond_src *src)
{
	char *t = strdup(text);
	struct cond_srcseg *segs = NULL;
	int nsegs = src ? src->nsegs : 0, i;

	if (nsegs > 0) {
		segs = malloc(sizeof(*segs) * (size_t)nsegs);
		if (segs)
			memcpy(segs, src->segs, sizeof(*segs) * (size_t)nsegs);
	}
	if (!t || (nsegs > 0 && !segs))
		goto oom;
	for (i = 0; i < env->nmacros; i++)
		if (!strcmp(env->macros[i].name, name))
			break;
	if (i == env->nmacros) {
		struct env_macro *ms = realloc(env->macros, sizeof(*ms) * (size_t)(i + 1));

		if (!ms)
			goto oom;
		env->macros = ms;
		ms[i] = (struct env_macro){ .name = strdup(name) };
		if (!ms[i].name)
			goto oom;
		env->nmacros++;
	}
	free(env->macros[i].text);
	free(env->macros[i].segs);
	env->macros[i].text = t;
	env->macros[i].segs = segs;
	env->macros[i].nsegs = nsegs;
	return 0;
oom:
	free(t);
	free(segs);
	return -ENOMEM;
}
