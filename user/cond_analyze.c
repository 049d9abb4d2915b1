// SPDX-License-Identifier: Apache-2.0
/*
 * cond_analyze.c - what a compiled condition can be on the events credwatch
 * produces: never (a Falco rule for execve, connect, socket fields...),
 * always, or it depends; why; and which fields it depends on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cond_int.h"
#include "fields.h"

#define AN_LEAVES	32

struct an_ctx {
	struct cw_record *probe;	/* a credwatch event, set per domain value */
	const struct cnode *leaf[AN_LEAVES];	/* decisive comparisons */
	bool leaf_true[AN_LEAVES];	/* the leaf always holds (under a 'not') */
	int nleaves;
	struct cond_analysis *out;
};

/* How many values field takes on credwatch events; 0: too many to list. */
static int domain_size(int field)
{
	switch (field) {
	case CW_F_EVT_TYPE:
		return CW_SYS__MAX - 1;
	case CW_F_FD_TYPE:
	case CW_F_FD_TYPECHAR:
		return 2;	/* a file, or a directory opened with O_DIRECTORY */
	case CW_F_EVT_DIR:
	case CW_F_EVT_IS_OPEN_CREATE:
	case CW_F_FD_NAME_CHANGED:
	case CW_F_EVT_RES_STR:
		return 1;	/* '<', false, false, SUCCESS */
	default:
		return 0;
	}
}

/* Make the probe an event with the i-th value of field. */
static void domain_probe(struct cw_record *r, int field, int i)
{
	record_reset(r);
	r->syscall = field == CW_F_EVT_TYPE ? (uint32_t)i + 1 : CW_SYS_OPENAT;
	r->res = 3;		/* only successful opens reach credwatch */
	record_strlcpy(r->fd_flags, field != CW_F_EVT_TYPE && i == 1 ? "O_RDONLY|O_DIRECTORY" :
		       "O_RDONLY", sizeof(r->fd_flags));
}

static enum cond_truth an_cmp(const struct cnode *n, struct an_ctx *cx)
{
	const struct cw_field_info *fi = field_info(n->field);
	int size = n->index == CW_INDEX_ANY ? 0 : domain_size(n->field), yes = 0;

	if (fi->kind == CW_FK_ABSENT)
		return COND_NEVER;	/* never set: every comparison is false */
	if (!size || !cx->probe)
		return COND_MAYBE;
	for (int i = 0; i < size; i++) {
		domain_probe(cx->probe, n->field, i);
		yes += cond_eval_node(n, cx->probe);
	}
	return yes == 0 ? COND_NEVER : yes == size ? COND_ALWAYS : COND_MAYBE;
}

static enum cond_truth an_node(const struct cnode *n, struct an_ctx *cx)
{
	enum cond_truth t, r;

	switch (n->kind) {
	case CN_CMP:
		return an_cmp(n, cx);
	case CN_NOT:
		t = an_node(n->kids[0], cx);
		return t == COND_MAYBE ? t : t == COND_NEVER ? COND_ALWAYS : COND_NEVER;
	case CN_AND:
	case CN_OR:
		/* AND: one NEVER decides, all ALWAYS is ALWAYS; OR the other way round */
		r = n->kind == CN_AND ? COND_ALWAYS : COND_NEVER;
		for (int i = 0; i < n->n; i++) {
			t = an_node(n->kids[i], cx);
			if (t == COND_MAYBE)
				r = COND_MAYBE;
			else if (t != (n->kind == CN_AND ? COND_ALWAYS : COND_NEVER))
				return t;
		}
		return r;
	}
	return COND_MAYBE;
}

static void an_leaf(struct an_ctx *cx, const struct cnode *n, bool always)
{
	if (cx->nleaves < AN_LEAVES) {
		cx->leaf[cx->nleaves] = n;
		cx->leaf_true[cx->nleaves++] = always;
	}
}

/* The comparisons that make n settled: always true (want) or never. */
static void an_explain(const struct cnode *n, bool want, struct an_ctx *cx)
{
	enum cond_truth settled = want ? COND_ALWAYS : COND_NEVER;

	switch (n->kind) {
	case CN_CMP:
		an_leaf(cx, n, want);
		return;
	case CN_NOT:
		an_explain(n->kids[0], !want, cx);
		return;
	case CN_AND:
	case CN_OR:
		/* a false AND (true OR) needs one settled kid; the other cases all */
		if ((n->kind == CN_AND) != want) {
			for (int i = 0; i < n->n; i++) {
				if (an_node(n->kids[i], cx) == settled) {
					an_explain(n->kids[i], want, cx);
					return;
				}
			}
		}
		for (int i = 0; i < n->n; i++)
			an_explain(n->kids[i], want, cx);
		return;
	}
}

/* Append to buf (cut with "..." when full). */
static void __attribute__((format(printf, 3, 4)))
an_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t o = strlen(buf);
	va_list ap;

	if (o + 4 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + o, size - o, fmt, ap);
	va_end(ap);
	if (strlen(buf) + 1 >= size)
		memcpy(buf + size - 4, "...", 4);
}

/* "fd.typechar = 4" or "fd.sip (a socket field: ...)" */
static void an_leaf_text(const struct cnode *n, bool always, char *buf, size_t size)
{
	const struct cw_field_info *fi = field_info(n->field);

	buf[0] = '\0';
	if (fi->kind == CW_FK_ABSENT && !always) {
		an_append(buf, size, "%s (%s)", n->fname, fi->desc);
		return;
	}
	an_append(buf, size, "%s%s %s", always ? "not " : "", n->fname, cond_op_name(n->op));
	if (n->op == OP_EXISTS)
		return;
	an_append(buf, size, n->op == OP_IN || n->op == OP_INTERSECTS || n->op == OP_PMATCH ?
		  " (" : " ");
	for (int i = 0; i < n->n; i++)
		an_append(buf, size, "%s%s", i ? ", " : "", n->vals[i].s);
	if (n->op == OP_IN || n->op == OP_INTERSECTS || n->op == OP_PMATCH)
		an_append(buf, size, ")");
}

/* "needs evt.type in (execve, execveat) or fd.typechar = 4" */
static void an_why(struct an_ctx *cx, char *buf, size_t size)
{
	char text[256], types[256] = "";

	buf[0] = '\0';
	/* the event types asked for, merged into one list */
	for (int i = 0; i < cx->nleaves; i++) {
		const struct cnode *n = cx->leaf[i];

		if (n->field != CW_F_EVT_TYPE || cx->leaf_true[i] ||
		    (n->op != OP_EQ && n->op != OP_IN && n->op != OP_INTERSECTS))
			continue;
		for (int k = 0; k < n->n; k++) {
			char quoted[80];

			snprintf(quoted, sizeof(quoted), "%s, ", n->vals[k].s);
			if (!strstr(types, quoted))
				an_append(types, sizeof(types), "%s", quoted);
		}
		cx->leaf[i] = NULL;
	}
	if (types[0]) {
		types[strlen(types) - 2] = '\0';
		an_append(buf, size, "needs evt.type in (%s)", types);
	}
	for (int i = 0; i < cx->nleaves; i++) {
		if (!cx->leaf[i])
			continue;
		an_leaf_text(cx->leaf[i], cx->leaf_true[i], text, sizeof(text));
		if (!strstr(buf, text))
			an_append(buf, size, "%s%s", buf[0] ? " or " : "needs ", text);
	}
}

/*
 * Fields of the comparisons still undecided: what the result depends on.
 * Settled subtrees are skipped, so a field under "evt.type = execve and"
 * never counts.
 */
static void an_live(const struct cnode *n, struct an_ctx *cx)
{
	if (an_node(n, cx) != COND_MAYBE)
		return;
	if (n->kind != CN_CMP) {
		for (int i = 0; i < n->n; i++)
			an_live(n->kids[i], cx);
		return;
	}
	cx->out->wants |= field_info(n->field)->want;
	if (n->index == CW_INDEX_ANY || n->index > CW_ANCESTORS)
		cx->out->wants |= CW_WANT_ANCESTORS;
	if (!field_is_collected(n->field, n->index)) {
		char name[96];

		snprintf(name, sizeof(name), "%s, ", n->fname);
		if (!strstr(cx->out->missing, name))
			an_append(cx->out->missing, sizeof(cx->out->missing), "%s", name);
	}
}

void cond_analyze(const struct cond *c, struct cond_analysis *out)
{
	struct an_ctx cx = { .out = out };
	size_t n;

	memset(out, 0, sizeof(*out));
	out->truth = COND_MAYBE;
	if (!c)
		return;
	/* without memory for the probe, only Falco-only fields settle anything */
	cx.probe = malloc(sizeof(*cx.probe));
	out->truth = an_node(c->root, &cx);
	if (out->truth == COND_NEVER) {
		an_explain(c->root, false, &cx);
		an_why(&cx, out->why, sizeof(out->why));
	} else {
		an_live(c->root, &cx);
		n = strlen(out->missing);
		if (n >= 2 && out->missing[n - 2] == ',')
			out->missing[n - 2] = '\0';
	}
	free(cx.probe);
}
