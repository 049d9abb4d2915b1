// SPDX-License-Identifier: Apache-2.0
/*
 * findings_render.c - one finding as a JSON line: the resource, the
 * evidence, and a recommendation a cluster operator can apply as is (YAML
 * for the pod template or ServiceAccount, a kubectl or shell command, a
 * Falco-style allow-list rule). Names that are not valid Kubernetes names
 * never reach a command: a <placeholder> does, so nothing hostile is ever
 * pasted into a shell. Over 600 lines: one short renderer per finding
 * type, ten of them, each with its text; the skeleton is fnd_render's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "findings_int.h"

void fnd_time(uint64_t s, char *buf, size_t size)
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A DNS-1123 name (namespaces, pods, ServiceAccounts, Secrets, volumes). */
static bool is_k8s_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

static const char *name_or(const char *s, const char *placeholder)
{
	return is_k8s_name(s) ? s : placeholder;
}

/* s inside a Falco double-quoted string and a YAML folded scalar, or NULL. */
static bool is_rule_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* POSIX shell single quotes. */
static void fput_sq(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

static void kv_time(struct jbuf *jb, const char *key, uint64_t s)
{
	char t[32];

	fnd_time(s, t, sizeof(t));
	jbuf_kv_str(jb, key, t);
}

/* Text built with stdio, then written as one JSON string value. */
struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *text_open(struct text *t)
{
	memset(t, 0, sizeof(*t));
	t->f = open_memstream(&t->buf, &t->len);
	return t->f;
}

static void text_put(struct jbuf *jb, const char *key, struct text *t)
{
	if (!t->f) {
		jb->oom = true;
		return;
	}
	if (fclose(t->f))
		jb->oom = true;
	else if (t->len)
		jbuf_kv_str(jb, key, t->buf);
	else
		jbuf_kv_null(jb, key);
	free(t->buf);
	t->f = NULL;
}

static void text_discard(struct text *t)
{
	if (t->f)
		fclose(t->f);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/*
 * What a finding tells the operator to do: a summary, YAML to apply and a
 * command, each written by the finding's renderer and put into the line's
 * "recommendation" object; one left empty is null.
 */
struct advice {
	struct text summary, yaml, command;
};

/* All three streams or none (false): a renderer writes without checking. */
static bool advice_open(struct advice *a)
{
	if (text_open(&a->summary) && text_open(&a->yaml) && text_open(&a->command))
		return true;
	text_discard(&a->summary);
	text_discard(&a->yaml);
	text_discard(&a->command);
	return false;
}

static void advice_put(struct jbuf *jb, struct advice *a)
{
	jbuf_key(jb, "recommendation");
	jbuf_obj_begin(jb);
	text_put(jb, "summary", &a->summary);
	text_put(jb, "yaml", &a->yaml);
	text_put(jb, "command", &a->command);
	jbuf_obj_end(jb);
}

static void mode_octal(const struct fnd_cand *c, char mode[8])
{
	snprintf(mode, 8, "%04o", c->mode & 07777);
}

static const char *pod_label(const struct fnd_cand *c, char *buf, size_t size)
{
	if (c->ns[0] && c->pod[0])
		snprintf(buf, size, "%s/%s", c->ns, c->pod);
	else
		snprintf(buf, size, "with uid %s", c->pod_uid);
	return buf;
}

/* ---- unused_sa_token ---- */

static void render_unused(struct findings *f, struct jbuf *jb, const struct fnd_cand *c,
			  struct advice *a)
{
	const char *ns = name_or(c->ns, "<namespace>"), *pod = name_or(c->pod, "<pod>");
	bool automount = !strncmp(c->cred->volume, "kube-api-access-", 16);
	char label[600];

	kv_time(jb, "mounted_since", c->cs->first_seen_s);
	jbuf_kv_u64(jb, "observed_s", c->now_s - c->cs->first_seen_s);
	jbuf_kv_u64(jb, "window_s", f->o.window_s);
	jbuf_kv_u64(jb, "opens_by_pod", 0);
	jbuf_kv_u64(jb, "opens_by_others", c->cs->opens);
	jbuf_kv_str_or_null(jb, "volume", c->cred->volume);
	jbuf_kv_str(jb, "token_source", c->cred->legacy_token ? "secret" : "projected");

	fprintf(a->summary.f, "No process of pod %s has opened its service-account token in %llu s "
		"of watching: stop mounting it, so that a compromise of the pod does not "
		"hand out the ServiceAccount's API access.%s",
		pod_label(c, label, sizeof(label)),
		(unsigned long long)(c->now_s - c->cs->first_seen_s),
		automount ? " Set automountServiceAccountToken: false in the pod template "
		"of the workload that owns the pod, or on its ServiceAccount when no pod "
		"of that ServiceAccount needs a token." :
		" Remove the token volume (or its serviceAccountToken source) from the "
		"pod template of the workload that owns the pod.");
	if (automount) {
		fprintf(a->yaml.f, "# pod template of the workload that owns %s/%s\n"
			"spec:\n  automountServiceAccountToken: false\n", ns, pod);
		fprintf(a->yaml.f, "---\n# or, for every pod of the ServiceAccount\n"
			"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n"
			"  namespace: %s\nautomountServiceAccountToken: false\n",
			name_or(c->sa, "<service-account>"), ns);
	} else {
		fprintf(a->yaml.f, "# pod template of the workload that owns %s/%s: delete this volume\n"
			"# and every volumeMount that names it\nspec:\n  volumes:\n  - name: %s\n",
			ns, pod, name_or(c->cred->volume, "<volume>"));
	}
	if (automount && is_k8s_name(c->sa))
		fprintf(a->command.f, "kubectl -n %s patch serviceaccount %s -p "
			"'{\"automountServiceAccountToken\":false}'", ns, c->sa);
	else if (automount)
		fprintf(a->command.f, "kubectl -n %s patch serviceaccount \"$(kubectl -n %s get pod %s "
			"-o jsonpath='{.spec.serviceAccountName}')\" -p "
			"'{\"automountServiceAccountToken\":false}'", ns, ns, pod);
}

/* ---- unexpected_token_reader ---- */

static void reader_obj(struct jbuf *jb, const struct reader *r, bool times)
{
	jbuf_elem(jb);
	jbuf_obj_begin(jb);
	jbuf_kv_str_or_null(jb, "container.image.repository", r->image);
	jbuf_kv_str_or_null(jb, "proc.exepath", r->exe);
	if (times) {
		kv_time(jb, "first_read", r->first_s);
		kv_time(jb, "last_read", r->last_s);
		jbuf_kv_u64(jb, "opens", r->opens);
	}
	jbuf_obj_end(jb);
}

static void allow_list_rule(FILE *out, const struct findings *f, const struct fnd_cand *c)
{
	const struct cstate *cs = c->cs;
	char since[32], until[32];
	int learned = 0, omitted = 0;

	fnd_time(cs->first_seen_s, since, sizeof(since));
	fnd_time(cs->first_seen_s + f->o.window_s, until, sizeof(until));
	fprintf(out, "# readers of this token credwatch learned from %s to %s.\n"
		"# Add a reader only once you know why it reads the token.\n", since, until);
	fprintf(out, "- rule: Unexpected reader of a service account token\n"
		"  desc: A process outside the learned set read the token of ");
	if (is_k8s_name(c->ns) && is_k8s_name(c->sa))
		fprintf(out, "ServiceAccount %s/%s\n  condition: >\n"
			"    cred.kind = sa_token and cred.owner.ns = \"%s\" and cred.owner.sa = \"%s\"",
			c->ns, c->sa, c->ns, c->sa);
	else if (is_k8s_name(c->ns) && is_k8s_name(c->pod))
		fprintf(out, "pod %s/%s\n  condition: >\n"
			"    cred.kind = sa_token and cred.owner.ns = \"%s\" and cred.owner.pod = \"%s\"",
			c->ns, c->pod, c->ns, c->pod);
	else if (is_rule_safe(c->path))
		fprintf(out, "pod %s\n  condition: >\n    cred.kind = sa_token and cred.path = \"%s\"",
			c->pod_uid, c->path);
	else
		fprintf(out, "a pod\n  condition: >\n    cred.kind = sa_token");
	for (int k = 0; k < cs->nreaders; k++) {
		const struct reader *r = &cs->readers[k];

		if (r->unexpected)
			continue;
		if (!is_rule_safe(r->image) || !is_rule_safe(r->exe)) {
			omitted++;
			continue;
		}
		fprintf(out, "%s\n      ", learned++ ? " or" : "\n    and not (");
		if (r->image[0])
			fprintf(out, "(container.image.repository = \"%s\"", r->image);
		else
			fprintf(out, "(not container.image.repository exists");
		if (r->exe[0])
			fprintf(out, " and proc.exepath = \"%s\")", r->exe);
		else
			fprintf(out, " and not proc.exepath exists)");
	}
	if (learned)
		fputs(")", out);
	fputs("\n  output: >\n    Unexpected reader of %cred.owner.ns/%cred.owner.pod service "
	      "account token (proc.exepath=%proc.exepath image=%container.image.repository "
	      "pod=%k8s.ns.name/%k8s.pod.name)\n  priority: WARNING\n"
	      "  tags: [credwatch, credential_access, allow_list]\n", out);
	if (!learned)
		fputs("# no reader was learned: every read of this token alerts\n", out);
	if (omitted)
		fprintf(out, "# %d learned readers omitted: their names have quotes, backslashes "
			"or non-printable bytes\n", omitted);
}

static void render_unexpected(struct findings *f, struct jbuf *jb, const struct fnd_cand *c,
			      struct advice *a)
{
	const struct cstate *cs = c->cs;
	char label[600];

	jbuf_key(jb, "unexpected_readers");
	jbuf_arr_begin(jb);
	for (int k = 0; k < cs->nreaders; k++)
		if (cs->readers[k].unexpected)
			reader_obj(jb, &cs->readers[k], true);
	jbuf_arr_end(jb);
	jbuf_key(jb, "learned_readers");
	jbuf_arr_begin(jb);
	for (int k = 0; k < cs->nreaders; k++)
		if (!cs->readers[k].unexpected)
			reader_obj(jb, &cs->readers[k], false);
	jbuf_arr_end(jb);
	kv_time(jb, "learning_ended", cs->first_seen_s + f->o.window_s);
	jbuf_kv_u64(jb, "readers_not_tracked", cs->readers_dropped);

	fprintf(a->summary.f, "A process outside the set learned during the first %llu s read the "
		"service-account token of pod %s. Find out why; if it is legitimate, add it "
		"to the allow-list rule below, else treat the token as stolen: %s, and "
		"find out how the process got there.",
		(unsigned long long)f->o.window_s, pod_label(c, label, sizeof(label)),
		c->cred->legacy_token ? "delete its Secret (a Secret-based token lives "
		"until then)" : "delete the pod (a projected token dies with its pod)");
	allow_list_rule(a->yaml.f, f, c);
	if (is_k8s_name(c->ns) && is_k8s_name(c->pod))
		fprintf(a->command.f, "kubectl -n %s delete pod %s", c->ns, c->pod);
}

/* ---- legacy_sa_token ---- */

static void render_legacy(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	const char *ns = name_or(c->ns, "<namespace>"), *pod = name_or(c->pod, "<pod>");
	const char *vol = name_or(c->cred->volume, "<volume>");
	char label[600];

	jbuf_kv_str(jb, "token_type", "kubernetes.io/service-account-token");
	jbuf_kv_str_or_null(jb, "volume", c->cred->volume);
	jbuf_kv_str_or_null(jb, "secret_name", c->cred->secret_name);
	jbuf_kv_bool(jb, "expires", false);

	fprintf(a->summary.f, "Pod %s mounts a Secret-based service-account token: it never expires "
		"and stays valid after the pod is gone. Mount a projected token that "
		"expires instead, then delete the Secret once nothing mounts it.",
		pod_label(c, label, sizeof(label)));
	fprintf(a->yaml.f, "# pod template of the workload that owns %s/%s: replace the secret\n"
		"# volume %s by a projected, expiring token (same mount path)\n"
		"spec:\n  volumes:\n  - name: %s\n    projected:\n      sources:\n"
		"      - serviceAccountToken:\n          path: token\n"
		"          expirationSeconds: 3600\n", ns, pod, vol, vol);
	if (is_k8s_name(c->cred->secret_name))
		fprintf(a->command.f, "kubectl -n %s delete secret %s", ns, c->cred->secret_name);
	else
		fprintf(a->command.f, "kubectl -n %s delete secret \"$(kubectl -n %s get pod %s -o "
			"jsonpath='{.spec.volumes[?(@.name==\"%s\")].secret.secretName}')\"",
			ns, ns, pod, vol);
}

/* ---- exposed_host_credential, admin_kubeconfig_on_worker ---- */

static void render_exposed(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	char mode[8];

	mode_octal(c, mode);
	jbuf_kv_str(jb, "mode", mode);
	jbuf_kv_u64(jb, "uid", c->uid);
	jbuf_kv_u64(jb, "gid", c->cred->gid);
	jbuf_kv_bool(jb, "group_readable", c->mode & 0040);
	jbuf_kv_bool(jb, "world_readable", c->mode & 0004);
	jbuf_kv_bool(jb, "owned_by_login_user", c->login_owner);
	jbuf_kv_str_or_null(jb, "catalog_entry", c->cred->entry);

	if (c->mode & 0044)
		fprintf(a->summary.f, "%s (%s) is readable by %s on this node: make it readable by its "
			"owner only. Anyone who read it may hold a copy: rotate it if the node "
			"had untrusted users or workloads with host access.", c->path, c->cred_kind,
			(c->mode & 0004) ? "every local user" : "its group");
	else
		fprintf(a->summary.f, "%s (%s) is a credential of the cluster, but login user uid %u owns it "
			"and can read or replace it: give it back to root (or the service that "
			"uses it) and rotate it if that user should not hold it.", c->path,
			c->cred_kind, (unsigned)c->uid);
	if (!(c->mode & 0044)) {
		fputs("chown root: ", a->command.f);
		fput_sq(a->command.f, c->path);
		fputs(" && ", a->command.f);
	}
	fputs("chmod 600 ", a->command.f);
	fput_sq(a->command.f, c->path);
}

/* ---- ci_workspace_credential, foreign_owned_credential ---- */

static void render_ci(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	char mode[8];

	mode_octal(c, mode);
	jbuf_kv_str_or_null(jb, "catalog_entry", c->cred->entry);
	jbuf_kv_str(jb, "mode", mode);
	jbuf_kv_u64(jb, "uid", c->uid);

	fprintf(a->summary.f, "%s (%s) was left in a CI runner's job workspace: every later job on "
		"this runner runs as the same user and can read it. Delete it and rotate it; "
		"give jobs the credential through the CI system's protected, masked "
		"variables (or short-lived tokens from workload identity) and remove it in "
		"a cleanup step that always runs.", c->path, c->cred_kind);
	fputs("rm -f ", a->command.f);
	fput_sq(a->command.f, c->path);
}

static void render_foreign(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	char mode[8];

	mode_octal(c, mode);
	jbuf_kv_str_or_null(jb, "catalog_entry", c->cred->entry);
	jbuf_kv_u64(jb, "uid", c->uid);
	jbuf_kv_u64(jb, "home_uid", c->cred->home_uid);
	jbuf_kv_str(jb, "mode", mode);
	jbuf_kv_bool(jb, "watched", false);

	fprintf(a->summary.f, "%s (%s) is in the home of uid %u but uid %u owns it: that user can "
		"read it and replace it (a kubeconfig pointing the home's owner at a server "
		"of theirs, a key of theirs). credwatch does not watch it. Find out who put "
		"it there; give it to the home's owner or delete it, and rotate it.",
		c->path, c->cred_kind, (unsigned)c->cred->home_uid, (unsigned)c->uid);
	fprintf(a->command.f, "chown %u ", (unsigned)c->cred->home_uid);
	fput_sq(a->command.f, c->path);
	fputs(" && chmod 600 ", a->command.f);
	fput_sq(a->command.f, c->path);
}

static void render_admin(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	jbuf_kv_bool(jb, "control_plane", false);
	jbuf_kv_str(jb, "control_plane_check", "/etc/kubernetes/manifests/kube-apiserver.yaml "
		    "is absent");

	fprintf(a->summary.f, "%s is a cluster-admin kubeconfig on a worker node, where any "
		"container escape or host-mounting pod gets the whole cluster. Remove it "
		"from the node. Its client certificate cannot be revoked: if it may have "
		"been copied, rotate the cluster CA (renewing admin.conf does not "
		"invalidate copies).", c->path);
	fputs("rm -f ", a->command.f);
	fput_sq(a->command.f, c->path);
}

/* ---- discovery_refused ---- */

static void render_refused(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	const struct findings_refusal *x = c->refusal;
	const char *reason = x ? x->reason : "";

	jbuf_kv_str(jb, "reason", reason);
	jbuf_kv_str_or_null(jb, "catalog_entry", c->cred->entry);
	jbuf_kv_u64(jb, "files", x ? x->files : 0);
	jbuf_kv_str_or_null(jb, "why", x ? x->why : NULL);
	jbuf_kv_bool(jb, "watched", false);

	if (!strcmp(reason, "symlink") || !strcmp(reason, "outside"))
		fprintf(a->summary.f, "%s, where credwatch looks for a %s, is a symlink it does not follow: "
			"reads of the file it points to are not watched. If a user made it, find "
			"out why (pointing a monitor at files of one's choosing is an attack on it); "
			"if a tool did, keep the credential at that place itself, or add a catalog "
			"entry for where it really is.", c->path, c->cred_kind);
	else if (!strcmp(reason, "reserve"))
		fprintf(a->summary.f, "The watched map is full but for the places kept for service-account "
			"tokens: %llu credential files (%s and others) are not watched. Raise "
			"--max-watched, or find what fills the map (credwatch --list-watched).",
			(unsigned long long)(x ? x->files : 0), c->path);
	else
		fprintf(a->summary.f, "%llu credential files past a bound are not watched (%s: %s). Raise the "
			"bound (the catalog entry's max in a catalog file of your own, "
			"--max-watched-per-pod) if they are credentials, or find out why so many "
			"files are there.", (unsigned long long)(x ? x->files : 0), c->path,
			x ? x->why : "");
}

/* ---- unmatched_filesystem ---- */

static void render_unmatched(struct jbuf *jb, const struct fnd_cand *c, struct advice *a)
{
	jbuf_kv_str(jb, "fstype", c->cred->fstype);
	jbuf_kv_str(jb, "reason", c->cred->unmatched);

	fprintf(a->summary.f, "%s (%s) is on a %s filesystem, where credwatch may not see it "
		"read: move it to a local filesystem (ext4, xfs, btrfs, tmpfs), or "
		"audit reads where its bytes are served.", c->path, c->cred_kind,
		c->cred->fstype[0] ? c->cred->fstype : "unknown");
}

/* ---- shared_credential ---- */

static void render_shared(struct findings *f, struct jbuf *jb, const struct fnd_cand *c,
			  findings_pod_lookup_fn lookup, void *lookup_ctx, struct advice *a)
{
	const struct cstate *cs = c->cs;
	char rns[FINDINGS_RPODS_PER_CRED][CW_REC_NAME_MAX],
	     rname[FINDINGS_RPODS_PER_CRED][CW_REC_NAME_MAX], rsa[CW_REC_NAME_MAX];
	bool known[FINDINGS_RPODS_PER_CRED], owner_reads = false;
	int n = cs->nrpods < FINDINGS_RPODS_PER_CRED ? cs->nrpods : FINDINGS_RPODS_PER_CRED;
	char label[600];

	for (int k = 0; k < n; k++) {
		known[k] = lookup && lookup(lookup_ctx, cs->rpods[k].uid, rns[k], sizeof(rns[k]),
					     rname[k], sizeof(rname[k]), rsa, sizeof(rsa));
		if (!known[k])
			rns[k][0] = rname[k][0] = '\0';
		if (c->pod_uid[0] && !strcmp(cs->rpods[k].uid, c->pod_uid))
			owner_reads = true;
	}
	jbuf_key(jb, "reader_pods");
	jbuf_arr_begin(jb);
	for (int k = 0; k < n; k++) {
		if (cs->rpods[k].last_s + f->o.window_s <= c->now_s)
			continue;
		jbuf_elem(jb);
		jbuf_obj_begin(jb);
		jbuf_kv_str(jb, "pod_uid", cs->rpods[k].uid);
		jbuf_kv_str_or_null(jb, "namespace", rns[k]);
		jbuf_kv_str_or_null(jb, "pod", rname[k]);
		kv_time(jb, "first_read", cs->rpods[k].first_s);
		kv_time(jb, "last_read", cs->rpods[k].last_s);
		jbuf_obj_end(jb);
	}
	jbuf_arr_end(jb);
	jbuf_kv_bool(jb, "owner_reads", owner_reads);
	jbuf_kv_u64(jb, "reader_pods_not_tracked", cs->rpods_dropped);

	if (c->pod_uid[0])
		fprintf(a->summary.f, "Pods other than %s read its credential %s: a pod can only do that "
			"through the node's filesystem (a hostPath mount of /var/lib/kubelet or /, "
			"or a privileged container). Remove such mounts from the reading pods and "
			"enforce the baseline Pod Security Standard in their namespaces; treat the "
			"credential as exposed and rotate it.", pod_label(c, label, sizeof(label)),
			c->path);
	else
		fprintf(a->summary.f, "Several pods read the node's %s (%s): they share one identity, so "
			"no audit log can tell them apart and each holds all of its rights. Give "
			"each workload its own ServiceAccount with only the permissions it needs, "
			"and remove the hostPath mount that exposes the file.", c->path, c->cred_kind);
	fputs("# one ServiceAccount per workload, instead of the shared credential\n"
	      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: <workload>\n"
	      "  namespace: <namespace>\n---\n# pod template of that workload\n"
	      "spec:\n  serviceAccountName: <workload>\n", a->yaml.f);
	for (int k = 0; k < n; k++)
		if (known[k] && is_k8s_name(rns[k]) && is_k8s_name(rname[k]))
			fprintf(a->yaml.f, "# reader: pod %s/%s\n", rns[k], rname[k]);
	int cmds = 0;

	for (int k = 0; k < n; k++) {
		bool dup = false;

		if (!known[k] || !is_k8s_name(rns[k]) ||
		    (c->pod_uid[0] && !strcmp(cs->rpods[k].uid, c->pod_uid)))
			continue;
		for (int j = 0; j < k; j++)
			dup |= known[j] && !strcmp(rns[j], rns[k]);
		if (dup)
			continue;
		fprintf(a->command.f, "%skubectl label namespace %s "
			"pod-security.kubernetes.io/enforce=baseline --overwrite",
			cmds++ ? "\n" : "", rns[k]);
	}
}

/* ---- the line ---- */

void fnd_render(struct findings *f, struct jbuf *jb, const struct fnd_cand *c, uint64_t id,
		findings_pod_lookup_fn lookup, void *lookup_ctx)
{
	struct advice a;
	char ids[32];

	snprintf(ids, sizeof(ids), "cwf-%016llx", (unsigned long long)id);
	jbuf_reset(jb);
	jbuf_obj_begin(jb);
	jbuf_kv_str(jb, "kind", "finding");
	jbuf_kv_str(jb, "id", ids);
	jbuf_kv_str(jb, "type", fnd_type_name(c->type));
	jbuf_kv_str(jb, "severity", fnd_severity_name(c->severity));
	jbuf_kv_str(jb, "status", c->resolved_why ? "resolved" : "open");
	jbuf_kv_str(jb, "source", "credwatch");
	jbuf_kv_str_or_null(jb, "node", f->node);
	jbuf_kv_str_or_null(jb, "cluster", f->cluster);
	jbuf_key(jb, "resource");
	jbuf_obj_begin(jb);
	jbuf_kv_str_or_null(jb, "namespace", c->ns);
	jbuf_kv_str_or_null(jb, "pod", c->pod);
	jbuf_kv_str_or_null(jb, "pod_uid", c->pod_uid);
	jbuf_kv_str_or_null(jb, "service_account", c->sa);
	jbuf_kv_str_or_null(jb, "path", c->path);
	jbuf_kv_str_or_null(jb, "cred_kind", c->cred_kind);
	jbuf_obj_end(jb);
	if (c->resolved_why) {
		jbuf_key(jb, "evidence");
		jbuf_obj_begin(jb);
		jbuf_kv_str(jb, "resolved_because", c->resolved_why);
		jbuf_obj_end(jb);
		jbuf_kv_null(jb, "recommendation");
	} else if (!advice_open(&a)) {
		jb->oom = true;
	} else {
		jbuf_key(jb, "evidence");
		jbuf_obj_begin(jb);
		switch (c->type) {
		case FND_UNUSED_TOKEN:
			render_unused(f, jb, c, &a);
			break;
		case FND_UNEXPECTED_READER:
			render_unexpected(f, jb, c, &a);
			break;
		case FND_LEGACY_TOKEN:
			render_legacy(jb, c, &a);
			break;
		case FND_EXPOSED_HOST_CRED:
			render_exposed(jb, c, &a);
			break;
		case FND_ADMIN_ON_WORKER:
			render_admin(jb, c, &a);
			break;
		case FND_SHARED_CRED:
			render_shared(f, jb, c, lookup, lookup_ctx, &a);
			break;
		case FND_CI_WORKSPACE_CRED:
			render_ci(jb, c, &a);
			break;
		case FND_FOREIGN_OWNED_CRED:
			render_foreign(jb, c, &a);
			break;
		case FND_DISCOVERY_REFUSED:
			render_refused(jb, c, &a);
			break;
		case FND_UNMATCHED_FS:
			render_unmatched(jb, c, &a);
			break;
		case FND__COUNT:
			break;
		}
		jbuf_obj_end(jb);
		advice_put(jb, &a);
	}
	kv_time(jb, "first_seen", c->first_seen_s);
	kv_time(jb, "last_seen", c->now_s);
	jbuf_obj_end(jb);
}
