// SPDX-License-Identifier: Apache-2.0
/*
 * sensor.c - loads and attaches the credwatch BPF programs and drains
 * their events. What the kernel offers is probed in sensor_kernel.c; the
 * watched inode map and the other maps are kept in sensor_maps.c.
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
#include "sensor_int.h"

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
	if (!sensor_has_helper(BPF_FUNC_get_current_task_btf))
		o += (size_t)snprintf(missing + o, sizeof(missing) - o,
				      "%sno bpf_get_current_task_btf", o ? ", " : "");
	if (!sensor_has_helper(BPF_FUNC_task_pt_regs))
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
	s->btrfs_subvol = sensor_btrfs_subvol_supported(vmlinux);
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
	io_uring_why = sensor_io_uring_unsupported(vmlinux);
	for (int i = 0; i < SENSOR_HOOKS; i++) {
		s->hooks[i].name = hook_descs[i].name;
		bpf_program__set_autoload(progs[i].prog[!v], false);
		if (!sensor_tracepoint_exists(hook_descs[i].tp_dir))
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


int sensor_poll(struct sensor *s, int timeout_ms)
{
	int n, m;

	/*
	 * The kernel wakes us only once wakeup_bytes are queued (batched
	 * wakeups cost far less on the hit path), so after the wait always
	 * consume whatever is there.
	 */
	sensor_bloom_clean(s);
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
	sensor_bloom_clean(s);
	*more = m == SENSOR_BATCH_FULL;
	if (m == SENSOR_BATCH_FULL || m == -EINTR)
		return (int)s->batch_seen;
	return m;
}

int sensor_epoll_fd(const struct sensor *s)
{
	return ring_buffer__epoll_fd(s->rb);
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
