// SPDX-License-Identifier: Apache-2.0
/*
 * fields.c - a record's fields read, compared, written and formatted
 * through the field table (fields_table.c), including the derived ones
 * (fd.directory, proc.aname[N], evt.arg.flags, ...).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fields_int.h"

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* Values built per call (fd.directory, unindexed proc.aname): see fields.h. */
static __thread char scratch[CW_REC_PATH_MAX];

/* The flags an open passed, read back from fd.flags (so replays have them too). */
static bool has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = flags; (p = strstr(p, name)); p += n)
		if ((p == flags || p[-1] == '|') && (p[n] == '\0' || p[n] == '|'))
			return true;
	return false;
}

/* evt.is_open_read / write: open, openat, openat2, open_by_handle_at and io_uring opens. */
static void open_mode(const struct cw_record *rec, int id, struct cw_value *out)
{
	const char *f = rec->fd_flags;
	bool rd = !strncmp(f, "O_RDONLY", 8) || !strncmp(f, "O_RDWR", 6);
	bool wr = !strncmp(f, "O_WRONLY", 8) || !strncmp(f, "O_RDWR", 6);

	if (!rec->syscall || !f[0])
		return;
	out->is_set = true;
	if (rec->syscall == CW_SYS_CREAT)	/* Falco: creat is neither */
		return;
	out->u64 = id == CW_F_EVT_IS_OPEN_READ ? rd : wr;
}

static void set_str(struct cw_value *out, const char *s)
{
	out->str = s;
	out->is_set = s[0] != '\0';
}

/* Falco's fd.directory: the name up to its last '/', or "/" */
static const char *fd_directory(const struct cw_record *rec)
{
	const char *name = rec->fd_name, *slash = strrchr(name, '/');
	size_t n;

	if (name[0] != '/')	/* relative: the directory is not known */
		return "";
	if (has_flag(rec->fd_flags, "O_DIRECTORY"))
		return name;
	n = (size_t)(slash - name);
	if (n == 0)
		return "/";
	if (slash[1] == '\0')
		return name;
	memcpy(scratch, name, n);
	scratch[n] = '\0';
	return scratch;
}

static const char *fd_filename(const struct cw_record *rec)
{
	const char *slash = strrchr(rec->fd_name, '/');

	if (has_flag(rec->fd_flags, "O_DIRECTORY"))
		return "";
	if (!slash || slash[1] == '\0')
		return rec->fd_name;
	return slash + 1;
}

/* proc.args: what follows argv[0] and one space in the command line */
static const char *proc_args(const struct cw_record *rec)
{
	size_t n = strlen(rec->proc_exe);

	if (!n || strncmp(rec->proc_cmdline, rec->proc_exe, n) || rec->proc_cmdline[n] != ' ')
		return "";
	return rec->proc_cmdline + n + 1;
}

/* Unindexed proc.aname in an output: every ancestor's name, space-separated. */
static const char *anames_joined(const struct cw_record *rec)
{
	size_t o = 0;

	for (int i = 1; i <= CW_REC_ANC_MAX; i++) {
		const char *s = i <= CW_ANCESTORS ? rec->aname[i] :
				i - CW_ANCESTORS - 1 < rec->nanc_extra ?
				rec->aname_extra[i - CW_ANCESTORS - 1] : "";
		size_t n = strlen(s);

		if (!n || o + n + 2 > sizeof(scratch))
			break;
		if (o)
			scratch[o++] = ' ';
		memcpy(scratch + o, s, n);
		o += n;
	}
	scratch[o] = '\0';
	return scratch;
}

static void ancestor(const struct cw_record *rec, int id, int index, struct cw_value *out)
{
	if (index == CW_INDEX_ANY) {
		if (id == CW_F_PROC_ANAME)
			set_str(out, anames_joined(rec));
		else			/* Falco prints proc.apid as apid[0] */
			index = 0;
	}
	if (index < 0 || index > CW_REC_ANC_MAX)
		return;
	if (index <= CW_ANCESTORS) {
		if (id == CW_F_PROC_ANAME) {
			set_str(out, rec->aname[index]);
		} else {
			out->u64 = rec->apid[index];
			out->is_set = out->u64 != 0;
		}
		return;
	}
	index -= CW_ANCESTORS + 1;
	if (index >= rec->nanc_extra)
		return;
	if (id == CW_F_PROC_ANAME) {
		set_str(out, rec->aname_extra[index]);
	} else {
		out->u64 = rec->apid_extra[index];
		out->is_set = out->u64 != 0;
	}
}

/* Fields computed from the record; stored members of derived fields fall through. */
static bool derived(const struct cw_record *rec, int id, int index, struct cw_value *out)
{
	const char *s;

	switch (id) {
	case CW_F_EVT_TYPE:
		out->str = syscall_name(rec->syscall);
		out->is_set = rec->syscall != 0;
		return true;
	case CW_F_PROC_ANAME:
	case CW_F_PROC_APID:
		ancestor(rec, id, index, out);
		return true;
	case CW_F_EVT_DIR:
		set_str(out, "<");
		return true;
	case CW_F_EVT_RAWRES:
	case CW_F_EVT_ARG_FD:
	case CW_F_FD_NUM:
		out->s64 = rec->res;
		out->is_set = true;
		return true;
	case CW_F_EVT_RES_STR:
		if (rec->res >= 0) {
			set_str(out, "SUCCESS");
		} else {
			s = strerrorname_np((int)-rec->res);
			set_str(out, s ? s : "E?");
		}
		return true;
	case CW_F_EVT_IS_OPEN_READ:
	case CW_F_EVT_IS_OPEN_WRITE:
		open_mode(rec, id, out);
		return true;
	case CW_F_EVT_IS_OPEN_EXEC:
		/* true needs the mode argument, which is not captured */
		out->is_set = rec->fd_flags[0] && !has_flag(rec->fd_flags, "O_CREAT") &&
			      !has_flag(rec->fd_flags, "O_TMPFILE") && rec->syscall != CW_SYS_CREAT;
		return true;
	case CW_F_EVT_IS_OPEN_CREATE:
	case CW_F_FD_NAME_CHANGED:
		out->is_set = true;	/* false */
		return true;
	case CW_F_EVT_ARG_NAME:
		set_str(out, rec->fd_nameraw);
		return true;
	case CW_F_EVT_ARG_FLAGS:
		set_str(out, rec->fd_flags);
		return true;
	case CW_F_FD_TYPE:
		set_str(out, has_flag(rec->fd_flags, "O_DIRECTORY") ? "directory" : "file");
		return true;
	case CW_F_FD_TYPECHAR:
		set_str(out, has_flag(rec->fd_flags, "O_DIRECTORY") ? "d" : "f");
		return true;
	case CW_F_FD_DIRECTORY:
		set_str(out, fd_directory(rec));
		return true;
	case CW_F_FD_FILENAME:
		set_str(out, fd_filename(rec));
		return true;
	case CW_F_PROC_ARGS:
		set_str(out, proc_args(rec));
		return true;
	case CW_F_PROC_AEXE:
		set_str(out, index == 0 ? rec->proc_exe : index == 1 || index == CW_INDEX_ANY ?
			rec->proc_pexe : "");
		return true;
	case CW_F_PROC_AEXEPATH:
		set_str(out, index == 0 ? rec->proc_exepath : index == 1 || index == CW_INDEX_ANY ?
			rec->proc_pexepath : index >= 2 && index <= CW_ANCESTORS ?
			rec->aexepath[index - 2] : "");
		return true;
	case CW_F_PROC_DURATION:
		out->is_set = rec->proc_start_ns && rec->time_ns >= rec->proc_start_ns;
		out->u64 = out->is_set ? rec->time_ns - rec->proc_start_ns : 0;
		return true;
	case CW_F_PROC_IS_EXE_FROM_MEMFD:
		/* the kernel names every memfd "memfd:<name>" */
		s = strrchr(rec->proc_exepath, '/');
		s = s ? s + 1 : rec->proc_exepath;
		out->is_set = rec->proc_exepath[0] != '\0';
		out->u64 = !strncmp(s, "memfd:", 6);
		return true;
	case CW_F_THREAD_TID:
		out->u64 = rec->tid;
		out->is_set = true;
		return true;
	case CW_F_K8S_POD_ID:
		set_str(out, rec->pod_uid);
		return true;
	case CW_F_PROC_IS_NODE_AGENT:
		out->is_set = rec->is_host_mntns != CW_UNKNOWN || rec->node_agent[0];
		out->u64 = rec->node_agent[0] != '\0';
		return true;
	case CW_F_PROC_AEXE_INO:
		out->is_set = index >= 0 && index <= CW_ANCESTORS && rec->aexe_ino[index];
		out->u64 = out->is_set ? rec->aexe_ino[index] : 0;
		return true;
	default:
		return false;
	}
}

void field_get(const struct cw_record *rec, int id, int index, struct cw_value *out)
{
	const struct field_slot *s;
	const char *base = (const char *)rec;

	/* per field per event (rules, dumps): plain stores, not a memset */
	out->type = CW_FT_STR;
	out->is_set = false;
	out->str = NULL;
	out->u64 = 0;
	out->s64 = 0;
	if ((unsigned)id >= CW_F__ALL) {	/* Falco-only: never set */
		out->str = "";
		return;
	}
	s = &fields_slots[id];
	out->type = s->info.type;
	/* per field per event: a record member (s->size) skips the computed ones' switch */
	if (!s->size && derived(rec, id, index, out))
		return;
	switch (s->info.type) {
	case CW_FT_STR:
		out->str = base + s->offset;
		out->is_set = out->str[0] != '\0';
		break;
	case CW_FT_U64:
		memcpy(&out->u64, base + s->offset, 8);
		/* evt.num, proc.vpid, proc.pid.ts: 0 is "not known" */
		out->is_set = !s->zero_unset || out->u64 != 0;
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
	const struct field_slot *s = &fields_slots[id];
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

int field_set_str(struct cw_record *rec, int id, int index, const char *str)
{
	const struct field_slot *s;

	if (id < 0 || id >= CW_F__ALL)
		return -EINVAL;
	s = &fields_slots[id];
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
	if (s->info.type != CW_FT_STR || !s->size)
		return -EINVAL;
	record_strlcpy((char *)rec + s->offset, str, s->size);
	return 0;
}

int field_set_u64(struct cw_record *rec, int id, int index, uint64_t v)
{
	const struct field_slot *s;

	if (id < 0 || id >= CW_F__ALL)
		return -EINVAL;
	s = &fields_slots[id];
	if (id == CW_F_PROC_APID) {
		if (index < 0 || index > CW_ANCESTORS)
			return -EINVAL;
		rec->apid[index] = v;
		return 0;
	}
	if (!s->size)
		return -EINVAL;
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

void field_caps_format(uint64_t caps, char *buf, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		size_t n = strlen(cap_names[i]);

		if (!(caps & (1ull << i)))
			continue;
		if (o + (o != 0) + n + 1 > size)
			break;
		if (o)
			buf[o++] = ' ';
		memcpy(buf + o, cap_names[i], n);
		o += n;
	}
	buf[o] = '\0';
}
