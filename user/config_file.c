// SPDX-License-Identifier: Apache-2.0
/*
 * config_file.c - the YAML config file (config.h has its grammar): one
 * document, a mapping of option names to values, typed by the option
 * table; every error names FILE:LINE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "config_int.h"

struct file_ctx {
	const char *path;
	yaml_document_t *doc;
	char *err;
	size_t err_size;
};

static unsigned long node_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML's null: an unquoted null, Null, NULL, ~ or nothing at all. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !s[0] || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int file_error(struct file_ctx *f, const yaml_node_t *n, const char *key,
		      const char *fmt, const char *arg)
{
	char reason[256];

	snprintf(reason, sizeof(reason), fmt, arg);
	snprintf(f->err, f->err_size, "%s:%lu: %s%s%s", f->path, node_line(n),
		 key ? key : "", key ? ": " : "", reason);
	return -EINVAL;
}

/* One list item, or a scalar given where a list is expected. */
static int file_list_item(struct file_ctx *f, const struct opt_desc *o, struct strlist *l,
			  const yaml_node_t *item)
{
	if (item->type != YAML_SCALAR_NODE)
		return file_error(f, item, o->name, "list items must be strings, got %s",
				  node_kind(item));
	if (is_null(item))
		return file_error(f, item, o->name, "empty list item%s", "");
	return strlist_push(l, scalar(item));
}

static int file_set(struct file_ctx *f, struct config *c, const struct opt_desc *o,
		    const yaml_node_t *v)
{
	void *field = (char *)c + o->offset;
	const char *s;
	int err;

	if (o->type == OPT_LIST) {
		struct strlist *l = field;

		/* the file's list replaces whatever was there */
		strlist_free(l);
		if (v->type == YAML_MAPPING_NODE)
			return file_error(f, v, o->name, "expected a list of strings, got %s",
					  node_kind(v));
		if (v->type == YAML_SCALAR_NODE)
			return is_null(v) ? 0 : file_list_item(f, o, l, v);
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			err = file_list_item(f, o, l, yaml_document_get_node(f->doc, *it));
			if (err)
				return err;
		}
		return 0;
	}
	if (v->type != YAML_SCALAR_NODE)
		return file_error(f, v, o->name, o->type == OPT_STR ? "expected a string, got %s" :
				  o->type == OPT_UINT ? "expected a non-negative integer, got %s" :
				  "expected true or false, got %s", node_kind(v));
	s = scalar(v);
	switch (o->type) {
	case OPT_STR:
		return opt_str_set(field, is_null(v) ? NULL : s);
	case OPT_UINT:
		if (opt_parse_uint(s, field))
			return file_error(f, v, o->name, "'%s' is not a non-negative integer", s);
		return 0;
	case OPT_BOOL:
		/* not YAML 1.1's yes/no/on/off: "no" meaning false surprises people */
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
			*(bool *)field = true;
		else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
			*(bool *)field = false;
		else
			return file_error(f, v, o->name, "'%s' is not true or false", s);
		return 0;
	case OPT_LIST:
		break;
	}
	return -EINVAL;
}

static int file_unknown_key(struct file_ctx *f, const yaml_node_t *k)
{
	char alt[128];
	size_t i;

	/* host_root or Host-Root for host-root: say which key was meant */
	for (i = 0; scalar(k)[i] && i < sizeof(alt) - 1; i++) {
		char ch = scalar(k)[i];

		alt[i] = ch == '_' ? '-' : (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	alt[i] = '\0';
	if (!scalar(k)[i] && config_opt_find(alt) && !config_opt_find(alt)->cli_only) {
		snprintf(f->err, f->err_size, "%s:%lu: unknown key '%s' (did you mean '%s'?)",
			 f->path, node_line(k), scalar(k), alt);
		return -EINVAL;
	}
	return file_error(f, k, NULL, "unknown key '%s' (keys are the long option names "
			  "of credwatch --help)", scalar(k));
}

static int file_apply(struct file_ctx *f, struct config *c, unsigned long *lines)
{
	yaml_node_t *root = yaml_document_get_root_node(f->doc);
	size_t nall;
	const struct opt_desc *all = config_opts(&nall);
	unsigned long seen[CONFIG_OPTS_MAX] = { 0 };

	if (!root || is_null(root))
		return 0;	/* empty, only comments, or a bare "---": nothing set */
	if (root->type != YAML_MAPPING_NODE)
		return file_error(f, root, NULL, "expected a mapping of option names to values, "
				  "got %s", node_kind(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(f->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(f->doc, p->value);
		const struct opt_desc *o;
		const char *why;
		char prev[64];
		int err;

		if (k->type != YAML_SCALAR_NODE)
			return file_error(f, k, NULL, "keys must be option names, got %s",
					  node_kind(k));
		o = config_opt_find(scalar(k));
		if (!o)
			return file_unknown_key(f, k);
		why = o->cli_only;
		if (why)
			return file_error(f, k, o->name, "%s", why);
		if (seen[o - all]) {
			snprintf(prev, sizeof(prev), "%lu", seen[o - all]);
			return file_error(f, k, o->name, "duplicate key (first set on line %s)",
					  prev);
		}
		seen[o - all] = node_line(k);
		err = file_set(f, c, o, v);
		if (err == -ENOMEM)
			snprintf(f->err, f->err_size, "%s: out of memory", f->path);
		if (err)
			return err;
		if (lines)
			lines[o - all] = node_line(k);
	}
	return 0;
}

int config_load_file_lines(struct config *c, const char *path, unsigned long *lines,
			   char *err, size_t err_size)
{
	struct file_ctx f = { path, NULL, err, err_size };
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false;
	yaml_parser_t parser;
	FILE *in = NULL;
	struct stat st;
	int ret;

	in = fopen(path, "re");
	if (!in) {
		ret = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (fstat(fileno(in), &st)) {
		ret = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, err_size, "%s: not a regular file", path);
		goto cleanup;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		snprintf(err, err_size, "%s: out of memory", path);
		goto cleanup;
	}
	parser_ok = true;
	yaml_parser_set_input_file(&parser, in);
	if (!yaml_parser_load(&parser, &doc))
		goto syntax;
	doc_ok = true;
	f.doc = &doc;
	/* a second document would be silently ignored by a one-document read */
	if (!yaml_parser_load(&parser, &extra))
		goto syntax;
	if (yaml_document_get_root_node(&extra)) {
		snprintf(err, err_size, "%s:%lu: more than one YAML document", path,
			 (unsigned long)extra.start_mark.line + 1);
		yaml_document_delete(&extra);
		ret = -EINVAL;
		goto cleanup;
	}
	yaml_document_delete(&extra);
	ret = file_apply(&f, c, lines);
	goto cleanup;
syntax:
	snprintf(err, err_size, "%s:%lu: YAML syntax error: %s%s%s", path,
		 (unsigned long)(parser.problem_mark.line + 1),
		 parser.problem ? parser.problem : "unreadable",
		 parser.context ? " " : "", parser.context ? parser.context : "");
	ret = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
cleanup:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (in)
		fclose(in);
	return ret;
}

int config_load_file(struct config *c, const char *path, char *err, size_t err_size)
{
	return config_load_file_lines(c, path, NULL, err, err_size);
}
