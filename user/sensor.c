// SPDX-License-Identifier: Apache-2.0
/*
 * sensor.c - loads and attaches the credwatch BPF programs, keeps the
 * watched inode map and its pre-filter bitmap in sync, drains events.
 *
 * open -> configure (map sizes, rodata, the program variant this kernel
 * runs, autoload off for absent tracepoints) -> load -> attach, as
 * libbpf-tools' opensnoop does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "ia32.h"
#include "log.h"
#include "sensor.h"

#define TRACEFS "/sys/kernel/tracing"

struct sensor {
	struct credwatch_bpf *skel;
	struct ring_buffer *rb;
	sensor_event_fn fn;
	void *ctx;
	int ncpus;
	/* how many watched inodes share each bitmap bit: clear at zero */
	uint16_t *bloom_refs;
	uint32_t bloom_log2;		/* bits in use, as published to the kernel */
	uint64_t watched;		/* entries in the watched map */
	uint64_t bloom_clean_at_ns;	/* drop bits of the old size after this; 0 none */
	struct sensor_hook_status hooks[SENSOR_HOOKS];
	char variant[192];		/* sensor_variant() */
	/* the batch sensor_consume() is filling */
	unsigned int batch_max, batch_seen;
	char ia32[320];			/* sensor_ia32() */
	bool ia32_attached;
	bool btrfs_subvol;		/* the kernel can tell btrfs subvolumes apart */
};

/* handle_event's "batch full" (never an errno libbpf or a callback returns) */
#define SENSOR_BATCH_FULL	(-4095)

struct hook_desc {
	const char *name;
	const char *tp_dir;	/* tracefs events/<tp_dir> */
};

/* Order matches sensor_progs() below. */
static const struct hook_desc hook_descs[SENSOR_HOOKS] = {
	{ "open", "syscalls/sys_exit_open" },
	{ "openat", "syscalls/sys_exit_openat" },
	{ "openat2", "syscalls/sys_exit_openat2" },
	{ "creat", "syscalls/sys_exit_creat" },
	{ "open_by_handle_at", "syscalls/sys_exit_open_by_handle_at" },
	{ "io_uring", "io_uring/io_uring_complete" },
};
#define HOOK_IO_URING 5

/*
 * Each hook's program in both variants (bpf/credwatch.bpf.c) and the
 * skeleton's link slots (destroyed with the skeleton); [0] fast, [1] compat.
 */
struct hook_progs {
	struct bpf_program *prog[2];
	struct bpf_link **link[2];
};

static void sensor_progs(struct credwatch_bpf *skel, struct hook_progs progs[SENSOR_HOOKS])
{
#define HOOK(i, name) do {							\
	progs[i].prog[0] = skel->progs.name;					\
	progs[i].link[0] = &skel->links.name;					\
	progs[i].prog[1] = skel->progs.name##__compat;				\
	progs[i].link[1] = &skel->links.name##__compat;				\
} while (0)
	HOOK(0, tracepoint__syscalls__sys_exit_open);
	HOOK(1, tracepoint__syscalls__sys_exit_openat);
	HOOK(2, tracepoint__syscalls__sys_exit_openat2);
	HOOK(3, tracepoint__syscalls__sys_exit_creat);
	HOOK(4, tracepoint__syscalls__sys_exit_open_by_handle_at);
	HOOK(HOOK_IO_URING, tracepoint__io_uring__io_uring_complete);
#undef HOOK
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && cw_log_level < CW_LOG_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && cw_log_level < CW_LOG_DEBUG)
		return 0;
	if (level == LIBBPF_WARN && cw_log_level < CW_LOG_DEBUG)
		return 0;	/* failures are reported once by the caller */
	return vfprintf(stderr, fmt, args);
}

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

/*
 * A negative return stops libbpf's loop after storing the consumer position
 * past this record (libbpf 1.1 ringbuf.c ringbuf_process_ring: the record
 * that returns an error counts as consumed), so a full batch stops here and
 * the rest stays queued for the next call.
 */
static int handle_event(void *ctx, void *data, size_t size)
{
	struct sensor *s = ctx;
	int err = 0;

	if (size >= CW_EVENT_HDR_SIZE)
		err = s->fn(s->ctx, data, size);
	if (err < 0)
		return err;
	if (s->batch_max && ++s->batch_seen >= s->batch_max)
		return SENSOR_BATCH_FULL;
	return 0;
}

static bool tracepoint_exists(const char *tp_dir)
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
static bool btrfs_subvol_supported(const struct btf *vmlinux)
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

static bool has_helper(enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, id, NULL) == 1;
}

/*
 * choose_variant - 0 for the fast programs, 1 for compat, or -errno.
 * The fast set needs three things the compat set does without, each
 * probed on the running kernel rather than guessed from its version
 * (distributions backport): the bpf_rdonly_cast kfunc in the kernel's BTF
 * (6.2+), and the helpers bpf_get_current_task_btf (5.11+) and
 * bpf_task_pt_regs (5.15+) for tracepoint programs.
 */
static int choose_variant(struct sensor *s, const char *want, const struct btf *vmlinux)
{
	char missing[128] = "";
	size_t o = 0;

	if (btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) <= 0)
		o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%sno bpf_rdonly_cast",
				      o ? ", " : "");
	if (!has_helper(BPF_FUNC_get_current_task_btf))
		o += (size_t)snprintf(missing + o, sizeof(missing) - o,
				      "%sno bpf_get_current_task_btf", o ? ", " : "");
	if (!has_helper(BPF_FUNC_task_pt_regs))
		o += (size_t)snprintf(missing + o, sizeof(missing) - o, "%sno bpf_task_pt_regs",
				      o ? ", " : "");
	if (want && !strcmp(want, "fast")) {
		if (o) {
			log_error("sensor: --bpf-variant fast: this kernel has %s (Linux 6.2+ "
				  "has all three); use auto or compat", missing);
			return -ENOTSUP;
		}
		snprintf(s->variant, sizeof(s->variant), "fast (--bpf-variant fast)");
		return 0;
	}
	if (want && !strcmp(want, "compat")) {
		snprintf(s->variant, sizeof(s->variant), "compat (--bpf-variant compat%s%s)",
			 o ? "; the kernel has " : "", missing);
		return 1;
	}
	if (o) {
		snprintf(s->variant, sizeof(s->variant),
			 "compat (%s: probe reads, syscall registers from the kernel stack)",
			 missing);
		return 1;
	}
	snprintf(s->variant, sizeof(s->variant),
		 "fast (bpf_rdonly_cast, bpf_get_current_task_btf, bpf_task_pt_regs)");
	return 0;
}

/*
 * io_uring_unsupported - why this kernel's io_uring completions cannot be
 * read, or NULL. The program needs the request in the completion
 * tracepoint (5.10 passes only ctx, user_data and res) and the 6.0+
 * request layout (the open's arguments in req->cmd, with file_slot).
 */
static const char *io_uring_unsupported(const struct btf *vmlinux)
{
	if (!btf_has_member(vmlinux, "trace_event_raw_io_uring_complete", "req"))
		return "the io_uring_complete tracepoint carries no request on this kernel: "
		       "io_uring opens are not seen";
	if (!btf_has_member(vmlinux, "io_kiocb", "cmd") ||
	    !btf_has_member(vmlinux, "io_open", "file_slot"))
		return "io_uring request layout older than Linux 6.0: io_uring opens are not seen";
	return NULL;
}

/*
 * The host's mount namespace, from the kernel: attach the getppid program,
 * make the call, detach. Without it (no such tracepoint, a chain past
 * CW_HOST_WALK) events carry no CW_EVF_MNTNS_KNOWN and attribution falls
 * back to <host-root>/proc/1/ns/mnt.
 */
static void learn_host_mnt_ns(struct sensor *s)
{
	struct bpf_link *link;

	link = bpf_program__attach(s->skel->progs.tracepoint__syscalls__sys_exit_getppid);
	if (!link) {
		log_warn("sensor: syscalls:sys_exit_getppid: %s: the host's mount namespace "
			 "comes from /proc/1/ns/mnt", strerror(errno));
		return;
	}
	for (int i = 0; i < 3 && !s->skel->bss->host_mnt_ns; i++)
		syscall(SYS_getppid);
	bpf_link__destroy(link);
	if (!s->skel->bss->host_mnt_ns)
		log_warn("sensor: the host's mount namespace was not found by the kernel: "
			 "proc.is_host_mntns comes from /proc/1/ns/mnt");
}

#if defined(__x86_64__)
/* The ia32 entry points of the opens, in the order of ia32_progs() below. */
#define IA32_HOOKS 5
static const char *const ia32_targets[IA32_HOOKS] = {
	"__ia32_compat_sys_open", "__ia32_compat_sys_openat", "__ia32_sys_openat2",
	"__ia32_sys_creat", "__ia32_compat_sys_open_by_handle_at",
};

static void ia32_progs(struct credwatch_bpf *skel, struct hook_progs fexit[IA32_HOOKS],
		       struct hook_progs *raw)
{
#define IA32_HOOK(p, name) do {							\
	(p).prog[0] = skel->progs.name;						\
	(p).link[0] = &skel->links.name;					\
	(p).prog[1] = skel->progs.name##__compat;				\
	(p).link[1] = &skel->links.name##__compat;				\
} while (0)
	IA32_HOOK(fexit[0], fexit__ia32_open);
	IA32_HOOK(fexit[1], fexit__ia32_openat);
	IA32_HOOK(fexit[2], fexit__ia32_openat2);
	IA32_HOOK(fexit[3], fexit__ia32_creat);
	IA32_HOOK(fexit[4], fexit__ia32_open_by_handle_at);
	IA32_HOOK(*raw, raw_tracepoint__sys_exit_ia32);
#undef IA32_HOOK
}

enum ia32_plan { IA32_NONE, IA32_FEXIT, IA32_RAW };

/*
 * ia32_configure - decide how 32-bit opens are seen (bpf/credwatch.bpf.c
 * says why they need their own programs) and set autoload accordingly.
 * fexit where tracing programs load (no cost to 64-bit syscalls), with the
 * raw_syscalls program loaded as its fallback; raw_syscalls alone
 * elsewhere; nothing where the kernel does not run 32-bit code or
 * --ia32-syscalls is off. Returns the plan, or -ENOTSUP when
 * --ia32-syscalls fexit cannot be honoured (logged).
 */
static int ia32_configure(struct sensor *s, const char *mode, const struct btf *vmlinux, int v)
{
	struct hook_progs fexit[IA32_HOOKS], raw;
	enum ia32_state state;
	bool entries = true, some = false, tracing;
	char why[192];

	ia32_progs(s->skel, fexit, &raw);
	for (int i = 0; i < IA32_HOOKS; i++) {
		bool has = btf__find_by_name_kind(vmlinux, ia32_targets[i], BTF_KIND_FUNC) > 0;

		entries &= has;
		some |= has;
		bpf_program__set_autoload(fexit[i].prog[0], false);
		bpf_program__set_autoload(fexit[i].prog[1], false);
	}
	bpf_program__set_autoload(raw.prog[0], false);
	bpf_program__set_autoload(raw.prog[1], false);
	if (mode && !strcmp(mode, "off")) {
		snprintf(s->ia32, sizeof(s->ia32), "not watched (--ia32-syscalls off): 32-bit "
			 "opens are not seen");
		return IA32_NONE;
	}
	state = ia32_probe(some, why, sizeof(why));
	if (state == IA32_REFUSED) {
		snprintf(s->ia32, sizeof(s->ia32), "32-bit syscalls are refused by this kernel "
			 "(%s): no program attached", why);
		return IA32_NONE;
	}
	tracing = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL) == 1;
	if (mode && !strcmp(mode, "fexit") && (!tracing || !entries)) {
		log_error("sensor: --ia32-syscalls fexit: %s; use auto or raw_syscalls",
			  !tracing ? "tracing (fexit) programs do not load on this kernel" :
			  "the kernel's BTF lacks an ia32 open entry point");
		return -ENOTSUP;
	}
	snprintf(s->ia32, sizeof(s->ia32), "%s (%s)", state == IA32_RUNS ?
		 "this kernel runs 32-bit syscalls" : "the kernel may run 32-bit syscalls", why);
	if (tracing && entries && !(mode && !strcmp(mode, "raw_syscalls"))) {
		for (int i = 0; i < IA32_HOOKS; i++)
			bpf_program__set_autoload(fexit[i].prog[v], true);
		if (!mode || strcmp(mode, "fexit"))
			bpf_program__set_autoload(raw.prog[v], true);	/* the fallback */
		return IA32_FEXIT;
	}
	bpf_program__set_autoload(raw.prog[v], true);
	return IA32_RAW;
}

/* Attach what ia32_configure() planned; say which took. */
static void ia32_attach(struct sensor *s, int plan, int v)
{
	struct hook_progs fexit[IA32_HOOKS], raw;
	size_t o = strlen(s->ia32);
	struct bpf_link *link;
	int err = 0;

	if (plan == IA32_NONE)
		return;
	ia32_progs(s->skel, fexit, &raw);
	if (plan == IA32_FEXIT) {
		for (int i = 0; i < IA32_HOOKS && !err; i++) {
			link = bpf_program__attach(fexit[i].prog[v]);
			if (!link) {
				err = -errno;
				break;
			}
			*fexit[i].link[v] = link;
		}
		if (!err) {
			snprintf(s->ia32 + o, sizeof(s->ia32) - o, ": fexit on the ia32 entry points "
				 "of open, openat, openat2, creat, open_by_handle_at (64-bit syscalls "
				 "pay nothing)");
			s->ia32_attached = true;
			return;
		}
		for (int i = 0; i < IA32_HOOKS; i++) {
			bpf_link__destroy(*fexit[i].link[v]);
			*fexit[i].link[v] = NULL;
		}
		if (!bpf_program__autoload(raw.prog[v])) {
			snprintf(s->ia32 + o, sizeof(s->ia32) - o, ": fexit attach failed (%s): "
				 "32-bit opens are NOT seen", strerror(-err));
			log_warn("sensor: ia32: %s", s->ia32);
			return;
		}
		o += (size_t)snprintf(s->ia32 + o, sizeof(s->ia32) - o, ": fexit attach failed "
				      "(%s)", strerror(-err));
	}
	link = bpf_program__attach(raw.prog[v]);
	if (!link) {
		err = -errno;
		snprintf(s->ia32 + o, sizeof(s->ia32) - o, ": attaching raw_syscalls:sys_exit "
			 "failed (%s): 32-bit opens are NOT seen", strerror(-err));
		log_warn("sensor: ia32: %s", s->ia32);
		return;
	}
	*raw.link[v] = link;
	snprintf(s->ia32 + o, sizeof(s->ia32) - o, ": a raw_syscalls:sys_exit program "
		 "(%s; it runs on every syscall of the node and returns at once from 64-bit ones)",
		 plan == IA32_FEXIT ? "instead" : "tracing programs do not load here");
	s->ia32_attached = true;
}
#else
static int ia32_configure(struct sensor *s, const char *mode, const struct btf *vmlinux, int v)
{
	(void)mode;
	(void)vmlinux;
	(void)v;
	snprintf(s->ia32, sizeof(s->ia32), "not an x86-64 kernel: no 32-bit x86 syscalls");
	return 0;
}

static void ia32_attach(struct sensor *s, int plan, int v)
{
	(void)s;
	(void)plan;
	(void)v;
}
#endif

/* Load-time settings: repeat window, budget and reserve (bpf/credwatch.bpf.c). */
static void set_rodata(struct sensor *s, const struct sensor_opts *opts)
{
	const struct budget *b = opts->budget;

	if (opts->wakeup_bytes)
		s->skel->rodata->wakeup_bytes = opts->wakeup_bytes;
	s->skel->rodata->repeat_window_ns = opts->repeat_window_ns;
	if (b && !b->off) {
		s->skel->rodata->budget_step_ns = b->step_ns;
		s->skel->rodata->budget_burst_ns = b->burst_ns;
		s->skel->rodata->budget_quiet_ns = b->quiet_ns;
		s->skel->rodata->reserve_bytes = b->reserve_bytes;
	}
}

int sensor_open(struct sensor **out, const struct sensor_opts *opts,
		sensor_event_fn fn, void *ctx)
{
	struct hook_progs progs[SENSOR_HOOKS];
	struct btf *vmlinux = NULL;
	const char *io_uring_why;
	struct sensor *s;
	int err, v, ia32_plan, attached = 0;

	*out = NULL;
	libbpf_set_print(libbpf_print);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->ctx = ctx;
	s->ncpus = libbpf_num_possible_cpus();
	s->bloom_refs = calloc(1u << CW_BLOOM_BITS_LOG2, sizeof(*s->bloom_refs));
	s->bloom_log2 = CW_BLOOM_MIN_LOG2;
	if (s->ncpus <= 0 || !s->bloom_refs) {
		err = -ENOMEM;
		goto cleanup;
	}

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		err = -errno;
		log_error("sensor: reading the kernel's BTF (/sys/kernel/btf/vmlinux): %s",
			  strerror(-err));
		goto cleanup;
	}
	s->btrfs_subvol = btrfs_subvol_supported(vmlinux);
	v = choose_variant(s, opts->variant, vmlinux);
	if (v < 0) {
		err = v;
		goto cleanup;
	}

	s->skel = credwatch_bpf__open();
	if (!s->skel) {
		err = -errno;
		log_error("sensor: opening BPF object: %s", strerror(-err));
		goto cleanup;
	}
	if (opts->max_watched)
		bpf_map__set_max_entries(s->skel->maps.watched, opts->max_watched);
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(s->skel->maps.events, opts->ringbuf_bytes);
	set_rodata(s, opts);

	/* only the chosen set is loaded: the verifier never sees the other */
	sensor_progs(s->skel, progs);
	io_uring_why = io_uring_unsupported(vmlinux);
	for (int i = 0; i < SENSOR_HOOKS; i++) {
		s->hooks[i].name = hook_descs[i].name;
		bpf_program__set_autoload(progs[i].prog[!v], false);
		if (!tracepoint_exists(hook_descs[i].tp_dir))
			snprintf(s->hooks[i].reason, sizeof(s->hooks[i].reason),
				 "tracepoint %s absent on this kernel", hook_descs[i].tp_dir);
		else if (i == HOOK_IO_URING && io_uring_why)
			snprintf(s->hooks[i].reason, sizeof(s->hooks[i].reason), "%s",
				 io_uring_why);
		else
			continue;
		log_warn("sensor: %s: not attached: %s", hook_descs[i].name, s->hooks[i].reason);
		bpf_program__set_autoload(progs[i].prog[v], false);
	}
	ia32_plan = ia32_configure(s, opts->ia32, vmlinux, v);
	if (ia32_plan < 0) {
		err = ia32_plan;
		goto cleanup;
	}

	err = credwatch_bpf__load(s->skel);
	if (err) {
		log_error("sensor: loading BPF programs (%s variant): %s%s",
			  v ? "compat" : "fast", strerror(-err),
			  err == -EPERM ? " (run as root or grant CAP_BPF, CAP_PERFMON)" :
			  " (run with -v for the verifier log)");
		goto cleanup;
	}
	for (int i = 0; i < SENSOR_HOOKS; i++) {
		struct bpf_link *link;

		if (!bpf_program__autoload(progs[i].prog[v]))
			continue;
		link = bpf_program__attach(progs[i].prog[v]);
		if (!link) {
			err = -errno;
			snprintf(s->hooks[i].reason, sizeof(s->hooks[i].reason),
				 "attach failed: %s", strerror(-err));
			log_warn("sensor: %s: not attached: %s", hook_descs[i].name,
				 s->hooks[i].reason);
			continue;
		}
		*progs[i].link[v] = link;
		s->hooks[i].attached = true;
		attached++;
	}
	if (!attached) {
		log_error("sensor: no open hook could be attached");
		err = -ENOENT;
		goto cleanup;
	}
	ia32_attach(s, ia32_plan, v);
	learn_host_mnt_ns(s);

	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), handle_event, s, NULL);
	if (!s->rb) {
		err = -errno;
		log_error("sensor: creating ring buffer reader: %s", strerror(-err));
		goto cleanup;
	}
	btf__free(vmlinux);
	*out = s;
	return 0;

cleanup:
	btf__free(vmlinux);
	sensor_free(s);
	return err;
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	credwatch_bpf__destroy(s->skel);
	free(s->bloom_refs);
	free(s);
}

static void bloom_clean(struct sensor *s);

int sensor_poll(struct sensor *s, int timeout_ms)
{
	int n, m;

	/*
	 * The kernel wakes us only once wakeup_bytes are queued (batched
	 * wakeups cost far less on the hit path), so after the wait always
	 * consume whatever is there.
	 */
	bloom_clean(s);
	s->batch_max = 0;
	n = ring_buffer__poll(s->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(s->rb);
	if (m < 0 && m != -EINTR)
		return m;
	return (n > 0 ? n : 0) + (m > 0 ? m : 0);
}

int sensor_consume(struct sensor *s, unsigned int max, bool *more)
{
	int m;

	s->batch_max = max;
	s->batch_seen = 0;
	m = ring_buffer__consume(s->rb);
	s->batch_max = 0;
	bloom_clean(s);
	*more = m == SENSOR_BATCH_FULL;
	if (m == SENSOR_BATCH_FULL || m == -EINTR)
		return (int)s->batch_seen;
	return m;
}

int sensor_epoll_fd(const struct sensor *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

static void bloom_set(struct sensor *s, uint32_t bit, bool on)
{
	__u64 *word = &s->skel->bss->bloom[bit / 64];
	__u64 mask = 1ULL << (bit & 63);

	if (on)
		__atomic_fetch_or(word, mask, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(word, ~mask, __ATOMIC_RELAXED);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Double the bitmap while it is more than 1/16 full (a false positive costs
 * one hash lookup). Safe against the kernel reading concurrently:
 *  1. set every entry's bit for the new size, only adding bits, so a
 *     program still using the old size sees extra bits, never fewer;
 *  2. publish the new size;
 *  3. a grace period later (no program runs for 100 ms), rewrite every word
 *     from the reference counts, which drops the old size's stale bits.
 */
static void bloom_maybe_grow(struct sensor *s)
{
	struct cw_inode_key key, next;
	uint32_t log2 = s->bloom_log2;
	int fd = bpf_map__fd(s->skel->maps.watched);
	void *prev = NULL;

	while (log2 < CW_BLOOM_BITS_LOG2 && s->watched * 16 > (1ULL << log2))
		log2++;
	if (log2 == s->bloom_log2)
		return;
	memset(s->bloom_refs, 0, sizeof(*s->bloom_refs) << log2);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		uint32_t bit = cw_bloom_bit(next.ino, next.dev, log2);

		if (s->bloom_refs[bit] < UINT16_MAX)
			s->bloom_refs[bit]++;
		bloom_set(s, bit, true);
		key = next;
		prev = &key;
	}
	__atomic_store_n(&s->skel->data->bloom_bits_log2, log2, __ATOMIC_RELEASE);
	s->bloom_log2 = log2;
	s->bloom_clean_at_ns = mono_ns() + 100000000ULL;
}

static void bloom_clean(struct sensor *s)
{
	uint32_t words = (1u << s->bloom_log2) / 64;

	if (!s->bloom_clean_at_ns || mono_ns() < s->bloom_clean_at_ns)
		return;
	for (uint32_t w = 0; w < words; w++) {
		__u64 v = 0;

		for (int b = 0; b < 64; b++)
			if (s->bloom_refs[w * 64 + b])
				v |= 1ULL << b;
		__atomic_store_n(&s->skel->bss->bloom[w], v, __ATOMIC_RELAXED);
	}
	s->bloom_clean_at_ns = 0;
}

/* Insert or replace one entry of the watched map and count its bitmap bit once. */
static int map_put(struct sensor *s, const struct cw_inode_key *key,
		   const struct cw_watch_val *val, bool existed)
{
	uint32_t bit = cw_bloom_bit(key->ino, key->dev, s->bloom_log2);

	/* map first, then the bit: the kernel never sees a bit without an entry */
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.watched), key, val, BPF_ANY))
		return -errno;
	if (!existed) {
		if (s->bloom_refs[bit] < UINT16_MAX)
			s->bloom_refs[bit]++;
		bloom_set(s, bit, true);
		s->watched++;
		bloom_maybe_grow(s);
	}
	return 0;
}

static int map_drop(struct sensor *s, const struct cw_inode_key *key)
{
	uint32_t bit = cw_bloom_bit(key->ino, key->dev, s->bloom_log2);

	if (bpf_map_delete_elem(bpf_map__fd(s->skel->maps.watched), key))
		return -errno;
	if (s->watched)
		s->watched--;
	/* a saturated count stays set forever: only costs a map lookup */
	if (s->bloom_refs[bit] && s->bloom_refs[bit] < UINT16_MAX &&
	    --s->bloom_refs[bit] == 0)
		bloom_set(s, bit, false);
	return 0;
}

static bool map_get(struct sensor *s, const struct cw_inode_key *key, struct cw_watch_val *val)
{
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.watched), key, val) == 0;
}

int sensor_watch_add(struct sensor *s, uint64_t ino, uint32_t kdev,
		     uint32_t cred_id, uint32_t kind)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };
	struct cw_watch_val val = { .cred_id = cred_id, .kind = (uint16_t)kind };
	struct cw_watch_val old;

	return map_put(s, &key, &val, map_get(s, &key, &old));
}

int sensor_watch_add_alias(struct sensor *s, uint64_t ino, uint32_t kdev,
			   uint32_t cred_id, uint32_t kind)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };
	struct cw_watch_val val = { .cred_id = cred_id, .kind = (uint16_t)kind };
	struct cw_watch_val old;

	if (map_get(s, &key, &old))
		return old.cred_id == cred_id ? 0 : -EEXIST;
	return map_put(s, &key, &val, false);
}

int sensor_watch_del(struct sensor *s, uint64_t ino, uint32_t kdev)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };

	return map_drop(s, &key);
}

int sensor_watch_del_owned(struct sensor *s, uint64_t ino, uint32_t kdev, uint32_t cred_id)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };
	struct cw_watch_val old;

	if (!map_get(s, &key, &old))
		return -ENOENT;
	if (old.cred_id != cred_id || (old.flags & CW_WATCH_SUBVOL))
		return 0;		/* another credential's own key: not ours to drop */
	return map_drop(s, &key);
}

bool sensor_btrfs_subvol(const struct sensor *s)
{
	return s->btrfs_subvol;
}

int sensor_watch_add_subvol(struct sensor *s, uint64_t ino, uint32_t sb_kdev,
			    uint32_t subvol_kdev, uint32_t cred_id, uint32_t kind)
{
	struct cw_inode_key marker = { .ino = ino, .dev = sb_kdev };
	struct cw_inode_key key = { .ino = ino, .dev = subvol_kdev };
	struct cw_watch_val val = { .cred_id = cred_id, .kind = (uint16_t)kind };
	struct cw_watch_val mval = { .flags = CW_WATCH_SUBVOL }, old;
	bool had_marker, had_key;
	int err;

	if (!s->btrfs_subvol)
		return -EOPNOTSUPP;
	had_key = map_get(s, &key, &old);
	err = map_put(s, &key, &val, had_key);
	if (err || had_key)
		return err;	/* a known key (a new kind): the marker already counts it */
	/* the marker's cred_id counts the credentials behind it (credwatch.h) */
	had_marker = map_get(s, &marker, &old) && (old.flags & CW_WATCH_SUBVOL);
	mval.cred_id = had_marker ? old.cred_id + 1 : 1;
	err = map_put(s, &marker, &mval, had_marker);
	if (err)
		map_drop(s, &key);
	return err;
}

int sensor_watch_del_subvol(struct sensor *s, uint64_t ino, uint32_t sb_kdev,
			    uint32_t subvol_kdev)
{
	struct cw_inode_key marker = { .ino = ino, .dev = sb_kdev };
	struct cw_watch_val mval;
	int err = sensor_watch_del(s, ino, subvol_kdev);

	if (!map_get(s, &marker, &mval) || !(mval.flags & CW_WATCH_SUBVOL))
		return err;
	if (mval.cred_id > 1) {
		mval.cred_id--;
		return map_put(s, &marker, &mval, true) ?: err;
	}
	return map_drop(s, &marker) ?: err;
}

static void sum_percpu(struct sensor *s, struct bpf_map *map, uint64_t *out, int n)
{
	uint64_t *vals = calloc((size_t)s->ncpus, sizeof(*vals));

	for (int i = 0; i < n; i++) {
		uint32_t key = i;

		out[i] = 0;
		if (!vals || bpf_map_lookup_elem(bpf_map__fd(map), &key, vals))
			continue;
		for (int c = 0; c < s->ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
}

void sensor_drops(struct sensor *s, uint64_t drops[CW_DROP__MAX])
{
	sum_percpu(s, s->skel->maps.drops, drops, CW_DROP__MAX);
}

void sensor_stats(struct sensor *s, uint64_t stats[CW_STAT__MAX])
{
	sum_percpu(s, s->skel->maps.stats, stats, CW_STAT__MAX);
}

int sensor_repeat_lookup(struct sensor *s, const struct cw_repeat_key *key,
			 struct cw_repeat_val *val)
{
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.repeats), key, val))
		return -errno;
	return 0;
}

void sensor_repeat_delete(struct sensor *s, const struct cw_repeat_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.repeats), key);
}

int sensor_budgets(struct sensor *s, sensor_budget_fn fn, void *ctx)
{
	int fd = bpf_map__fd(s->skel->maps.budgets), ret;
	uint64_t key, next;
	struct cw_budget b;
	void *prev = NULL;

	/* bounded: an LRU map holds at most CW_BUDGETS_MAX keys */
	for (int n = 0; n < CW_BUDGETS_MAX && !bpf_map_get_next_key(fd, prev, &next); n++) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &b))
			continue;	/* evicted meanwhile */
		ret = fn(ctx, key, &b);
		if (ret)
			return ret;
	}
	return 0;
}

const char *sensor_ia32(const struct sensor *s)
{
	return s->ia32;
}

bool sensor_ia32_attached(const struct sensor *s)
{
	return s->ia32_attached;
}

const struct sensor_hook_status *sensor_hooks(const struct sensor *s, int *count)
{
	*count = SENSOR_HOOKS;
	return s->hooks;
}

const char *sensor_variant(const struct sensor *s)
{
	return s->variant;
}
