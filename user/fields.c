// SPDX-License-Identifier: Apache-2.0
/* fields.c - the field table: names, types and where each lives in a record. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

struct field_slot {
	struct cw_field_info info;
	size_t offset;		/* member of struct cw_record */
	size_t size;		/* for strings: buffer size */
};

#define STR(n, m, d)  { { n, CW_FT_STR, false, d }, offsetof(struct cw_record, m), \
			sizeof(((struct cw_record *)0)->m) }
#define U64(n, m, d)  { { n, CW_FT_U64, false, d }, offsetof(struct cw_record, m), 8 }
#define S64(n, m, d)  { { n, CW_FT_S64, false, d }, offsetof(struct cw_record, m), 8 }
#define BOOL(n, m, d) { { n, CW_FT_BOOL, false, d }, offsetof(struct cw_record, m), 1 }

static const struct field_slot slots[CW_F__COUNT] = {
	[CW_F_EVT_TIME] = U64("evt.time", time_ns, "time of the open, ns since the epoch"),
	[CW_F_EVT_TYPE] = { { "evt.type", CW_FT_STR, false, "syscall path: open, openat, openat2, creat, open_by_handle_at, io_uring_openat, io_uring_openat2" }, 0, 0 },
	[CW_F_EVT_RES] = S64("evt.res", res, "syscall result (the fd)"),
	[CW_F_PROC_PID] = U64("proc.pid", pid, "process id of the reader"),
	[CW_F_PROC_TID] = U64("proc.tid", tid, "thread id of the reader"),
	[CW_F_PROC_NAME] = STR("proc.name", proc_name, "command name (comm)"),
	[CW_F_PROC_EXEPATH] = STR("proc.exepath", proc_exepath, "executable path"),
	[CW_F_PROC_CMDLINE] = STR("proc.cmdline", proc_cmdline, "command line"),
	[CW_F_PROC_PPID] = U64("proc.ppid", ppid, "parent process id"),
	[CW_F_PROC_PNAME] = STR("proc.pname", proc_pname, "parent command name"),
	[CW_F_PROC_PCMDLINE] = STR("proc.pcmdline", proc_pcmdline, "parent command line"),
	[CW_F_PROC_ANAME] = { { "proc.aname", CW_FT_STR, true, "name of the N-th ancestor (0 = self, 1 = parent)" }, 0, 0 },
	[CW_F_PROC_APID] = { { "proc.apid", CW_FT_U64, true, "pid of the N-th ancestor (0 = self, 1 = parent)" }, 0, 0 },
	[CW_F_PROC_TTY] = U64("proc.tty", tty, "controlling terminal device, 0 for none"),
	[CW_F_PROC_SID] = U64("proc.sid", sid, "session id"),
	[CW_F_PROC_IS_EXEC_SESSION] = BOOL("proc.is_exec_session", is_exec_session, "true for an interactive kubectl exec style session"),
	[CW_F_USER_UID] = U64("user.uid", uid, "real user id"),
	[CW_F_USER_NAME] = STR("user.name", user_name, "user name, from the reader's own /etc/passwd"),
	[CW_F_USER_LOGINUID] = U64("user.loginuid", loginuid, "audit login uid (4294967295 when unset)"),
	[CW_F_FD_NAME] = STR("fd.name", fd_name, "path as the process passed it"),
	[CW_F_FD_INO] = U64("fd.ino", fd_ino, "inode number opened"),
	[CW_F_FD_DEV] = U64("fd.dev", fd_dev, "device of the inode (st_dev encoding)"),
	[CW_F_FD_FLAGS] = STR("fd.flags", fd_flags, "open flags, O_RDONLY|O_CLOEXEC style"),
	[CW_F_CONTAINER_ID] = STR("container.id", container_id, "container id, \"host\" outside containers"),
	[CW_F_CONTAINER_NAME] = STR("container.name", container_name, "container name"),
	[CW_F_CONTAINER_IMAGE_REPOSITORY] = STR("container.image.repository", container_image, "container image repository"),
	[CW_F_K8S_NS_NAME] = STR("k8s.ns.name", ns_name, "reader pod namespace"),
	[CW_F_K8S_POD_NAME] = STR("k8s.pod.name", pod_name, "reader pod name"),
	[CW_F_K8S_POD_UID] = STR("k8s.pod.uid", pod_uid, "reader pod uid"),
	[CW_F_K8S_POD_SA] = STR("k8s.pod.sa", pod_sa, "reader pod service account"),
	[CW_F_CRED_KIND] = STR("cred.kind", cred_kind, "sa_token, secret, kubeconfig, pki, cloud, custom, registry, ssh, etcd, ci or token"),
	[CW_F_CRED_PATH] = STR("cred.path", cred_path, "canonical host path of the credential"),
	[CW_F_CRED_OWNER_NS] = STR("cred.owner.ns", owner_ns, "namespace of the pod owning the credential"),
	[CW_F_CRED_OWNER_POD] = STR("cred.owner.pod", owner_pod, "pod owning the credential"),
	[CW_F_CRED_OWNER_SA] = STR("cred.owner.sa", owner_sa, "service account of the owning pod"),
	[CW_F_CRED_SECRET_NAME] = STR("cred.secret.name", secret_name, "Secret name (or volume name) of the credential"),
	[CW_F_CRED_SAME_POD] = BOOL("cred.same_pod", same_pod, "true when the reader pod owns the credential"),
	[CW_F_K8S_CLUSTER_NAME] = STR("k8s.cluster.name", cluster_name, "cluster name"),
	[CW_F_CLOUD_PROVIDER] = STR("cloud.provider", cloud_provider, "cloud provider"),
	[CW_F_CLOUD_REGION] = STR("cloud.region", cloud_region, "cloud region"),
};

const struct cw_field_info *field_info(enum cw_field_id id)
{
	if ((unsigned)id >= CW_F__COUNT)
		return NULL;
	return &slots[id].info;
}

int field_lookup(const char *name, int *index)
{
	const char *br = strchr(name, '[');
	size_t len = br ? (size_t)(br - name) : strlen(name);

	*index = 0;
	for (int id = 0; id < CW_F__COUNT; id++) {
		const struct cw_field_info *fi = &slots[id].info;
		char *end;
		long n;

		if (strlen(fi->name) != len || strncmp(fi->name, name, len))
			continue;
		if (!br)
			return fi->indexed ? -EINVAL : id;
		if (!fi->indexed || br[1] < '0' || br[1] > '9')
			return -EINVAL;
		n = strtol(br + 1, &end, 10);
		if (end[0] != ']' || end[1] != '\0' || n < 0 || n > CW_ANCESTORS)
			return -EINVAL;
		*index = (int)n;
		return id;
	}
	return -ENOENT;
}

void field_get(const struct cw_record *rec, enum cw_field_id id, int index,
	       struct cw_value *out)
{
	const struct field_slot *s = &slots[id];
	const char *base = (const char *)rec;

	/* per field per event (rules, dumps): plain stores, not a memset */
	out->type = s->info.type;
	out->is_set = false;
	out->str = NULL;
	out->u64 = 0;
	out->s64 = 0;
	switch (id) {
	case CW_F_EVT_TYPE:
		out->str = syscall_name(rec->syscall);
		out->is_set = rec->syscall != 0;
		return;
	case CW_F_PROC_ANAME:
		if (index < 0 || index > CW_ANCESTORS)
			index = 0;
		out->str = rec->aname[index];
		out->is_set = out->str[0] != '\0';
		return;
	case CW_F_PROC_APID:
		if (index < 0 || index > CW_ANCESTORS)
			index = 0;
		out->u64 = rec->apid[index];
		out->is_set = out->u64 != 0;
		return;
	default:
		break;
	}
	switch (s->info.type) {
	case CW_FT_STR:
		out->str = base + s->offset;
		out->is_set = out->str[0] != '\0';
		break;
	case CW_FT_U64:
		memcpy(&out->u64, base + s->offset, 8);
		out->is_set = true;
		break;
	case CW_FT_S64:
		memcpy(&out->s64, base + s->offset, 8);
		out->is_set = true;
		break;
	case CW_FT_BOOL: {
		int8_t t = *(const int8_t *)(base + s->offset);

		out->is_set = t != CW_UNKNOWN;
		out->u64 = t == CW_TRUE;
		break;
	}
	}
}

bool field_equal(const struct cw_record *a, const struct cw_record *b, enum cw_field_id id,
		 int index)
{
	const struct field_slot *s = &slots[id];
	const char *pa = (const char *)a + s->offset, *pb = (const char *)b + s->offset;

	switch (id) {
	case CW_F_EVT_TYPE:	/* distinct static names: equal pointers, equal text */
		return !a->syscall == !b->syscall &&
		       syscall_name(a->syscall) == syscall_name(b->syscall);
	case CW_F_PROC_ANAME:
		if (index < 0 || index > CW_ANCESTORS)
			index = 0;
		return !strcmp(a->aname[index], b->aname[index]);
	case CW_F_PROC_APID:
		if (index < 0 || index > CW_ANCESTORS)
			index = 0;
		return a->apid[index] == b->apid[index];
	default:
		break;
	}
	switch (s->info.type) {
	case CW_FT_STR:		/* unset is "", so text equality is the answer */
		return pa[0] == pb[0] && !strcmp(pa, pb);
	case CW_FT_U64:
	case CW_FT_S64:
		return !memcmp(pa, pb, 8);
	case CW_FT_BOOL: {
		int8_t ta = *(const int8_t *)pa, tb = *(const int8_t *)pb;

		if ((ta == CW_UNKNOWN) != (tb == CW_UNKNOWN))
			return false;
		return ta == CW_UNKNOWN || (ta == CW_TRUE) == (tb == CW_TRUE);
	}
	}
	return false;
}

int field_set_str(struct cw_record *rec, enum cw_field_id id, int index,
		  const char *str)
{
	const struct field_slot *s;

	if ((unsigned)id >= CW_F__COUNT)
		return -EINVAL;
	s = &slots[id];
	if (id == CW_F_EVT_TYPE) {
		for (uint32_t i = 1; i < CW_SYS__MAX; i++) {
			if (!strcmp(syscall_name(i), str)) {
				rec->syscall = i;
				return 0;
			}
		}
		return -EINVAL;
	}
	if (id == CW_F_PROC_ANAME) {
		if (index < 0 || index > CW_ANCESTORS)
			return -EINVAL;
		record_strlcpy(rec->aname[index], str, sizeof(rec->aname[index]));
		return 0;
	}
	if (s->info.type != CW_FT_STR)
		return -EINVAL;
	record_strlcpy((char *)rec + s->offset, str, s->size);
	return 0;
}

int field_set_u64(struct cw_record *rec, enum cw_field_id id, int index,
		  uint64_t v)
{
	const struct field_slot *s;

	if ((unsigned)id >= CW_F__COUNT)
		return -EINVAL;
	s = &slots[id];
	if (id == CW_F_PROC_APID) {
		if (index < 0 || index > CW_ANCESTORS)
			return -EINVAL;
		rec->apid[index] = v;
		return 0;
	}
	switch (s->info.type) {
	case CW_FT_U64:
	case CW_FT_S64:
		memcpy((char *)rec + s->offset, &v, 8);
		return 0;
	case CW_FT_BOOL:
		*(int8_t *)((char *)rec + s->offset) = v == (uint64_t)CW_UNKNOWN ?
			CW_UNKNOWN : (v ? CW_TRUE : CW_FALSE);
		return 0;
	default:
		return -EINVAL;
	}
}

const char *field_format(const struct cw_value *v, char *buf, size_t size)
{
	if (!v->is_set)
		return "<NA>";
	switch (v->type) {
	case CW_FT_STR:
		return v->str;
	case CW_FT_U64:
		snprintf(buf, size, "%" PRIu64, v->u64);
		return buf;
	case CW_FT_S64:
		snprintf(buf, size, "%" PRId64, v->s64);
		return buf;
	case CW_FT_BOOL:
		return v->u64 ? "true" : "false";
	}
	return "<NA>";
}
