// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * credwatch.bpf.c - the sensor: every successful open of a watched inode.
 *
 * One program per syscall exit (open, openat, openat2, creat,
 * open_by_handle_at) plus io_uring completions, all funnelled into
 * handle_open(). The miss path - what every other open on the node pays -
 * is a few direct BTF loads, one bit test in .bss and no helper call; only
 * a bitmap hit consults the hash map, and only a map hit builds an event.
 *
 * Only tracepoints: kprobes, fentry and BPF LSM are not available on the
 * kernels we target (shared/DESIGN.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "credwatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Wake the reader only once this much is queued; it also polls on a timer. */
const volatile __u64 wakeup_bytes = 64 * 1024;

/* Pre-filter: one bit per cw_bloom_bit(); userspace keeps it in sync. */
__u64 bloom[CW_BLOOM_WORDS] SEC(".bss");
/* Bits in use (log2); userspace only ever raises it, after setting the new bits. */
__u32 bloom_bits_log2 SEC(".data") = CW_BLOOM_MIN_LOG2;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct cw_inode_key);
	__type(value, struct cw_watch_val);
	__uint(max_entries, 65536);	/* set by the agent: --max-watched */
} watched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);	/* set by the agent: --ringbuf-bytes */
} events SEC(".maps");

/* An event is built here: it is too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cw_event);
	__uint(max_entries, 1);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CW_DROP__MAX);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CW_STAT__MAX);
} stats SEC(".maps");

/* Verifier-inlined cast: lets us use direct loads on a probe-read pointer. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline void count(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		*v += 1;
}

static __always_inline int count_drop(__u32 reason)
{
	count(&drops, reason);
	return 0;
}

/*
 * extract__file_from_fd - the struct file behind fd in the current task.
 * The verifier allows no variable offset into a BTF-typed pointer, so the
 * fd array slot cannot be indexed directly. Its address is plain
 * arithmetic, though, and bpf_rdonly_cast() turns any address into an
 * untrusted BTF pointer whose loads the JIT makes fault-safe: cast the slot
 * to a struct whose first member is a struct file * (struct kiocb's
 * ki_filp) and load it. That saves the bpf_probe_read_kernel() helper
 * call every open on the node used to pay (about 10 ns of the miss path).
 */
static __always_inline struct file *extract__file_from_fd(struct task_struct *task, long fd)
{
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct kiocb *slot;
	struct file *file;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || (unsigned long)fd >= fdt->max_fds)
		return NULL;
	if (bpf_core_field_offset(struct kiocb, ki_filp) != 0) {
		/* a kernel that moved ki_filp: the helper still works */
		file = NULL;
		if (bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]) || !file)
			return NULL;
		return bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	}
	slot = bpf_rdonly_cast((void *)((unsigned long)fdt->fd + fd * sizeof(struct file *)),
			       bpf_core_type_id_kernel(struct kiocb));
	file = slot->ki_filp;
	return file;
}

/* extract__exe_path - walk the exe's dentries right to left into e->data. */
static __always_inline void extract__exe_path(struct task_struct *task, struct cw_event *e)
{
	struct mm_struct *mm = task->mm;
	struct dentry *dentry, *parent;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct file *exe;
	__u32 pos = CW_EXE_MAX - 1;

	e->data[pos] = '\0';
	e->exe_off = pos;
	e->exe_len = 1;
	if (!mm || !(exe = mm->exe_file))
		return;
	dentry = exe->f_path.dentry;
	vfsmnt = exe->f_path.mnt;
	mnt = bpf_rdonly_cast((void *)((unsigned long)vfsmnt -
				       bpf_core_field_offset(struct mount, mnt)),
			      bpf_core_type_id_kernel(struct mount));
	for (int i = 0; i < CW_EXE_DEPTH; i++) {
		struct mount *mnt_parent;
		const unsigned char *name;
		__u32 len;

		if (dentry == vfsmnt->mnt_root) {
			mnt_parent = mnt->mnt_parent;
			if (mnt_parent == mnt)
				break;		/* the root of the whole tree */
			dentry = mnt->mnt_mountpoint;
			mnt = mnt_parent;
			vfsmnt = &mnt->mnt;
			continue;
		}
		parent = dentry->d_parent;
		if (parent == dentry)
			break;
		len = dentry->d_name.len;
		name = dentry->d_name.name;
		if (len + 1 > pos) {
			e->flags |= CW_EVF_EXE_TRUNC;
			break;
		}
		pos -= len;
		pos &= CW_EXE_MAX - 1;
		if (bpf_probe_read_kernel(&e->data[pos], len & (CW_EXE_MAX - 1), name))
			break;
		pos -= 1;
		pos &= CW_EXE_MAX - 1;
		e->data[pos] = '/';
		dentry = parent;
		if (i == CW_EXE_DEPTH - 1)
			e->flags |= CW_EVF_EXE_TRUNC;
	}
	e->exe_off = pos;
	e->exe_len = CW_EXE_MAX - pos;
}

/* extract__args - argv of the current process, NUL-separated, bounded. */
static __always_inline void extract__args(struct task_struct *task, struct cw_event *e)
{
	struct mm_struct *mm = task->mm;
	unsigned long start, end, len;

	e->args_len = 0;
	if (!mm)
		return;
	start = mm->arg_start;
	end = mm->arg_end;
	if (end <= start)
		return;
	len = end - start;
	if (len > CW_ARGS_MAX) {
		len = CW_ARGS_MAX;
		e->flags |= CW_EVF_ARGS_TRUNC;
	}
	if (bpf_probe_read_user(&e->data[CW_ARGS_OFF], len & (CW_ARGS_MAX - 1 + CW_ARGS_MAX),
				(void *)start))
		return;
	e->args_len = len;
}

/*
 * CW_EVF_NSINIT(i) when t's process is pid 1 of its own (innermost) pid
 * namespace, CW_EVF_HOSTPID(i) when that namespace is the initial one. The
 * numbers[] index is the pid's level, so the address is computed from the
 * pointer read as a value (the verifier forbids variable offsets on typed
 * kernel pointers). Hit path only.
 */
static __always_inline __u32 pidns_flags(struct task_struct *t, int i)
{
	struct pid *pid = BPF_CORE_READ(t, group_leader, thread_pid);
	unsigned int level;
	int nr = 0;

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	if (bpf_core_read(&nr, sizeof(nr), &pid->numbers[level & 31].nr))
		return 0;
	return (nr == 1 ? CW_EVF_NSINIT(i) : 0) | (level == 0 ? CW_EVF_HOSTPID(i) : 0);
}

static __always_inline void fill_task(struct task_struct *task, struct cw_event *e)
{
	struct task_struct *p;
	struct tty_struct *tty;
	struct signal_struct *sig = task->signal;
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();

	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->euid = task->cred->euid.val;
	e->loginuid = task->loginuid.val;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->mnt_ns = task->nsproxy->mnt_ns->ns.inum;
	e->pid_ns = task->nsproxy->pid_ns_for_children->ns.inum;
	/*
	 * The reader's root directory, as the kernel resolves its paths: user
	 * space finds it again by (device, inode) among its own mounts, without
	 * /proc/<pid>/root (a ptrace access check the agent's capabilities do
	 * not pass) and after a short-lived reader has exited (user/rootfs.h).
	 */
	e->root_dev = task->fs->root.mnt->mnt_sb->s_dev;
	e->root_ino = task->fs->root.dentry->d_inode->i_ino;
	e->sid = sig->pids[PIDTYPE_SID]->numbers[0].nr;
	e->tty = 0;
	tty = sig->tty;
	if (tty)
		e->tty = ((__u32)tty->driver->major << 20) |
			 (__u32)(tty->driver->minor_start + tty->index);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags |= pidns_flags(task, 0);

	p = task->real_parent;
	for (int i = 0; i < CW_ANCESTORS; i++) {
		if (!p || p->tgid == 0) {
			e->anc[i].tgid = 0;
			e->anc[i].comm[0] = '\0';
			continue;
		}
		e->anc[i].tgid = p->tgid;
		bpf_probe_read_kernel(e->anc[i].comm, CW_COMM_LEN, p->comm);
		e->flags |= pidns_flags(p, i + 1);
		p = p->real_parent;
	}
}

/*
 * Path argument and flags as the process passed them, read from the
 * syscall's saved user registers: only on a hit, never on the miss path.
 */
static __always_inline void fill_args(struct task_struct *task, struct cw_event *e, __u16 sys)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	const char *path = NULL;
	long n;

	switch (sys) {
	case CW_SYS_OPEN:
		path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->open_flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case CW_SYS_OPENAT:
		path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->open_flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case CW_SYS_OPENAT2: {
		struct open_how *how = (struct open_how *)PT_REGS_PARM3_CORE_SYSCALL(regs);

		path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		bpf_probe_read_user(&e->open_flags, sizeof(e->open_flags), &how->flags);
		break;
	}
	case CW_SYS_CREAT:
		path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->open_flags = 0100 | 01 | 01000;	/* O_CREAT|O_WRONLY|O_TRUNC */
		break;
	case CW_SYS_OPEN_BY_HANDLE_AT:
		e->open_flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	default:
		break;
	}
	e->path_len = 0;
	if (!path) {
		e->flags |= CW_EVF_NO_PATH_ARG;
		return;
	}
	n = bpf_probe_read_user_str(&e->data[CW_PATH_OFF], CW_PATH_MAX, path);
	if (n <= 0) {
		e->flags |= CW_EVF_PATH_FAULT;
		return;
	}
	e->path_len = n;
}

/*
 * emit - copy the event into the ring buffer, waking the reader only when
 * the queued bytes cross a multiple of wakeup_bytes. A wakeup is an
 * irq_work, i.e. a self-IPI: on a VM an APIC MSR write that traps to the
 * hypervisor. Waking on every event once the reader lags (as "queued >=
 * wakeup_bytes" did) spent over a third of the producer's CPU there and
 * made the lag, and the drops, worse. Crossing a multiple rather than the
 * threshold once keeps waking (once per wakeup_bytes) a reader that
 * somehow slept through the first crossing; the reader's poll timeout
 * covers the rest.
 */
static __always_inline int emit(struct cw_event *e)
{
	__u64 size = CW_EVENT_HDR_SIZE + CW_PATH_OFF + e->path_len;
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u64 queued, step = wakeup_bytes;

	if (size > sizeof(*e))
		size = sizeof(*e);
	queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (!step)
		flags = 0;		/* the kernel's default: wake an idle reader */
	else if (queued / step != (queued + size) / step)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, e, size, flags))
		return count_drop(CW_DROP_RINGBUF);
	return 0;
}

/*
 * handle_open - the one handler every hook shares.
 * @fd:  the descriptor the syscall (or io_uring request) returned
 * @sys: enum cw_syscall
 * @io_flags: open flags known from the io_uring request, else 0
 */
static __always_inline int handle_open(long fd, __u16 sys, __u64 io_flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cw_inode_key key = {};
	struct cw_watch_val *val;
	struct file *file;
	struct inode *inode;
	struct cw_event *e;
	__u32 bit, zero = 0;

	file = extract__file_from_fd(task, fd);
	if (!file)
		return 0;
	inode = file->f_inode;
	if (!inode)
		return 0;
	key.ino = inode->i_ino;
	key.dev = inode->i_sb->s_dev;
	bit = cw_bloom_bit(key.ino, key.dev, bloom_bits_log2);
	if (!(bloom[(bit / 64) & (CW_BLOOM_WORDS - 1)] & (1ULL << (bit & 63))))
		return 0;		/* miss: what every other open pays */

	count(&stats, CW_STAT_BLOOM_PASS);
	val = bpf_map_lookup_elem(&watched, &key);
	if (!val)
		return 0;
	count(&stats, CW_STAT_HITS);

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return count_drop(CW_DROP_SCRATCH);
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->ino = key.ino;
	e->dev = key.dev;
	e->ret = fd;
	e->cred_id = val->cred_id;
	e->syscall = sys;
	e->flags = 0;
	e->f_mode = file->f_mode;
	e->open_flags = io_flags;
	e->pad = 0;
	fill_task(task, e);
	if (sys == CW_SYS_IO_URING_OPENAT || sys == CW_SYS_IO_URING_OPENAT2) {
		e->path_len = 0;
		e->flags |= CW_EVF_NO_PATH_ARG;
	} else {
		fill_args(task, e, sys);
	}
	extract__exe_path(task, e);
	extract__args(task, e);
	return emit(e);
}

SEC("tracepoint/syscalls/sys_exit_open")
int tracepoint__syscalls__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, CW_SYS_OPEN, 0);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, CW_SYS_OPENAT, 0);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int tracepoint__syscalls__sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, CW_SYS_OPENAT2, 0);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int tracepoint__syscalls__sys_exit_creat(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, CW_SYS_CREAT, 0);
}

SEC("tracepoint/syscalls/sys_exit_open_by_handle_at")
int tracepoint__syscalls__sys_exit_open_by_handle_at(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, CW_SYS_OPEN_BY_HANDLE_AT, 0);
}

/*
 * io_uring opens never pass through the open syscalls. The completion
 * tracepoint carries the request; its result is the new fd in the
 * submitter's file table (io-wq workers share that table). Requests that
 * install a fixed (direct) descriptor return a slot, not an fd: a known
 * gap, documented in the README.
 */
SEC("tracepoint/io_uring/io_uring_complete")
int tracepoint__io_uring__io_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	struct io_kiocb *req;
	struct io_open *open;
	__u8 op;

	if (ctx->res < 0)
		return 0;
	req = bpf_rdonly_cast(ctx->req, bpf_core_type_id_kernel(struct io_kiocb));
	op = req->opcode;
	if (op != IORING_OP_OPENAT && op != IORING_OP_OPENAT2)
		return 0;
	open = bpf_rdonly_cast(&req->cmd, bpf_core_type_id_kernel(struct io_open));
	if (open->file_slot)
		return 0;		/* fixed-file open: res is not an fd */
	return handle_open(ctx->res, op == IORING_OP_OPENAT ? CW_SYS_IO_URING_OPENAT :
			   CW_SYS_IO_URING_OPENAT2, open->how.flags);
}
