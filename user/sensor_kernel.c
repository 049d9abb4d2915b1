// SPDX-License-Identifier: Apache-2.0
/*
 * sensor_kernel.c - what the running kernel offers the sensor, probed
 * rather than guessed from its version (distributions backport): the
 * rights and BTF to load at all (sensor_probe), tracepoints, BPF helpers,
 * and the kernel structures the programs read (btrfs subvolumes, io_uring
 * requests) in the kernel's BTF or a module's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "sensor_int.h"

static bool tracefs_ready(void)
{
	return access(TRACEFS "/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

/* Effective capabilities from /proc/self/status (no libcap dependency). */
static uint64_t effective_caps(void)
{
	char line[256];
	uint64_t caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &caps) == 1)
			break;
	fclose(f);
	return caps;
}

#define CAP_BIT(n) (1ULL << (n))
#define CW_CAP_SYS_ADMIN	21
#define CW_CAP_PERFMON		38
#define CW_CAP_BPF		39

int sensor_probe(char *why, size_t why_size)
{
	uint64_t caps = effective_caps();
	int err;

	if (!(caps & CAP_BIT(CW_CAP_SYS_ADMIN)) &&
	    (caps & (CAP_BIT(CW_CAP_BPF) | CAP_BIT(CW_CAP_PERFMON))) !=
	    (CAP_BIT(CW_CAP_BPF) | CAP_BIT(CW_CAP_PERFMON))) {
		snprintf(why, why_size, "not allowed to load BPF programs: run as root, or grant "
			 "CAP_BPF and CAP_PERFMON (effective capabilities: %#" PRIx64 ")", caps);
		return -EPERM;
	}

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, why_size, "kernel BTF is missing (/sys/kernel/btf/vmlinux): "
			 "credwatch needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8+)");
		return -ENOTSUP;
	}
	if (!tracefs_ready()) {
		if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
			err = -errno;
			snprintf(why, why_size, "tracefs is not mounted and mounting it at "
				 TRACEFS " failed: %s (run as root or mount it: "
				 "mount -t tracefs tracefs " TRACEFS ")", strerror(-err));
			return err;
		}
	}
	err = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (err == 0) {
		snprintf(why, why_size, "BPF ring buffer not supported: credwatch needs Linux 5.8+");
		return -ENOTSUP;
	}
	if (err < 0) {
		if (err == -EPERM || err == -EACCES)
			snprintf(why, why_size, "not allowed to load BPF programs: run as root or "
				 "grant CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE");
		else
			snprintf(why, why_size, "probing BPF support failed: %s", strerror(-err));
		return err;
	}
	return 0;
}

bool sensor_tracepoint_exists(const char *tp_dir)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s", tp_dir);
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s", tp_dir);
	return access(path, F_OK) == 0;
}

/* Does the struct or union `id` have `member`, directly or in an anonymous member? */
static bool btf_type_has_member(const struct btf *btf, int id, const char *member, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || !(btf_is_struct(t) || btf_is_union(t)) || depth > 4)
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);

		if (name && !strcmp(name, member))
			return true;
		if ((!name || !name[0]) &&
		    btf_type_has_member(btf, (int)m[i].type, member, depth + 1))
			return true;
	}
	return false;
}

/* Does struct `type` in the kernel's BTF have a member named `member`? */
static bool btf_has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);

	return id > 0 && btf_type_has_member(btf, id, member, 0);
}

/*
 * btrfs_subvol_supported - whether the kernel's BTF, or the btrfs module's
 * (a module loaded now: libbpf relocates against the same files at load
 * time), describes what btrfs_subvol_dev() in the kernel program reads.
 * Without it the program's check is dead code and btrfs credentials are
 * watched by superblock and inode number only.
 */
bool sensor_btrfs_subvol_supported(const struct btf *vmlinux)
{
	struct btf *mod = NULL;
	const struct btf *btf = vmlinux;
	bool ok;

	if (btf__find_by_name_kind(vmlinux, "btrfs_inode", BTF_KIND_STRUCT) <= 0) {
		mod = btf__load_module_btf("btrfs", (struct btf *)vmlinux);
		if (!mod)
			return false;
		btf = mod;
	}
	ok = btf_has_member(btf, "btrfs_inode", "root") &&
	     btf_has_member(btf, "btrfs_inode", "vfs_inode") &&
	     btf_has_member(btf, "btrfs_root", "anon_dev");
	btf__free(mod);
	return ok;
}

bool sensor_has_helper(enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, id, NULL) == 1;
}

/*
 * io_uring_unsupported - why this kernel's io_uring completions cannot be
 * read, or NULL. The program needs the request in the completion
 * tracepoint (5.10 passes only ctx, user_data and res) and the 6.0+
 * request layout (the open's arguments in req->cmd, with file_slot).
 */
const char *sensor_io_uring_unsupported(const struct btf *vmlinux)
{
	if (!btf_has_member(vmlinux, "trace_event_raw_io_uring_complete", "req"))
		return "the io_uring_complete tracepoint carries no request on this kernel: "
		       "io_uring opens are not seen";
	if (!btf_has_member(vmlinux, "io_kiocb", "cmd") ||
	    !btf_has_member(vmlinux, "io_open", "file_slot"))
		return "io_uring request layout older than Linux 6.0: io_uring opens are not seen";
	return NULL;
}
