// SPDX-License-Identifier: Apache-2.0
/*
 * inventory_print.c - `credwatch inventory`'s output: a table for people
 * (sizes, ages and owners in words, every verdict spelled out) or one JSON
 * document for machines, with the findings as the agent emits them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery/catalog.h"
#include "findings.h"
#include "inventory_int.h"
#include "json.h"

static const char *const verdict_names[V__COUNT] = {
	[V_WORLD] = "world_readable",
	[V_GROUP] = "group_readable",
	[V_LOGIN_OWNER] = "owned_by_login_user",
	[V_FOREIGN] = "owned_by_another_user",
	[V_CI] = "in_ci_workspace",
	[V_ADMIN_WORKER] = "admin_kubeconfig_on_worker",
	[V_LEGACY] = "legacy_sa_token",
};

/* A uid's name in the host's /etc/passwd, read inside the host root; "" if none. */
static const char *user_name(struct inv *v, uint32_t uid)
{
	char name[PASSWD_NAME_MAX];

	for (int i = 0; i < v->nuids; i++)
		if (v->uids[i].uid == uid)
			return v->uids[i].name;
	if (passwd_lookup(v->root, uid, name, sizeof(name)))
		name[0] = '\0';
	if (v->nuids == UID_CACHE)
		return "";
	v->uids[v->nuids].uid = uid;
	snprintf(v->uids[v->nuids].name, sizeof(v->uids[0].name), "%s", name);
	return v->uids[v->nuids++].name;
}

/* The home's user: its owner's name, else the home directory's name. */
static const char *home_user(struct inv *v, const struct item *it)
{
	const char *n = user_name(v, it->c.home_uid), *slash;

	if (n[0])
		return n;
	slash = strrchr(it->c.group, '/');	/* "home:/home/<user>" */
	return slash && slash[1] ? slash + 1 : "?";
}

static const char *severity_name(int s)
{
	return s >= 0 ? catalog_severity_name((enum catalog_severity)s) : "none";
}

static void fmt_size(uint64_t n, char *buf, size_t size)
{
	if (n < 1024)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(buf, size, "%.1f KiB", (double)n / 1024);
	else
		snprintf(buf, size, "%.1f MiB", (double)n / (1024 * 1024));
}

static void fmt_age(int64_t s, char *buf, size_t size)
{
	if (s < 0)
		snprintf(buf, size, "future");
	else if (s < 3600)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else if (s < 86400 * 2)
		snprintf(buf, size, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(s / 86400));
}

static void fmt_time(int64_t s, char *buf, size_t size)
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Who the credential belongs to, in words. */
static void fmt_owner(struct inv *v, const struct item *it, char *buf, size_t size)
{
	struct pod_ident id;

	switch (it->c.owner) {
	case CRED_OWNER_HOME:
		snprintf(buf, size, "user %s", home_user(v, it));
		break;
	case CRED_OWNER_POD:
		if (v->pods && !pods_lookup(v->pods, it->c.pod_uid, &id))
			snprintf(buf, size, "pod %s/%s", id.ns, id.name);
		else
			snprintf(buf, size, "pod %s", it->c.pod_uid);
		break;
	default:
		snprintf(buf, size, "%s", cred_owner_name(it->c.owner));
		break;
	}
}

static void verdict_text(const struct item *it, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	if (!it->verdicts) {
		snprintf(buf, size, "ok");
		return;
	}
	for (int i = 0; i < V__COUNT; i++)
		if (it->verdicts & (1u << i))
			off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s",
						off ? "," : "", verdict_names[i]);
}

void inventory_print_text(struct inv *v, FILE *out, uint64_t now_s, const char *node)
{
	char root[PATH_MAX], esc[PATH_MAX * 2];

	fprintf(out, "credwatch inventory of %s (host root %s): %zu credentials; findings: "
		"%llu critical, %llu high, %llu medium, %llu low\n\n",
		text_escape(node, root, sizeof(root)), text_escape(v->root, esc, sizeof(esc)),
		v->nitems, (unsigned long long)v->by_severity[3],
		(unsigned long long)v->by_severity[2], (unsigned long long)v->by_severity[1],
		(unsigned long long)v->by_severity[0]);
	fprintf(out, "%-9s %-28s %-10s %-5s %-24s %-14s %-9s %-5s %-28s %s\n", "SEVERITY",
		"VERDICT", "KIND", "MODE", "OWNER", "FILE OWNER", "SIZE", "AGE", "ENTRY", "PATH");
	for (size_t i = 0; i < v->nitems; i++) {
		const struct item *it = &v->items[i];
		char verdict[256], owner[512], fowner[96], size[24], age[16], mode[8], e1[512],
		     e2[128], e3[96];
		const char *n = user_name(v, it->c.uid);

		verdict_text(it, verdict, sizeof(verdict));
		fmt_owner(v, it, owner, sizeof(owner));
		if (n[0])
			snprintf(fowner, sizeof(fowner), "%s", n);
		else
			snprintf(fowner, sizeof(fowner), "uid %u", (unsigned)it->c.uid);
		fmt_size(it->c.size, size, sizeof(size));
		fmt_age((int64_t)now_s - it->c.mtime_s, age, sizeof(age));
		snprintf(mode, sizeof(mode), "%04o", it->c.mode & 07777);
		fprintf(out, "%-9s %-28s %-10s %-5s %-24s %-14s %-9s %-5s %-28s %s\n",
			it->severity >= 0 ? severity_name(it->severity) : "-", verdict,
			cred_kind_name(it->c.kind), mode, text_escape(owner, e1, sizeof(e1)),
			text_escape(fowner, e3, sizeof(e3)), size, age,
			text_escape(it->c.entry, e2, sizeof(e2)),
			text_escape(it->c.path, esc, sizeof(esc)));
	}
	if (v->nrefusals) {
		fprintf(out, "\nnot watched by the agent (%zu):\n", v->nrefusals);
		for (size_t i = 0; i < v->nrefusals; i++)
			fprintf(out, "  %-12s %s\n", watch_refusal_name(v->refusals[i].reason),
				text_escape(v->refusals[i].why, esc, sizeof(esc)));
	}
	if (v->nlines)
		fprintf(out, "\n%zu findings: `credwatch inventory --json` has each with its "
			"evidence and the command that fixes it.\n", v->nlines);
}

int inventory_print_json(struct inv *v, FILE *out, uint64_t now_s, const char *node,
			 const char *cluster)
{
	struct jbuf jb;
	char t[32];
	uint32_t kinds[CW_CRED__MAX] = { 0 };
	int err = 0;

	jbuf_init(&jb);
	fmt_time((int64_t)now_s, t, sizeof(t));
	jbuf_obj_begin(&jb);
	jbuf_kv_str(&jb, "kind", "inventory");
	jbuf_kv_str(&jb, "source", "credwatch");
	jbuf_kv_str(&jb, "version", CW_VERSION);
	jbuf_kv_str_or_null(&jb, "node", node);
	jbuf_kv_str_or_null(&jb, "cluster", cluster);
	jbuf_kv_str(&jb, "host_root", v->root);
	jbuf_kv_str(&jb, "time", t);
	for (size_t i = 0; i < v->nitems; i++)
		if ((unsigned)v->items[i].c.kind < CW_CRED__MAX)
			kinds[v->items[i].c.kind]++;
	jbuf_key(&jb, "summary");
	jbuf_obj_begin(&jb);
	jbuf_kv_u64(&jb, "credentials", v->nitems);
	jbuf_kv_u64(&jb, "not_watched", v->nrefusals);
	jbuf_key(&jb, "findings");
	jbuf_obj_begin(&jb);
	for (int s = 3; s >= 0; s--)
		jbuf_kv_u64(&jb, severity_name(s), v->by_severity[s]);
	jbuf_obj_end(&jb);
	jbuf_key(&jb, "by_kind");
	jbuf_obj_begin(&jb);
	for (int k = 0; k < CW_CRED__MAX; k++)
		jbuf_kv_u64(&jb, cred_kind_name(k), kinds[k]);
	jbuf_obj_end(&jb);
	jbuf_obj_end(&jb);

	jbuf_key(&jb, "credentials");
	jbuf_arr_begin(&jb);
	for (size_t i = 0; i < v->nitems; i++) {
		const struct item *it = &v->items[i];
		char mode[8], mt[32];
		struct pod_ident id;

		snprintf(mode, sizeof(mode), "%04o", it->c.mode & 07777);
		fmt_time(it->c.mtime_s, mt, sizeof(mt));
		jbuf_elem(&jb);
		jbuf_obj_begin(&jb);
		jbuf_kv_str(&jb, "path", it->c.path);
		jbuf_kv_str(&jb, "kind", cred_kind_name(it->c.kind));
		jbuf_kv_str(&jb, "entry", it->c.entry);
		jbuf_key(&jb, "owner");
		jbuf_obj_begin(&jb);
		jbuf_kv_str(&jb, "type", cred_owner_name(it->c.owner));
		if (it->c.owner == CRED_OWNER_HOME) {
			jbuf_kv_u64(&jb, "uid", it->c.home_uid);
			jbuf_kv_str(&jb, "user", home_user(v, it));
		} else if (it->c.owner == CRED_OWNER_POD) {
			bool known = v->pods && !pods_lookup(v->pods, it->c.pod_uid, &id);

			jbuf_kv_str(&jb, "pod_uid", it->c.pod_uid);
			jbuf_kv_str_or_null(&jb, "namespace", known ? id.ns : NULL);
			jbuf_kv_str_or_null(&jb, "pod", known ? id.name : NULL);
			jbuf_kv_str_or_null(&jb, "volume", it->c.volume);
		}
		jbuf_obj_end(&jb);
		jbuf_kv_str(&jb, "mode", mode);
		jbuf_kv_u64(&jb, "uid", it->c.uid);
		jbuf_kv_str_or_null(&jb, "user", user_name(v, it->c.uid));
		jbuf_kv_u64(&jb, "gid", it->c.gid);
		jbuf_kv_u64(&jb, "size", it->c.size);
		jbuf_kv_str(&jb, "mtime", mt);
		jbuf_kv_s64(&jb, "age_s", (int64_t)now_s - it->c.mtime_s);
		jbuf_kv_bool(&jb, "watched", it->watched);
		jbuf_key(&jb, "verdicts");
		jbuf_arr_begin(&jb);
		for (int k = 0; k < V__COUNT; k++) {
			if (!(it->verdicts & (1u << k)))
				continue;
			jbuf_elem(&jb);
			jbuf_str(&jb, verdict_names[k]);
		}
		jbuf_arr_end(&jb);
		if (it->severity >= 0)
			jbuf_kv_str(&jb, "severity", severity_name(it->severity));
		else
			jbuf_kv_null(&jb, "severity");
		jbuf_key(&jb, "findings");
		jbuf_arr_begin(&jb);
		for (int k = 0; k < it->nids; k++) {
			jbuf_elem(&jb);
			jbuf_str(&jb, it->ids[k]);
		}
		jbuf_arr_end(&jb);
		jbuf_obj_end(&jb);
	}
	jbuf_arr_end(&jb);

	jbuf_key(&jb, "not_watched");
	jbuf_arr_begin(&jb);
	for (size_t i = 0; i < v->nrefusals; i++) {
		jbuf_elem(&jb);
		jbuf_obj_begin(&jb);
		jbuf_kv_str(&jb, "reason", watch_refusal_name(v->refusals[i].reason));
		jbuf_kv_str(&jb, "entry", v->refusals[i].entry);
		jbuf_kv_str(&jb, "path", v->refusals[i].path);
		jbuf_kv_u64(&jb, "files", v->refusals[i].count);
		jbuf_kv_str(&jb, "why", v->refusals[i].why);
		jbuf_obj_end(&jb);
	}
	jbuf_arr_end(&jb);

	/* the agent's finding lines, byte for byte, as elements */
	jbuf_key(&jb, "findings");
	jbuf_arr_begin(&jb);
	for (size_t i = 0; i < v->nlines; i++) {
		jbuf_elem(&jb);
		jbuf_raw(&jb, v->lines[i], strlen(v->lines[i]));
	}
	jbuf_arr_end(&jb);
	jbuf_obj_end(&jb);
	if (jb.oom)
		err = -ENOMEM;
	else if (fwrite(jb.buf, 1, jb.len, out) != jb.len || fputc('\n', out) == EOF)
		err = -EIO;
	jbuf_free(&jb);
	return err;
}
