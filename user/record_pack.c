// SPDX-License-Identifier: Apache-2.0
/*
 * record_pack.c - a struct cw_record packed to its contents and back.
 *
 * A record is about 25 KB of fixed string buffers, nearly all unused; the
 * packed form keeps each string up to its NUL (a 2-byte length, then the
 * bytes) and every other member as its bytes, in the order of the table
 * below. The table lists every member once: a member it misses would be
 * silently reset in an unpacked record, so tests/unit/test_record_pack.c
 * checks that the table covers struct cw_record but for padding.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "record.h"

#define NUM(m) { offsetof(struct cw_record, m), sizeof(((struct cw_record *)0)->m), \
		 alignof(__typeof__(((struct cw_record *)0)->m)), 0 }
#define STR(m) { offsetof(struct cw_record, m), sizeof(((struct cw_record *)0)->m), 1, 1 }
#define ANAME(i) { offsetof(struct cw_record, aname) + (i) * (CW_COMM_LEN + 1), \
		   CW_COMM_LEN + 1, 1, 1 }
#define ANAME_EXTRA(i) { offsetof(struct cw_record, aname_extra) + (i) * (CW_COMM_LEN + 1), \
			 CW_COMM_LEN + 1, 1, 1 }
#define AEXEPATH(i) { offsetof(struct cw_record, aexepath) + (i) * CW_REC_PATH_MAX, \
		     CW_REC_PATH_MAX, 1, 1 }
#define ANAME_EXTRA3(i) ANAME_EXTRA(i), ANAME_EXTRA((i) + 1), ANAME_EXTRA((i) + 2)

static const struct record_member members[] = {
	NUM(time_ns), NUM(res), NUM(syscall), NUM(count),
	NUM(pid), NUM(tid), NUM(ppid), NUM(sid), NUM(tty), NUM(uid), NUM(gid), NUM(loginuid),
	STR(proc_name), STR(proc_exepath), STR(proc_cmdline), STR(proc_pname), STR(proc_pcmdline),
	NUM(apid),
	ANAME(0), ANAME(1), ANAME(2), ANAME(3), ANAME(4), ANAME(5),
	STR(user_name), NUM(is_exec_session),
	NUM(aexe_ino), NUM(aexe_dev), NUM(is_host_mntns), STR(node_agent),
	STR(systemd_unit),
	NUM(evt_num), STR(proc_exe), STR(proc_pexe), STR(proc_pexepath),
	AEXEPATH(0), AEXEPATH(1), AEXEPATH(2), AEXEPATH(3), NUM(proc_start_ns),
	NUM(vpid), STR(proc_sname), STR(user_loginname),
	STR(cap_effective), STR(cap_permitted), STR(cap_inheritable),
	NUM(nanc_extra), NUM(apid_extra),
	ANAME_EXTRA3(0), ANAME_EXTRA3(3), ANAME_EXTRA3(6), ANAME_EXTRA3(9), ANAME_EXTRA3(12),
	ANAME_EXTRA3(15), ANAME_EXTRA3(18), ANAME_EXTRA3(21), ANAME_EXTRA3(24),
	STR(fd_name), STR(fd_nameraw), STR(fd_flags), NUM(fd_ino), NUM(fd_dev), NUM(open_flags),
	NUM(cgroup_id), NUM(mnt_ns), NUM(pid_ns),
	STR(container_id), STR(container_name), STR(container_image), NUM(container_privileged), STR(ns_name),
	STR(pod_name), STR(pod_uid), STR(pod_sa),
	NUM(cred_id), STR(cred_kind), STR(cred_path), STR(owner_ns), STR(owner_pod),
	STR(owner_pod_uid), STR(owner_sa), NUM(owner_pid), STR(secret_name), NUM(same_pod),
	STR(cluster_name), STR(cloud_provider), STR(cloud_region),
	NUM(ev_flags),
};
_Static_assert(CW_ANCESTORS == 5, "ANAME() and AEXEPATH() entries above list aname[0..5], aexepath[0..3]");
_Static_assert(CW_REC_ANC_EXTRA == 27, "ANAME_EXTRA3() entries above list aname_extra[0..26]");

#define NMEMBERS (sizeof(members) / sizeof(members[0]))

const struct record_member *record_members(size_t *n)
{
	*n = NMEMBERS;
	return members;
}

size_t record_pack(const struct cw_record *rec, unsigned char *buf, size_t size)
{
	const unsigned char *base = (const unsigned char *)rec;
	size_t o = 0;

	for (size_t i = 0; i < NMEMBERS; i++) {
		const struct record_member *m = &members[i];
		const unsigned char *src = base + m->offset;
		size_t n = m->is_string ? strnlen((const char *)src, m->size - 1) : m->size;

		if (m->is_string) {
			if (o + 2 <= size) {
				buf[o] = (unsigned char)(n & 0xff);
				buf[o + 1] = (unsigned char)(n >> 8);
			}
			o += 2;
		}
		if (o + n <= size)
			memcpy(buf + o, src, n);
		o += n;
	}
	return o;
}

int record_unpack(struct cw_record *rec, const unsigned char *buf, size_t len)
{
	unsigned char *base = (unsigned char *)rec;
	size_t o = 0;

	record_reset(rec);
	for (size_t i = 0; i < NMEMBERS; i++) {
		const struct record_member *m = &members[i];
		unsigned char *dst = base + m->offset;
		size_t n = m->size;

		if (m->is_string) {
			if (o + 2 > len)
				return -EINVAL;
			n = (size_t)buf[o] | (size_t)buf[o + 1] << 8;
			o += 2;
			if (n >= m->size)
				return -EINVAL;
			dst[n] = '\0';
		}
		if (o + n > len)
			return -EINVAL;
		memcpy(dst, buf + o, n);
		o += n;
	}
	return o == len ? 0 : -EINVAL;
}
