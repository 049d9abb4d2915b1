// SPDX-License-Identifier: Apache-2.0
/*
 * redact_lists.c - the built-in lists of redact.h (names, token prefixes,
 * program flags, and the reference words that exempt --token-file and
 * the like), the grammar of configured items, and building a redactor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "redact_int.h"

#define ITEM_MAX	160	/* a configured program item */
#define MASK_START	4096	/* covers every argv the kernel sends (CW_ARGS_MAX) */

/* ---- defaults ---------------------------------------------------------- */

static const char *const default_names[] = {
	"token", "password", "passwd", "passphrase", "pass", "pwd", "secret", "key",
	"apikey", "accesskey", "secretkey", "privatekey", "credential", "auth",
	"authorization", "bearer", "cookie", "signature", "sig", "jwt", "literal",
};

static const char *const default_prefixes[] = {
	/* GitHub */
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
	/* GitLab */
	"glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glimt-", "glagent-", "glcbt-",
	"glsoat-", "gloas-", "GR1348941",
	/* Slack */
	"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-",
	/* AWS access key ids */
	"AKIA", "ASIA", "ABIA", "ACCA",
	/* Google API keys, Stripe live keys, PyPI upload tokens */
	"AIza", "sk_live_", "rk_live_", "pypi-AgE",
};

static const char *const default_programs[] = {
	/* MySQL and MariaDB clients: -p takes its value glued; "-p db" asks */
	"mysql -pVALUE", "mysqladmin -pVALUE", "mysqldump -pVALUE", "mysqlimport -pVALUE",
	"mysqlshow -pVALUE", "mysqlcheck -pVALUE", "mysqlpump -pVALUE", "mysqlslap -pVALUE",
	"mysqlbinlog -pVALUE", "mariadb -pVALUE", "mariadb-dump -pVALUE",
	"mariadb-admin -pVALUE", "mariadb-import -pVALUE", "mariadb-show -pVALUE",
	"mariadb-check -pVALUE", "mariadb-slap -pVALUE", "mariadb-binlog -pVALUE",
	"sshpass -p VALUE",
	"redis-cli -a VALUE",
	"mongo -p VALUE", "mongosh -p VALUE", "mongodump -p VALUE", "mongorestore -p VALUE",
	"mongoexport -p VALUE", "mongoimport -p VALUE",
	"ldapsearch -w VALUE", "ldapadd -w VALUE", "ldapmodify -w VALUE",
	"ldapdelete -w VALUE", "ldapwhoami -w VALUE", "ldappasswd -w VALUE",
	"ldapcompare -w VALUE", "ldapmodrdn -w VALUE",
	"curl -u USER:VALUE", "curl --user USER:VALUE", "curl -U USER:VALUE",
	"curl --proxy-user USER:VALUE",
	"smbclient -U USER%VALUE",
};

/*
 * Last words that make a name a reference to a secret, not the secret:
 * --token-file=/x, --secret-name=db, --password-stdin, --key-size=2048.
 */
static const char *const reference_words[] = {
	"file", "path", "dir", "directory", "name", "namespace", "ns", "id", "type", "kind",
	"mode", "method", "ref", "url", "uri", "endpoint", "host", "env", "stdin", "size",
	"bits", "length", "len", "ttl", "format", "alg", "algorithm", "store", "version",
	"count", "field", "prefix", "header", "command", "cmd", "helper", "provider",
	"plugin", "scope", "audience", "issuer", "expiry", "expiration", "lifetime",
	"timeout", "location",
};

const char *const *redact_defaults(enum redact_list list, size_t *n)
{
	switch (list) {
	case REDACT_LIST_NAMES:
		*n = ARRAY_LEN(default_names);
		return default_names;
	case REDACT_LIST_PREFIXES:
		*n = ARRAY_LEN(default_prefixes);
		return default_prefixes;
	case REDACT_LIST_PROGRAMS:
		*n = ARRAY_LEN(default_programs);
		return default_programs;
	default:
		*n = 0;
		return NULL;
	}
}

/* ---- configuration ------------------------------------------------------- */

static bool valid_name(const char *item, char *why, size_t why_size)
{
	size_t n = strlen(item);

	if (!n || n > NAME_WORD_MAX) {
		snprintf(why, why_size, "'%s': a name is 1 to %d letters or digits", item,
			 NAME_WORD_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum((unsigned char)item[i])) {
			snprintf(why, why_size, "'%s': one word of letters and digits (flags are "
				 "split into words at - _ . and case changes, so 'api-key' is "
				 "written 'apikey')", item);
			return false;
		}
	}
	return true;
}

static bool valid_prefix(const char *item, char *why, size_t why_size)
{
	size_t n = strlen(item);

	if (n < 2 || n > PREFIX_MAX || !is_alnum((unsigned char)item[0])) {
		snprintf(why, why_size, "'%s': a prefix is 2 to %d printable bytes starting with "
			 "a letter or digit", item, PREFIX_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)item[i] <= ' ' || (unsigned char)item[i] >= 0x7f) {
			snprintf(why, why_size, "'%s': no blanks or control bytes in a prefix", item);
			return false;
		}
	}
	return true;
}

/* "VALUE" or "USER<sep>VALUE" at the end of w: its length, and the separator. */
static size_t shape_suffix(const char *w, char *sep)
{
	size_t n = strlen(w);

	*sep = 0;
	if (n < 5 || strcmp(w + n - 5, "VALUE"))
		return 0;
	if (n >= 10 && !memcmp(w + n - 10, "USER", 4) && !is_alnum((unsigned char)w[n - 6]) &&
	    (unsigned char)w[n - 6] > ' ' && (unsigned char)w[n - 6] < 0x7f) {
		*sep = w[n - 6];
		return 10;
	}
	return 5;
}

static bool parse_program(const char *item, struct prog_flag *pf, char *why, size_t why_size)
{
	char buf[ITEM_MAX + 1], *words[4], *save = NULL, *w;
	const char *flag;
	size_t nw = 0, sl, fl;

	memset(pf, 0, sizeof(*pf));
	if (strlen(item) > ITEM_MAX)
		goto bad;
	snprintf(buf, sizeof(buf), "%s", item);
	for (w = strtok_r(buf, " \t", &save); w && nw < 4; w = strtok_r(NULL, " \t", &save))
		words[nw++] = w;
	if (nw < 2 || nw > 3 || strlen(words[0]) > PROG_MAX)
		goto bad;
	for (const char *p = words[0]; *p; p++)
		if (!is_keychar((unsigned char)*p) && *p != '+')
			goto bad;
	snprintf(pf->prog, sizeof(pf->prog), "%s", words[0]);
	pf->prog_len = strlen(pf->prog);
	if (nw == 2) {		/* mysql -pVALUE: glued only */
		sl = shape_suffix(words[1], &pf->user_sep);
		fl = strlen(words[1]) - sl;
		if (!sl || fl < 2 || fl > FLAG_MAX)
			goto bad;
		words[1][fl] = '\0';
		flag = words[1];
		snprintf(pf->glued, sizeof(pf->glued), "%s", flag);
	} else {		/* sshpass -p VALUE: glued or the next argument */
		sl = shape_suffix(words[2], &pf->user_sep);
		fl = strlen(words[1]);
		if (!sl || sl != strlen(words[2]) || fl < 2 || fl > FLAG_MAX ||
		    strstr(words[1], "VALUE"))
			goto bad;
		flag = words[1];
		pf->next = true;
		snprintf(pf->glued, sizeof(pf->glued), "%s%s", flag,
			 flag[1] == '-' ? "=" : "");
	}
	if (flag[0] != '-' || flag[1] == '\0')
		goto bad;
	snprintf(pf->flag, sizeof(pf->flag), "%s", flag);
	pf->flag_len = strlen(pf->flag);
	pf->glued_len = strlen(pf->glued);
	return true;
bad:
	snprintf(why, why_size, "'%s': expected 'PROGRAM -FVALUE' (value glued to the flag), "
		 "'PROGRAM -F VALUE' (glued or the next argument) or 'PROGRAM -F USER:VALUE' "
		 "(only what follows the first ':')", item);
	return false;
}

bool redact_item_valid(enum redact_list list, const char *item, char *why, size_t why_size)
{
	struct prog_flag pf;

	switch (list) {
	case REDACT_LIST_NAMES:
		return valid_name(item, why, why_size);
	case REDACT_LIST_PREFIXES:
		return valid_prefix(item, why, why_size);
	case REDACT_LIST_PROGRAMS:
		return parse_program(item, &pf, why, why_size);
	default:
		snprintf(why, why_size, "no such list");
		return false;
	}
}

/* Grow an array by one element; NULL when out of memory. */
static void *push(void *arr, size_t n, size_t elem)
{
	return realloc(arr, (n + 1) * elem);
}

/* Add a word of letters and digits (checked by the caller), lower-cased. */
static int word_set_add(struct word_set *ws, const char *item)
{
	size_t len = strlen(item);
	struct index_list *ix = &ws->by_last[name_class((unsigned char)item[len - 1])];
	void *p;

	if (ws->n >= UINT16_MAX)
		return -ENOMEM;
	p = push(ws->w, ws->n, sizeof(*ws->w));
	if (!p)
		return -ENOMEM;
	ws->w = p;
	p = push(ix->v, ix->n, sizeof(*ix->v));
	if (!p)
		return -ENOMEM;
	ix->v = p;
	ix->v[ix->n++] = (uint16_t)ws->n;
	for (size_t i = 0; i < len; i++)
		ws->w[ws->n].w[i] = (char)lower((unsigned char)item[i]);
	ws->w[ws->n].w[len] = '\0';
	ws->w[ws->n++].len = len;
	if (len >= 2)
		ws->tail2[name_class((unsigned char)item[len - 2])]
			 [name_class((unsigned char)item[len - 1])] = true;
	else
		ws->has_one_letter = true;
	if (!ws->min_len || len < ws->min_len)
		ws->min_len = len;
	return 0;
}

static void word_set_free(struct word_set *ws)
{
	free(ws->w);
	for (int i = 0; i < NAME_CLASSES; i++)
		free(ws->by_last[i].v);
}

static int prefix_add(struct redact *r, const char *item)
{
	struct index_list *ix = &r->by_first[(unsigned char)item[0]];
	void *p;

	if (r->nprefixes >= UINT16_MAX)
		return -ENOMEM;
	p = push(r->prefixes, r->nprefixes, sizeof(*r->prefixes));
	if (!p)
		return -ENOMEM;
	r->prefixes = p;
	p = push(ix->v, ix->n, sizeof(*ix->v));
	if (!p)
		return -ENOMEM;
	ix->v = p;
	ix->v[ix->n++] = (uint16_t)r->nprefixes;
	snprintf(r->prefixes[r->nprefixes].p, sizeof(r->prefixes[0].p), "%s", item);
	r->prefixes[r->nprefixes++].len = strlen(item);
	/* the scan starts a lookup only where the first two bytes can begin one */
	r->trig[(unsigned char)item[0]] |= T_PREFIX;
	r->prefix_pairs[(unsigned char)item[0]][(unsigned char)item[1] >> 3] |=
		(uint8_t)(1u << ((unsigned char)item[1] & 7));
	return 0;
}

static int program_add(struct redact *r, const struct prog_flag *pf)
{
	struct index_list *ix = &r->progs_by_first[(unsigned char)pf->prog[0]];
	void *p;

	if (r->nprogs >= UINT16_MAX)
		return -ENOMEM;
	p = push(r->progs, r->nprogs, sizeof(*r->progs));
	if (!p)
		return -ENOMEM;
	r->progs = p;
	p = push(r->active, r->nprogs, sizeof(*r->active));
	if (!p)
		return -ENOMEM;
	r->active = p;
	p = push(ix->v, ix->n, sizeof(*ix->v));
	if (!p)
		return -ENOMEM;
	ix->v = p;
	ix->v[ix->n++] = (uint16_t)r->nprogs;
	r->progs[r->nprogs++] = *pf;
	return 0;
}

int redact_add(struct redact *r, enum redact_list list, const char *item, char *why,
	       size_t why_size)
{
	struct prog_flag pf;

	switch (list) {
	case REDACT_LIST_NAMES:
		return valid_name(item, why, why_size) ? word_set_add(&r->names, item) : -EINVAL;
	case REDACT_LIST_PREFIXES:
		return valid_prefix(item, why, why_size) ? prefix_add(r, item) : -EINVAL;
	case REDACT_LIST_PROGRAMS:
		return parse_program(item, &pf, why, why_size) ? program_add(r, &pf) : -EINVAL;
	default:
		snprintf(why, why_size, "no such list");
		return -EINVAL;
	}
}

int redact_new(struct redact **out)
{
	struct redact *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		goto cleanup;
	r->mask_cap = MASK_START;
	r->mask = malloc(r->mask_cap);
	if (!r->mask)
		goto cleanup;
	for (size_t i = 0; i < ARRAY_LEN(reference_words); i++)
		if (word_set_add(&r->refs, reference_words[i]))
			goto cleanup;
	/* the memo is an optimisation: without a random key there is none */
	if (getrandom(r->memo_key, sizeof(r->memo_key), GRND_NONBLOCK) == sizeof(r->memo_key))
		r->memo = calloc(MEMO_SLOTS, sizeof(*r->memo));
	r->trig['='] |= T_SEP;
	r->trig[':'] |= T_SEP;
	r->trig['e'] |= T_JWT;
	r->trig['b'] |= T_AUTH;
	r->trig['B'] |= T_AUTH;
	r->trig['-'] |= T_PEM;
	*out = r;
	return 0;
cleanup:
	redact_free(r);
	return -ENOMEM;
}

void redact_free(struct redact *r)
{
	if (!r)
		return;
	word_set_free(&r->names);
	word_set_free(&r->refs);
	free(r->prefixes);
	for (int i = 0; i < 256; i++)
		free(r->by_first[i].v);
	free(r->progs);
	for (int i = 0; i < 256; i++)
		free(r->progs_by_first[i].v);
	free(r->active);
	free(r->mask);
	free(r->memo);
	free(r);
}

/* The built-in lists as the option table's defaults. */
static const char *const *default_name_list(size_t *n)
{
	return redact_defaults(REDACT_LIST_NAMES, n);
}

static const char *const *default_prefix_list(size_t *n)
{
	return redact_defaults(REDACT_LIST_PREFIXES, n);
}

static const char *const *default_program_list(size_t *n)
{
	return redact_defaults(REDACT_LIST_PROGRAMS, n);
}

static const struct opt_desc redact_option_list[] = {
	OPT_BOOL(struct redact_opts, off, "no-redact",
		 "keep secrets in command lines (proc.cmdline, proc.pcmdline) as they are; "
		 "warned at every start"),
	OPT_LIST(struct redact_opts, names, "redact-names", "WORD", "token, password, secret, "
		 "key, auth and more (--print-config lists them)", "flag and key names whose "
		 "value is redacted from command lines; replaces the list",
		 .def_list = default_name_list),
	OPT_LIST(struct redact_opts, extra_names, "redact-extra-names", "WORD", "none",
		 "names added to redact-names; repeatable"),
	OPT_LIST(struct redact_opts, prefixes, "redact-prefixes", "PREFIX", "ghp_, glpat-, "
		 "xoxb-, AKIA and more (--print-config lists them)", "token formats by prefix, "
		 "redacted after the prefix; replaces the list", .def_list = default_prefix_list),
	OPT_LIST(struct redact_opts, extra_prefixes, "redact-extra-prefixes", "PREFIX", "none",
		 "prefixes added to redact-prefixes; repeatable"),
	OPT_LIST(struct redact_opts, programs, "redact-programs", "'PROG -FLAG VALUE'",
		 "mysql -pVALUE, sshpass -p VALUE, curl -u USER:VALUE and more (--print-config "
		 "lists them)", "password flags of one program; replaces the list",
		 .def_list = default_program_list),
	OPT_LIST(struct redact_opts, extra_programs, "redact-extra-programs", "'PROG -FLAG VALUE'",
		 "none", "program flags added to redact-programs; repeatable"),
};

/* Each list of o with its option name and the grammar its items follow. */
struct opts_list {
	enum redact_list list;
	const char *key;
	const struct strlist *items;
};

static void opts_lists(const struct redact_opts *o, struct opts_list out[6])
{
	out[0] = (struct opts_list){ REDACT_LIST_NAMES, "redact-names", &o->names };
	out[1] = (struct opts_list){ REDACT_LIST_NAMES, "redact-extra-names", &o->extra_names };
	out[2] = (struct opts_list){ REDACT_LIST_PREFIXES, "redact-prefixes", &o->prefixes };
	out[3] = (struct opts_list){ REDACT_LIST_PREFIXES, "redact-extra-prefixes",
				     &o->extra_prefixes };
	out[4] = (struct opts_list){ REDACT_LIST_PROGRAMS, "redact-programs", &o->programs };
	out[5] = (struct opts_list){ REDACT_LIST_PROGRAMS, "redact-extra-programs",
				     &o->extra_programs };
}

/* Every redact-* item well formed: a bad one is named with its key. */
static int redact_opts_check(const void *opts, char *err, size_t err_size)
{
	struct opts_list lists[6];
	char why[384];

	opts_lists(opts, lists);
	for (size_t k = 0; k < ARRAY_LEN(lists); k++) {
		for (int i = 0; i < lists[k].items->n; i++) {
			if (redact_item_valid(lists[k].list, lists[k].items->v[i], why, sizeof(why)))
				continue;
			snprintf(err, err_size, "--%s: %s", lists[k].key, why);
			return -EINVAL;
		}
	}
	return 0;
}

const struct opt_table redact_options = OPT_TABLE(redact_option_list, NULL, redact_opts_check);

int redact_open(struct redact **out, const struct redact_opts *o)
{
	struct opts_list lists[6];
	struct redact *r;
	char why[256];
	int err;

	*out = NULL;
	if (o->off) {
		log_warn("redact: --no-redact: command lines go to events, alerts, dumps, the "
			 "spool and the backend as they are, with any secret they carry");
		return 0;
	}
	err = redact_new(&r);
	if (err) {
		log_error("redact: out of memory");
		return err;
	}
	opts_lists(o, lists);
	for (size_t l = 0; l < ARRAY_LEN(lists); l++) {
		for (int i = 0; i < lists[l].items->n; i++) {
			err = redact_add(r, lists[l].list, lists[l].items->v[i], why, sizeof(why));
			if (err == -EINVAL)
				log_error("redact: --%s: %s", lists[l].key, why);
			else if (err)
				log_error("redact: out of memory");
			if (err) {
				redact_free(r);
				return err;
			}
		}
	}
	log_info("redact: on: %d names, %d token prefixes, %d program flags",
		 o->names.n + o->extra_names.n, o->prefixes.n + o->extra_prefixes.n,
		 o->programs.n + o->extra_programs.n);
	*out = r;
	return 0;
}
