// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * credwatch.bpf.c - the sensor: every successful open of a watched inode.
 *
 * One program per syscall exit (open, openat, openat2, creat,
 * open_by_handle_at) plus io_uring completions, all funnelled into
 * handle_open(). The miss path - what every other open on the node pays -
 * is a few direct BTF loads, one bit test in .bss, one compare of the
 * superblock's magic and no helper call; only a bitmap hit consults the
 * hash map, and only a procfs file is looked at further: an environ file
 * of another process is an event too (is_environ_file, environ_owner). A map hit is a repeat of a recent
 * open (one atomic add, no event) or a full event, if the reader's cgroup
 * is within its budget (floods, below handle_open's helpers).
 *
 * Each program exists twice, in two variants built from the same helpers
 * (see "Two ways to read the kernel" below); the agent loads one set per
 * kernel (user/sensor.c) and the verifier never sees the other:
 *  - fast (Linux 6.2+: bpf_rdonly_cast, bpf_get_current_task_btf,
 *    bpf_task_pt_regs): direct loads, no helper call on the miss path;
 *  - compat (5.8+: ring buffer, BTF): bpf_get_current_task() and one
 *    bpf_probe_read_kernel() per pointer hop; the syscall's registers are
 *    found on the task's kernel stack.
 *
 * Tracepoints, because kprobes, fentry and BPF LSM are not available on
 * every kernel we target (shared/DESIGN.md). The one exception is 32-bit
 * opens, which no syscall tracepoint sees: fexit where tracing programs
 * load, else raw_syscalls (at the end of this file).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "credwatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Wake the reader only once this much is queued; it also polls on a timer. */
const volatile __u64 wakeup_bytes = 64 * 1024;

/*
 * Repeat aggregation (cw_repeat_key): an open within this long of the same
 * key's previous open is counted, not sent. 0: every open is an event.
 */
const volatile __u64 repeat_window_ns = 0;

/*
 * Per-cgroup budget (cw_budget), in ns of the boot clock: one event costs
 * budget_step_ns (1/rate); a cgroup may owe at most budget_burst_ns
 * (burst * step). Above reserve_bytes queued, only a quiet cgroup - one
 * that would owe at most budget_quiet_ns - is admitted. user/budget.c sizes
 * them from the ring buffer (docs/limits.md). 0 step: no budget.
 */
const volatile __u64 budget_step_ns = 0;
const volatile __u64 budget_burst_ns = 0;
const volatile __u64 budget_quiet_ns = 0;
const volatile __u64 reserve_bytes = 0;

/* Pre-filter: one bit per cw_bloom_bit(); userspace keeps it in sync. */
__u64 bloom[CW_BLOOM_WORDS] SEC(".bss");
/* Bits in use (log2); userspace only ever raises it, after setting the new bits. */
__u32 bloom_bits_log2 SEC(".data") = CW_BLOOM_MIN_LOG2;

/*
 * The host's mount namespace: that of the host's init, found once at start
 * by the getppid program below (the agent calls getppid() after attaching
 * it) and kept here for every hit to compare with. The kernel finds it
 * because user space often cannot: /proc/1/ns/mnt needs the ptrace access
 * check the agent's capabilities do not pass.
 */
__u32 host_mnt_ns SEC(".bss");

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

/* Repeat counters; the agent reads them and delivers the growth (user/repeats.c). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct cw_repeat_key);
	__type(value, struct cw_repeat_val);
	__uint(max_entries, CW_REPEATS_MAX);
} repeats SEC(".maps");

/* One token bucket and its counters per cgroup (user/throttle.c reads them). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, struct cw_budget);
	__uint(max_entries, CW_BUDGETS_MAX);
} budgets SEC(".maps");

/* When each cgroup last had a read of each credential admitted over budget. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct cw_first_read_key);
	__type(value, __u64);
	__uint(max_entries, CW_FIRST_READS_MAX);
} first_reads SEC(".maps");

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

/*
 * Verifier-inlined cast (6.2+): lets the fast variant use direct loads on a
 * probe-read pointer. Weak, so an older kernel without it still loads the
 * object: libbpf leaves the call unresolved and the agent does not load the
 * programs that make it (the fast set) there.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline void count_n(void *map, __u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		*v += n;
}

static __always_inline void count(void *map, __u32 idx)
{
	count_n(map, idx, 1);
}

static __always_inline int count_drop(__u32 reason)
{
	count(&drops, reason);
	return 0;
}

/*
 * Two ways to read the kernel. Every helper below takes `fast`, always a
 * constant (each program passes true or false, and the helpers are
 * inlined), and reads kernel memory only through these macros, so a feature
 * is written once and compiled into both variants; the compiler drops the
 * other variant's branch before the verifier sees the program.
 *
 * CW_TASK(fast)            the current task: BTF-typed (5.11+) or a number
 * CW_RD(fast, lval)        one load: a direct BTF load, or
 *                          bpf_probe_read_kernel() of &lval (the helper
 *                          zeroes it on a fault), as BPF_CORE_READ does;
 *                          vmlinux.h's types carry preserve_access_index,
 *                          so &lval is relocated like any field access
 * CW_CAST(fast, p, type)   p as a BTF pointer to type for direct loads
 *                          (bpf_rdonly_cast, 6.2+); compat: a plain cast
 *
 * Write a chain one hop per CW_RD: CW_RD(fast, CW_RD(fast, t->cred)->euid.val).
 * A direct dereference without CW_RD builds on the fast kernels and is
 * rejected by the compat verifier: the kernel matrix test loads both.
 */
#define CW_TASK(fast) \
	((fast) ? bpf_get_current_task_btf() : (struct task_struct *)bpf_get_current_task())
#define CW_RD(fast, lval) \
	((fast) ? (lval) : ({						\
		typeof(lval) __cw_v;					\
		bpf_probe_read_kernel((void *)&__cw_v, sizeof(__cw_v), &(lval)); \
		__cw_v;							\
	}))
#define CW_CAST(fast, p, type) \
	((fast) ? (type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)) : (type *)(p))

/*
 * extract__file_from_fd - the struct file behind fd in the current task.
 * The verifier allows no variable offset into a BTF-typed pointer, so the
 * fd array slot cannot be indexed directly. Its address is plain
 * arithmetic, though, and bpf_rdonly_cast() turns any address into an
 * untrusted BTF pointer whose loads the JIT makes fault-safe: cast the slot
 * to a struct whose first member is a struct file * (struct kiocb's
 * ki_filp) and load it. That saves the bpf_probe_read_kernel() helper
 * call every open on the node used to pay (about 10 ns of the miss path).
 * The compat variant pays it, and one per hop before it.
 */
static __always_inline struct file *extract__file_from_fd(struct task_struct *task, long fd,
							  bool fast)
{
	struct files_struct *files = CW_RD(fast, task->files);
	struct fdtable *fdt;
	struct kiocb *slot;
	struct file *file;

	if (!files)
		return NULL;
	fdt = CW_RD(fast, files->fdt);
	if (!fdt || (unsigned long)fd >= CW_RD(fast, fdt->max_fds))
		return NULL;
	if (!fast || bpf_core_field_offset(struct kiocb, ki_filp) != 0) {
		/* compat, or a kernel that moved ki_filp: the helper still works */
		struct file **fds = CW_RD(fast, fdt->fd);

		file = NULL;
		if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
			return NULL;
		return CW_CAST(fast, file, struct file);
	}
	slot = CW_CAST(fast, (void *)((unsigned long)fdt->fd + fd * sizeof(struct file *)),
		       struct kiocb);
	file = slot->ki_filp;
	return file;
}

/*
 * exe_identity - the (inode, device) of an executable file: what rules
 * trust instead of comm, argv or the path string. A copy of a binary has
 * another inode; a file of a container image lives on the container's
 * overlay (another device). Hit path only.
 */
static __always_inline void exe_identity(struct file *exe, __u64 *ino, __u32 *dev, bool fast)
{
	struct inode *inode = CW_RD(fast, exe->f_inode);

	if (!inode)
		return;
	*ino = CW_RD(fast, inode->i_ino);
	*dev = CW_RD(fast, CW_RD(fast, inode->i_sb)->s_dev);
}

/* The executable's identity of another task (an ancestor), 0/0 without one. */
static __always_inline void task_exe_identity(struct task_struct *t, __u64 *ino, __u32 *dev,
					      bool fast)
{
	struct mm_struct *mm = CW_RD(fast, t->mm);
	struct file *exe;

	*ino = 0;
	*dev = 0;
	if (mm && (exe = CW_RD(fast, mm->exe_file)))
		exe_identity(exe, ino, dev, fast);
}

/*
 * extract__dentry_path - the path of (dentry, vfsmnt) in the task's mount
 * namespace, built right to left in buf[0, CW_EXE_MAX): NUL-terminated at
 * buf[CW_EXE_MAX - 1]. Returns where it starts; sets CW_EVF_EXE_TRUNC in
 * *trunc when cut (depth or length). Hit path only.
 */
static __always_inline __u32 extract__dentry_path(struct dentry *dentry, struct vfsmount *vfsmnt,
						  char *buf, __u32 *trunc, bool fast)
{
	struct dentry *parent;
	struct mount *mnt;
	__u32 pos = CW_EXE_MAX - 1;

	buf[pos] = '\0';
	mnt = CW_CAST(fast, (void *)((unsigned long)vfsmnt -
				     bpf_core_field_offset(struct mount, mnt)), struct mount);
	for (int i = 0; i < CW_EXE_DEPTH; i++) {
		struct mount *mnt_parent;
		const unsigned char *name;
		__u32 len;

		if (dentry == CW_RD(fast, vfsmnt->mnt_root)) {
			mnt_parent = CW_RD(fast, mnt->mnt_parent);
			if (mnt_parent == mnt)
				break;		/* the root of the whole tree */
			dentry = CW_RD(fast, mnt->mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = &mnt->mnt;
			continue;
		}
		parent = CW_RD(fast, dentry->d_parent);
		if (parent == dentry)
			break;
		len = CW_RD(fast, dentry->d_name.len);
		name = CW_RD(fast, dentry->d_name.name);
		if (len + 1 > pos) {
			*trunc |= CW_EVF_EXE_TRUNC;
			break;
		}
		pos -= len;
		pos &= CW_EXE_MAX - 1;
		if (bpf_probe_read_kernel(&buf[pos], len & (CW_EXE_MAX - 1), name))
			break;
		pos -= 1;
		pos &= CW_EXE_MAX - 1;
		buf[pos] = '/';
		dentry = parent;
		if (i == CW_EXE_DEPTH - 1)
			*trunc |= CW_EVF_EXE_TRUNC;
	}
	return pos;
}

/* extract__exe_path - the executable's path into e->data[exe_off, CW_EXE_MAX). */
static __always_inline void extract__exe_path(struct task_struct *task, struct cw_event *e,
					      bool fast)
{
	struct mm_struct *mm = CW_RD(fast, task->mm);
	struct file *exe;
	__u32 pos, trunc = 0;

	e->data[CW_EXE_MAX - 1] = '\0';
	e->exe_off = CW_EXE_MAX - 1;
	e->exe_len = 1;
	e->exe_ino = 0;
	e->exe_dev = 0;
	if (!mm || !(exe = CW_RD(fast, mm->exe_file)))
		return;
	exe_identity(exe, &e->exe_ino, &e->exe_dev, fast);
	pos = extract__dentry_path(CW_RD(fast, exe->f_path.dentry), CW_RD(fast, exe->f_path.mnt),
				   e->data, &trunc, fast);
	e->flags |= trunc;
	e->exe_off = pos;
	e->exe_len = CW_EXE_MAX - pos;
}

/* extract__args - argv of the current process, NUL-separated, bounded. */
static __always_inline void extract__args(struct task_struct *task, struct cw_event *e,
					  bool fast)
{
	struct mm_struct *mm = CW_RD(fast, task->mm);
	unsigned long start, end, len;

	e->args_len = 0;
	if (!mm)
		return;
	start = CW_RD(fast, mm->arg_start);
	end = CW_RD(fast, mm->arg_end);
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

/*
 * find_host_mnt_ns - walk t's real_parent chain (CW_HOST_WALK hops at
 * most) to the root of user space (the host's init: the process whose
 * parent is the idle task, pid 1 of the initial pid namespace on a node)
 * and keep its mount namespace in host_mnt_ns. Every process but a kernel
 * thread descends from it; a chain that does not reach it in time leaves
 * host_mnt_ns unknown for the next hit.
 */
static __always_inline void find_host_mnt_ns(struct task_struct *t, bool fast)
{
	struct task_struct *p = t;

	for (int i = 0; i < CW_HOST_WALK && p; i++) {
		struct task_struct *parent = CW_RD(fast, p->real_parent);

		if (!parent || parent == p || CW_RD(fast, parent->pid) == 0) {
			/* the root of user space: a child of the idle task, not a kthread */
			struct nsproxy *ns = CW_RD(fast, p->nsproxy);

			if (ns && CW_RD(fast, p->mm))
				host_mnt_ns = CW_RD(fast, CW_RD(fast, ns->mnt_ns)->ns.inum);
			return;
		}
		p = parent;
	}
}

static __always_inline void fill_task(struct task_struct *task, struct cw_event *e, __u64 cgid,
				      bool fast)
{
	struct task_struct *p;
	struct tty_struct *tty;
	struct signal_struct *sig = CW_RD(fast, task->signal);
	struct nsproxy *ns = CW_RD(fast, task->nsproxy);
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();

	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->euid = CW_RD(fast, CW_RD(fast, task->cred)->euid.val);
	e->loginuid = CW_RD(fast, task->loginuid.val);
	e->cgroup_id = cgid;
	e->mnt_ns = CW_RD(fast, CW_RD(fast, ns->mnt_ns)->ns.inum);
	e->pid_ns = CW_RD(fast, CW_RD(fast, ns->pid_ns_for_children)->ns.inum);
	if (host_mnt_ns)
		e->flags |= CW_EVF_MNTNS_KNOWN |
			    (e->mnt_ns == host_mnt_ns ? CW_EVF_HOST_MNTNS : 0);
	e->sid = CW_RD(fast, CW_RD(fast, sig->pids[PIDTYPE_SID])->numbers[0].nr);
	/*
	 * The reader's root directory, as the kernel resolves its paths: user
	 * space finds it again by (device, inode) among its own mounts, without
	 * /proc/<pid>/root (a ptrace access check the agent's capabilities do
	 * not pass) and after a short-lived reader has exited (user/rootfs.h).
	 */
	{
		struct fs_struct *fs = CW_RD(fast, task->fs);
		struct vfsmount *root_mnt = CW_RD(fast, fs->root.mnt);
		struct dentry *root_dentry = CW_RD(fast, fs->root.dentry);

		e->root_dev = CW_RD(fast, CW_RD(fast, root_mnt->mnt_sb)->s_dev);
		e->root_ino = CW_RD(fast, CW_RD(fast, root_dentry->d_inode)->i_ino);
	}
	e->tty = 0;
	tty = CW_RD(fast, sig->tty);
	if (tty) {
		struct tty_driver *driver = CW_RD(fast, tty->driver);

		e->tty = ((__u32)CW_RD(fast, driver->major) << 20) |
			 (__u32)(CW_RD(fast, driver->minor_start) + CW_RD(fast, tty->index));
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags |= pidns_flags(task, 0);

	p = CW_RD(fast, task->real_parent);
	for (int i = 0; i < CW_ANCESTORS; i++) {
		__u32 tgid = p ? CW_RD(fast, p->tgid) : 0;

		if (!tgid) {
			e->anc[i].tgid = 0;
			e->anc[i].exe_ino = 0;
			e->anc[i].exe_dev = 0;
			e->anc[i].comm[0] = '\0';
			continue;
		}
		e->anc[i].tgid = tgid;
		bpf_probe_read_kernel(e->anc[i].comm, CW_COMM_LEN, p->comm);
		task_exe_identity(p, &e->anc[i].exe_ino, &e->anc[i].exe_dev, fast);
		e->flags |= pidns_flags(p, i + 1);
		p = CW_RD(fast, p->real_parent);
	}
}

/*
 * task_syscall_regs - the user registers saved at syscall entry, or NULL.
 * @nr: the syscall number the sys_exit tracepoint reports
 *
 * fast: bpf_task_pt_regs() (5.15+). compat, x86_64: task_pt_regs() is
 * task->stack + THREAD_SIZE - sizeof(struct pt_regs) (no top-of-stack
 * padding on 64-bit). THREAD_SIZE is 16 KiB, or 32 KiB on a KASAN kernel;
 * the registers' orig_ax holds the number of the syscall being traced, so
 * try 16 KiB, then 32 KiB, and keep the one whose orig_ax matches: a
 * wrong guess yields no path argument (CW_EVF_NO_PATH_ARG), never a wrong
 * one. Other architectures get no path argument on pre-5.15 kernels.
 * Only called on a hit.
 */
static __always_inline struct pt_regs *task_syscall_regs(struct task_struct *task, long nr,
							 bool fast)
{
	if (fast)
		return (struct pt_regs *)bpf_task_pt_regs(task);
#if defined(__TARGET_ARCH_x86)
	unsigned long stack = (unsigned long)CW_RD(fast, task->stack);

	if (!stack)
		return NULL;
	for (unsigned long size = 16384; size <= 32768; size *= 2) {
		struct pt_regs *regs = (struct pt_regs *)(stack + size -
							  bpf_core_type_size(struct pt_regs));

		if (CW_RD(fast, regs->orig_ax) == nr)
			return regs;
	}
#endif
	return NULL;
}

/*
 * Path argument and flags as the process passed them, read from the
 * syscall's saved user registers: only on a hit, never on the miss path.
 */
static __always_inline void fill_args(struct task_struct *task, struct cw_event *e, __u16 sys,
				      long nr, bool fast)
{
	struct pt_regs *regs = task_syscall_regs(task, nr, fast);
	const char *path = NULL;
	long n;

	e->path_len = 0;
	if (!regs) {
		e->flags |= CW_EVF_NO_PATH_ARG;
		return;
	}
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

#if defined(__TARGET_ARCH_x86)
/*
 * fill_args_ia32 - the path argument of a 32-bit (ia32) open, from the
 * registers its entry saved: ebx, ecx, edx hold arguments 1-3, and only
 * their low 32 bits count (int 0x80 from 64-bit code leaves the high bits
 * of the 64-bit registers as they were; the kernel's wrappers truncate).
 */
static __always_inline void fill_args_ia32(struct cw_event *e, __u16 sys, struct pt_regs *regs,
					   bool fast)
{
	const char *path = NULL;
	__u32 a1, a2, a3;
	long n;

	e->path_len = 0;
	e->flags |= CW_EVF_IA32;
	if (!regs) {
		e->flags |= CW_EVF_NO_PATH_ARG;
		return;
	}
	a1 = CW_RD(fast, regs->bx);
	a2 = CW_RD(fast, regs->cx);
	a3 = CW_RD(fast, regs->dx);
	switch (sys) {
	case CW_SYS_OPEN:
		path = (const char *)(unsigned long)a1;
		e->open_flags = a2;
		break;
	case CW_SYS_OPENAT:
		path = (const char *)(unsigned long)a2;
		e->open_flags = a3;
		break;
	case CW_SYS_OPENAT2: {
		struct open_how *how = (struct open_how *)(unsigned long)a3;

		path = (const char *)(unsigned long)a2;
		bpf_probe_read_user(&e->open_flags, sizeof(e->open_flags), &how->flags);
		break;
	}
	case CW_SYS_CREAT:
		path = (const char *)(unsigned long)a1;
		e->open_flags = 0100 | 01 | 01000;	/* O_CREAT|O_WRONLY|O_TRUNC */
		break;
	case CW_SYS_OPEN_BY_HANDLE_AT:
		e->open_flags = a3;
		break;
	default:
		break;
	}
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
#endif

/*
 * btrfs, only as far as the subvolume check needs it. CO-RE finds the real
 * layout in the kernel's BTF, or in the btrfs module's when btrfs is a
 * module (libbpf reads /sys/kernel/btf/<module> for relocations). Without
 * either the type does not exist, the branch below is dead code the
 * verifier never sees, and the agent never sets CW_WATCH_SUBVOL
 * (user/sensor_kernel.c checks the same BTF and says so).
 */
struct btrfs_root___cw {
	dev_t anon_dev;
} __attribute__((preserve_access_index));

struct btrfs_inode___cw {
	struct btrfs_root___cw *root;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

/*
 * btrfs_subvol_dev - the device stat() reports for a btrfs inode: its
 * subvolume root's anonymous device (btrfs_getattr), 0 if unreadable. Only
 * on the hit path of a CW_WATCH_SUBVOL key, so two probe reads in both
 * variants: the fast variant's typed loads cannot follow a module type.
 */
static __always_inline __u32 btrfs_subvol_dev(struct inode *inode)
{
	struct btrfs_inode___cw *bi;
	struct btrfs_root___cw *root = NULL;
	dev_t dev = 0;

	if (!bpf_core_type_exists(struct btrfs_inode___cw))
		return 0;
	/* container_of(inode, struct btrfs_inode, vfs_inode), offsets from BTF */
	bi = (void *)((unsigned long)inode -
		      bpf_core_field_offset(struct btrfs_inode___cw, vfs_inode));
	if (bpf_probe_read_kernel(&root, sizeof(root), &bi->root) || !root)
		return 0;
	if (bpf_probe_read_kernel(&dev, sizeof(dev), &root->anon_dev))
		return 0;
	return dev;
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
	if (bpf_ringbuf_output(&events, e, size, flags)) {
		count_drop(CW_DROP_RINGBUF);
		return -1;
	}
	count(&stats, CW_STAT_EMITTED);
	count_n(&stats, CW_STAT_RINGBUF_BYTES, size);
	return 0;
}

/* A repeat of a known key: one atomic add in its entry, nothing leaves the kernel. */
static __always_inline int count_repeat(struct cw_repeat_val *rv, __u64 now)
{
	__sync_fetch_and_add(&rv->count, 1);
	rv->last_ns = now;
	count(&stats, CW_STAT_REPEATS);
	return 0;
}

/*
 * is_first_read - whether this cgroup had no read of this credential
 * admitted over budget in the last CW_FIRST_READ_NS, and remember this one.
 * A cgroup that floods its own token is refused, but its first read of
 * another pod's token in the middle of the flood still leaves the kernel:
 * a flood cannot hide the theft it is meant to cover. Only runs on the
 * refusal path, so it costs the flooder, not the node.
 */
static __always_inline bool is_first_read(__u64 cgid, const struct cw_inode_key *key,
					  __u32 cred_id, __u64 now)
{
	struct cw_first_read_key fk = { .cgroup_id = cgid, .ino = key->ino, .dev = key->dev,
					.cred_id = cred_id };
	__u64 *last = bpf_map_lookup_elem(&first_reads, &fk);

	if (last && now - *last < CW_FIRST_READ_NS)
		return false;
	bpf_map_update_elem(&first_reads, &fk, &now, BPF_ANY);
	return true;
}

/*
 * budget_refuses - charge a full event to the reader's cgroup, or refuse it.
 * GCRA with plain loads and stores: two CPUs admitting for one cgroup at
 * the same instant may both pass, so a cgroup can exceed its burst by a
 * few events (one per CPU); 5.10 has no BPF compare-and-swap, and the
 * counters use atomic adds whose result is unused (BPF_XADD there).
 * Never refuses when the map fails: the budget must not blind the sensor.
 */
static __always_inline bool budget_refuses(__u64 cgid, const struct cw_inode_key *key,
					   __u32 cred_id, __u64 now)
{
	struct cw_budget *b, init = {};
	__u64 tat, owed, step = budget_step_ns;
	__u32 reason;

	if (!step)
		return false;
	b = bpf_map_lookup_elem(&budgets, &cgid);
	if (!b) {
		init.tat_ns = now;	/* a full bucket */
		bpf_map_update_elem(&budgets, &cgid, &init, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&budgets, &cgid);
		if (!b)
			return false;
	}
	tat = b->tat_ns;
	if ((__s64)(tat - now) < 0)
		tat = now;
	owed = tat - now + step;	/* what the cgroup would owe with this event */
	if (owed > budget_burst_ns) {
		reason = CW_DROP_THROTTLED;
	} else if (owed > budget_quiet_ns && reserve_bytes &&
		   bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > reserve_bytes) {
		reason = CW_DROP_RESERVE;
	} else {
		b->tat_ns = tat + step;
		__sync_fetch_and_add(&b->admitted, 1);
		return false;
	}
	if (is_first_read(cgid, key, cred_id, now)) {
		__sync_fetch_and_add(&b->first_reads, 1);
		count(&stats, CW_STAT_FIRST_READS);
		return false;
	}
	if (reason == CW_DROP_THROTTLED)
		__sync_fetch_and_add(&b->throttled, 1);
	else
		__sync_fetch_and_add(&b->reserve, 1);
	count_drop(reason);
	return true;
}

/* Whose environment an environ file exposes (cw_event owner_*). */
struct environ_owner {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 tid;
};

/*
 * is_environ_file - whether a procfs file is /proc/<pid>/environ or
 * /proc/<pid>/task/<tid>/environ: the only procfs entries of that name.
 * Comparing f_op with proc_environ_operations would be exact, but the
 * symbol is in neither BTF (static data) nor, without KALLSYMS_ALL,
 * kallsyms, and reading kallsyms needs CAP_SYSLOG; the name is always
 * there and costs one read, on procfs opens only.
 */
static __always_inline bool is_environ_file(struct file *file, bool fast)
{
	static const char name[8] = "environ";
	struct dentry *dentry = CW_RD(fast, file->f_path.dentry);
	char buf[8];

	if (CW_RD(fast, dentry->d_name.len) != sizeof(name) - 1)
		return false;
	if (bpf_probe_read_kernel(buf, sizeof(buf), CW_RD(fast, dentry->d_name.name)))
		return false;
	for (int i = 0; i < (int)sizeof(name); i++)
		if (buf[i] != name[i])
			return false;
	return true;
}

/*
 * environ_owner - the thread an environ inode names and its process. A
 * procfs inode is the vfs_inode of a struct proc_inode whose pid is that
 * thread (for /proc/<pid>/environ, the process's leader). Returns false
 * when the reader reads its own thread group: that is no access. A target
 * that has exited meanwhile keeps its number, with tgid = tid and no cgroup.
 */
static __always_inline bool environ_owner(struct inode *inode, struct environ_owner *o)
{
	struct proc_inode *ei = (struct proc_inode *)((unsigned long)inode -
		bpf_core_field_offset(struct proc_inode, vfs_inode));
	struct pid *pid = BPF_CORE_READ(ei, pid);
	struct hlist_node *first;
	struct task_struct *t;

	if (!pid)
		return false;
	o->tid = BPF_CORE_READ(pid, numbers[0].nr);
	o->tgid = o->tid;
	o->cgroup_id = 0;
	first = BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);
	if (first) {
		t = (struct task_struct *)((unsigned long)first -
					   bpf_core_field_offset(struct task_struct, pid_links));
		o->tgid = BPF_CORE_READ(t, tgid);
		o->cgroup_id = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	}
	return o->tgid != bpf_get_current_pid_tgid() >> 32;
}

/*
 * fill_environ_path - the opened environ file's path as the reader's mount
 * namespace names it, into the path region (fd.name): the path argument
 * may be relative to a directory fd, or absent (io_uring). Built in the
 * region's second half, then copied to its start.
 */
static __always_inline void fill_environ_path(struct file *file, struct cw_event *e, bool fast)
{
	char *tmp = &e->data[CW_PATH_OFF + CW_PATH_MAX / 2];
	__u32 pos, len, trunc = 0;

	pos = extract__dentry_path(CW_RD(fast, file->f_path.dentry),
				   CW_RD(fast, file->f_path.mnt), tmp, &trunc, fast);
	e->flags &= ~(CW_EVF_NO_PATH_ARG | CW_EVF_PATH_FAULT | CW_EVF_PATH_TRUNC);
	if (trunc)
		e->flags |= CW_EVF_PATH_TRUNC;
	pos &= CW_EXE_MAX - 1;
	len = CW_EXE_MAX - pos;
	if (bpf_probe_read_kernel(&e->data[CW_PATH_OFF], len & (CW_EXE_MAX - 1 + CW_EXE_MAX),
				  tmp + pos)) {
		e->path_len = 0;
		return;
	}
	e->path_len = len;
}

/*
 * handle_open - the one handler every hook shares.
 * @fd:  the descriptor the syscall (or io_uring request) returned
 * @sys: enum cw_syscall
 * @io_flags: open flags known from the io_uring request, else 0
 * @nr:  the syscall number (sys_exit's id), -1 for io_uring
 * @regs: the syscall's saved registers when the hook has them, else NULL
 * @ia32: a 32-bit system call (a constant): arguments from @regs, ia32 layout
 * @fast: which variant (a constant)
 *
 * After the miss path, a hit is: a repeat of a recent key (one atomic add,
 * no event), else a full event if the cgroup's budget admits it. The
 * repeat entry is made (or restarted) only once the event is in the ring
 * buffer, so every repeat the kernel counts belongs to an event already
 * queued for the agent: it can attribute each one, and account exactly for
 * those it could not deliver (user/repeats.h). Two CPUs opening a new key
 * at the same instant both send a full event; the agent keeps the newer.
 */
static __always_inline int handle_open(long fd, __u16 sys, __u64 io_flags, long nr,
				       struct pt_regs *regs, bool ia32, bool fast)
{
	struct task_struct *task = CW_TASK(fast);
	struct cw_inode_key key = {}, agg = {};
	struct environ_owner owner = {};
	struct cw_repeat_key rkey;	/* no initialiser: that would be stores on the miss path */
	struct cw_repeat_val *rv = NULL;
	struct cw_watch_val *val;
	struct file *file;
	struct inode *inode;
	struct super_block *sb;
	struct cw_event *e;
	__u32 bit, f_mode, cred_id, zero = 0;
	__u64 now, cgid, exec_id = 0;

	file = extract__file_from_fd(task, fd, fast);
	if (!file)
		return 0;
	inode = CW_RD(fast, file->f_inode);
	if (!inode)
		return 0;
	key.ino = CW_RD(fast, inode->i_ino);
	sb = CW_RD(fast, inode->i_sb);
	key.dev = CW_RD(fast, sb->s_dev);
	bit = cw_bloom_bit(key.ino, key.dev, bloom_bits_log2);
	if (!(bloom[(bit / 64) & (CW_BLOOM_WORDS - 1)] & (1ULL << (bit & 63))))
		goto unwatched;

	count(&stats, CW_STAT_BLOOM_PASS);
	val = bpf_map_lookup_elem(&watched, &key);
	if (!val)
		goto unwatched;
	if (val->flags & CW_WATCH_SUBVOL) {
		/* btrfs: this inode number is watched in some subvolume; which one is this? */
		key.dev = btrfs_subvol_dev(inode);
		val = key.dev ? bpf_map_lookup_elem(&watched, &key) : NULL;
		if (!val || (val->flags & CW_WATCH_SUBVOL)) {
			count(&stats, CW_STAT_SUBVOL_MISS);
			return 0;
		}
	}
	count(&stats, CW_STAT_HITS);
	cred_id = val->cred_id;
	agg = key;
	goto hit;

unwatched:
	/* miss: what every other open pays, one compare on a line just read */
	if (CW_RD(fast, sb->s_magic) != CW_PROC_SUPER_MAGIC)
		return 0;
	if (!is_environ_file(file, fast) || !environ_owner(inode, &owner))
		return 0;
	count(&stats, CW_STAT_ENVIRON);
	cred_id = CW_CRED_ID_NONE;
	agg.ino = owner.cgroup_id;
	agg.dev = CW_ENVIRON_DEV;

hit:

	now = bpf_ktime_get_boot_ns();
	cgid = bpf_get_current_cgroup_id();
	f_mode = CW_RD(fast, file->f_mode);
	if (repeat_window_ns) {
		/* every member set: the key has no padding (credwatch.h) */
		exec_id = CW_RD(fast, task->self_exec_id);
		rkey.ino = agg.ino;
		rkey.dev = agg.dev;
		rkey.cgroup_id = cgid;
		rkey.exec_id = exec_id;
		rkey.tgid = bpf_get_current_pid_tgid() >> 32;
		rkey.uid = (__u32)bpf_get_current_uid_gid();
		rkey.mode = f_mode & CW_REPEAT_MODE_MASK;
		rkey.syscall = sys;
		rkey.cred_id = cred_id;	/* CW_CRED_ID_NONE for environ */
		rkey.pad = 0;
		rv = bpf_map_lookup_elem(&repeats, &rkey);
		/* signed: another CPU may have stored a later last_ns meanwhile */
		if (rv && (__s64)(now - rv->last_ns) <= (__s64)repeat_window_ns)
			return count_repeat(rv, now);
	}
	if (budget_refuses(cgid, &agg, cred_id, now))
		return 0;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return count_drop(CW_DROP_SCRATCH);
	e->ts_ns = now;
	e->ino = key.ino;
	e->dev = key.dev;
	e->ret = fd;
	e->cred_id = cred_id;
	e->syscall = sys;
	e->flags = 0;
	e->owner_cgroup_id = owner.cgroup_id;
	e->owner_tgid = owner.tgid;
	e->owner_tid = owner.tid;
	e->f_mode = f_mode;
	e->open_flags = io_flags;
	e->exec_id = exec_id;
	e->repeats = rv ? rv->count : 0;
	e->pad = 0;
	fill_task(task, e, cgid, fast);
	if (ia32) {
#if defined(__TARGET_ARCH_x86)
		fill_args_ia32(e, sys, regs ? regs : task_syscall_regs(task, nr, fast), fast);
#endif
	} else if (sys == CW_SYS_IO_URING_OPENAT || sys == CW_SYS_IO_URING_OPENAT2) {
		e->path_len = 0;
		e->flags |= CW_EVF_NO_PATH_ARG;
	} else {
		fill_args(task, e, sys, nr, fast);
	}
	if (cred_id == CW_CRED_ID_NONE) {
		e->flags |= CW_EVF_ENVIRON;
		fill_environ_path(file, e, fast);
	}
	extract__exe_path(task, e, fast);
	extract__args(task, e, fast);

	if (emit(e) || !repeat_window_ns)
		return 0;
	if (rv) {
		/* a key idle past the window starts over (its count goes on) */
		rv->first_ns = now;
		rv->last_ns = now;
	} else {
		struct cw_repeat_val init = { .first_ns = now, .last_ns = now };

		/* NOEXIST: when two CPUs sent a first event, the first entry stays */
		bpf_map_update_elem(&repeats, &rkey, &init, BPF_NOEXIST);
	}
	return 0;
}

/*
 * io_uring opens never pass through the open syscalls. The completion
 * tracepoint carries the request (5.17+; 6.0+ keeps the open's arguments in
 * req->cmd); its result is the new fd in the submitter's file table (io-wq
 * workers share that table). Requests that install a fixed (direct)
 * descriptor return a slot, not an fd: a known gap, documented in the
 * README. On kernels whose layout differs the agent leaves the program
 * unloaded and says why (user/sensor_kernel.c); the guard below keeps the object
 * loadable there all the same.
 */
static __always_inline int handle_io_uring_complete(struct trace_event_raw_io_uring_complete *ctx,
						    bool fast)
{
	struct io_kiocb *req;
	struct io_open *open;
	__u8 op;

	if (!bpf_core_field_exists(ctx->req) || !bpf_core_field_exists(struct io_kiocb, cmd) ||
	    !bpf_core_field_exists(struct io_open, file_slot))
		return 0;
	if (ctx->res < 0)
		return 0;
	req = CW_CAST(fast, ctx->req, struct io_kiocb);
	op = CW_RD(fast, req->opcode);
	if (op != IORING_OP_OPENAT && op != IORING_OP_OPENAT2)
		return 0;
	open = CW_CAST(fast, &req->cmd, struct io_open);
	if (CW_RD(fast, open->file_slot))
		return 0;		/* fixed-file open: res is not an fd */
	return handle_open(ctx->res, op == IORING_OP_OPENAT ? CW_SYS_IO_URING_OPENAT :
			   CW_SYS_IO_URING_OPENAT2, CW_RD(fast, open->how.flags), -1, NULL, false,
			   fast);
}

/*
 * The programs: each hook once per variant. The fast ones keep the names
 * they always had (tests/bench reads them); the compat ones add __compat.
 * user/sensor.c lists them in the same order.
 */
#define CW_SYS_EXIT(name, sys)							\
SEC("tracepoint/syscalls/sys_exit_" #name)					\
int tracepoint__syscalls__sys_exit_##name(struct trace_event_raw_sys_exit *ctx)	\
{										\
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, sys, 0, ctx->id, NULL, false, true); \
}										\
SEC("tracepoint/syscalls/sys_exit_" #name)					\
int tracepoint__syscalls__sys_exit_##name##__compat(struct trace_event_raw_sys_exit *ctx) \
{										\
	return ctx->ret < 0 ? 0 : handle_open(ctx->ret, sys, 0, ctx->id, NULL, false, false); \
}

CW_SYS_EXIT(open, CW_SYS_OPEN)
CW_SYS_EXIT(openat, CW_SYS_OPENAT)
CW_SYS_EXIT(openat2, CW_SYS_OPENAT2)
CW_SYS_EXIT(creat, CW_SYS_CREAT)
CW_SYS_EXIT(open_by_handle_at, CW_SYS_OPEN_BY_HANDLE_AT)

SEC("tracepoint/io_uring/io_uring_complete")
int tracepoint__io_uring__io_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	return handle_io_uring_complete(ctx, true);
}

SEC("tracepoint/io_uring/io_uring_complete")
int tracepoint__io_uring__io_uring_complete__compat(struct trace_event_raw_io_uring_complete *ctx)
{
	return handle_io_uring_complete(ctx, false);
}

/*
 * 32-bit (ia32) opens: a kernel with IA32 emulation runs int 0x80,
 * sysenter and 32-bit syscall through its own entry points, and the
 * syscalls:sys_exit_* tracepoints skip them (x86 ignores compat syscalls
 * there: ARCH_TRACE_IGNORE_COMPAT_SYSCALLS). Two ways to see them; the
 * agent attaches one only when the kernel really runs 32-bit code
 * (user/ia32.c) and says which at start-up:
 *  - fexit on the ia32 entry points of the five opens: no cost at all for
 *    64-bit syscalls. Needs tracing programs (fentry/fexit, 5.5+ with BTF).
 *  - raw_syscalls:sys_exit, where tracing programs do not load: it runs on
 *    EVERY syscall of the node and returns after one load unless the task
 *    is in a 32-bit syscall (TS_COMPAT, set on the ia32 entry paths and
 *    cleared only on the way back to user mode, after the tracepoint).
 * Both read the 32-bit arguments from the registers the entry saved.
 */
#if defined(__TARGET_ARCH_x86)
/*
 * The fexit programs read only the return value from their context: on
 * 5.10 the BTF of some entry points types their pt_regs argument as a
 * forward declaration, and the verifier refuses any read of it. The
 * registers come from the task instead (task_syscall_regs, as for the
 * 64-bit hooks: orig_ax holds the ia32 number there).
 */
#define CW_IA32_FEXIT(name, fn, sys, nr)					\
SEC("fexit/" #fn)								\
int BPF_PROG(fexit__ia32_##name, void *regs, long ret)				\
{										\
	return ret < 0 ? 0 : handle_open(ret, sys, 0, nr, NULL, true, true);	\
}										\
SEC("fexit/" #fn)								\
int BPF_PROG(fexit__ia32_##name##__compat, void *regs, long ret)		\
{										\
	return ret < 0 ? 0 : handle_open(ret, sys, 0, nr, NULL, true, false);	\
}

CW_IA32_FEXIT(open, __ia32_compat_sys_open, CW_SYS_OPEN, CW_IA32_NR_OPEN)
CW_IA32_FEXIT(openat, __ia32_compat_sys_openat, CW_SYS_OPENAT, CW_IA32_NR_OPENAT)
CW_IA32_FEXIT(openat2, __ia32_sys_openat2, CW_SYS_OPENAT2, CW_IA32_NR_OPENAT2)
CW_IA32_FEXIT(creat, __ia32_sys_creat, CW_SYS_CREAT, CW_IA32_NR_CREAT)
CW_IA32_FEXIT(open_by_handle_at, __ia32_compat_sys_open_by_handle_at,
	      CW_SYS_OPEN_BY_HANDLE_AT, CW_IA32_NR_OPEN_BY_HANDLE_AT)

/*
 * Every syscall of the node runs this, so the common case is a single
 * load: the number in the saved registers. Only the five ia32 open numbers
 * go on (64-bit fstat, lseek, preadv and openat2 share them) to the task's
 * TS_COMPAT bit, which tells a 32-bit syscall from a 64-bit one.
 */
static __always_inline int handle_sys_exit_ia32(struct bpf_raw_tracepoint_args *ctx, bool fast)
{
	struct pt_regs *regs = CW_CAST(fast, (void *)ctx->args[0], struct pt_regs);
	long nr = CW_RD(fast, regs->orig_ax), ret;
	struct task_struct *task;
	__u16 sys = cw_ia32_syscall(nr);

	if (!sys)
		return 0;		/* what every other syscall pays */
	task = CW_TASK(fast);
	if (!(CW_RD(fast, task->thread_info.status) & CW_TS_COMPAT))
		return 0;		/* a 64-bit syscall of the same number */
	ret = (long)ctx->args[1];
	if (ret < 0)
		return 0;
	return handle_open(ret, sys, 0, nr, regs, true, fast);
}

SEC("raw_tracepoint/sys_exit")
int raw_tracepoint__sys_exit_ia32(struct bpf_raw_tracepoint_args *ctx)
{
	return handle_sys_exit_ia32(ctx, true);
}

SEC("raw_tracepoint/sys_exit")
int raw_tracepoint__sys_exit_ia32__compat(struct bpf_raw_tracepoint_args *ctx)
{
	return handle_sys_exit_ia32(ctx, false);
}
#endif

/*
 * The host's mount namespace, learnt once: the agent attaches this, calls
 * getppid() and detaches it. Any caller's ancestry leads to the same root
 * of user space, so the first getppid() on the node sets host_mnt_ns; one
 * program holds the walk, not every open hook (inlined into each, its loop
 * tripled the verifier's work). Read through probe reads (the compat way)
 * so one program loads on every kernel.
 */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tracepoint__syscalls__sys_exit_getppid(void *ctx)
{
	if (!host_mnt_ns)
		find_host_mnt_ns(CW_TASK(false), false);
	return 0;
}
