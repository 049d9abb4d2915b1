/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * credwatch.h - the only header shared by the kernel programs and the agent.
 *
 * Every struct here crosses the user/kernel boundary, so layouts are fixed:
 * fields are ordered large to small, padding is explicit, and each size is
 * pinned by a _Static_assert. Only __u8/__u16/__u32/__u64 are used.
 */
#ifndef CREDWATCH_H
#define CREDWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CW_COMM_LEN		16
#define CW_ANCESTORS		5	/* parent + 4 more, captured at hit time */
#define CW_PATH_MAX		4096	/* path argument as passed, incl. NUL */
#define CW_EXE_MAX		256	/* executable path (dentry walk), incl. NUL */
#define CW_ARGS_MAX		1024	/* argv bytes, NUL-separated */
#define CW_DATA_MAX		(CW_EXE_MAX + CW_ARGS_MAX + CW_PATH_MAX)
#define CW_ARGS_OFF		CW_EXE_MAX
#define CW_PATH_OFF		(CW_EXE_MAX + CW_ARGS_MAX)
#define CW_EXE_DEPTH		16	/* path components walked for the exe */
#define CW_HOST_WALK		32	/* parents walked to find the host's pid 1 */

/*
 * The bitmap that pre-filters lookups of the watched hash map. Its array is
 * sized for the most bits; only the first 2^bloom_bits_log2 are in use, so a
 * node watching a few hundred credentials touches 4 KiB, not 128 KiB, on
 * every open (cache misses on the bitmap were most of the miss-path cost
 * over many distinct files). Userspace grows it as the watched set grows.
 */
#define CW_BLOOM_BITS_LOG2	20	/* the most */
#define CW_BLOOM_MIN_LOG2	15	/* the start: 4 KiB */
#define CW_BLOOM_WORDS		((1u << CW_BLOOM_BITS_LOG2) / 64)

/*
 * Bit of the pre-filter bitmap for an inode: the top bits_log2 bits of a
 * multiplicative hash, so the bit for 2^(b+1) bits shifted right by one is
 * the bit for 2^b. Shared so the kernel and userspace agree.
 */
static inline __u32 cw_bloom_bit(__u64 ino, __u32 dev, __u32 bits_log2)
{
	__u64 h = (ino ^ ((__u64)dev << 32)) * 0x9E3779B97F4A7C15ULL;

	return (__u32)(h >> ((64 - bits_log2) & 63));
}

/* Which syscall path produced the event (evt.type). */
enum cw_syscall {
	CW_SYS_OPEN = 1,
	CW_SYS_OPENAT,
	CW_SYS_OPENAT2,
	CW_SYS_CREAT,
	CW_SYS_OPEN_BY_HANDLE_AT,
	CW_SYS_IO_URING_OPENAT,
	CW_SYS_IO_URING_OPENAT2,
	CW_SYS__MAX,
};

/* Why an event did not leave the kernel; one per-CPU counter each. */
enum cw_drop {
	CW_DROP_RINGBUF = 0,	/* bpf_ringbuf_output failed: buffer full */
	CW_DROP_SCRATCH,	/* per-CPU scratch buffer lookup failed */
	CW_DROP_FD_LOOKUP,	/* a hit was possible but fd -> file failed */
	CW_DROP_THROTTLED,	/* refused: the cgroup is over its budget (cw_budget) */
	CW_DROP_RESERVE,	/* refused: ring buffer above the reserve, cgroup not quiet */
	CW_DROP__MAX,
};

/* Other per-CPU counters, for health and benchmarks. */
enum cw_stat {
	CW_STAT_HITS = 0,	/* opens of a watched inode */
	CW_STAT_BLOOM_PASS,	/* bitmap said maybe: hash map consulted */
	CW_STAT_REPEATS,	/* opens folded into a repeat counter (cw_repeat_val.count) */
	CW_STAT_EMITTED,	/* events written to the ring buffer */
	CW_STAT_RINGBUF_BYTES,	/* bytes of those events (record headers not counted) */
	CW_STAT_FIRST_READS,	/* admitted over budget: a cgroup's first read of a credential */
	CW_STAT_SUBVOL_MISS,	/* btrfs: inode number watched, but in another subvolume */
	CW_STAT_ENVIRON,	/* opens of another process's environ (CW_EVF_ENVIRON) */
	CW_STAT__MAX,
};

/* Flags in cw_event.flags. */
#define CW_EVF_PATH_TRUNC	(1u << 0)	/* path argument cut at CW_PATH_MAX */
#define CW_EVF_ARGS_TRUNC	(1u << 1)	/* argv cut at CW_ARGS_MAX */
#define CW_EVF_EXE_TRUNC	(1u << 2)	/* exe path cut (depth or length) */
#define CW_EVF_PATH_FAULT	(1u << 3)	/* path argument unreadable */
#define CW_EVF_NO_PATH_ARG	(1u << 4)	/* syscall has no path argument */
#define CW_EVF_IA32		(1u << 5)	/* a 32-bit (ia32 compat) system call */
#define CW_EVF_MNTNS_KNOWN	(1u << 6)	/* the kernel knows the host's mount ns */
#define CW_EVF_HOST_MNTNS	(1u << 7)	/* ... and the reader runs in it */
#define CW_EVF_ENVIRON		(1u << 14)	/* another process's procfs environ file:
						 * owner_* name it, the path region
						 * holds the file's resolved path,
						 * cred_id is CW_CRED_ID_NONE */
/*
 * Bit CW_EVF_NSINIT_SHIFT + i is set when chain member i (0: the reader,
 * 1 + n: anc[n]) is pid 1 of its own pid namespace (a container's init);
 * bit CW_EVF_HOSTPID_SHIFT + i when it is in the initial pid namespace (a
 * host process, or a hostPID container's). Attribution tells a container's
 * own processes from exec sessions by them without cgroup.procs, whose pids
 * are those of the reading agent's pid namespace (0 for other containers'
 * processes when the agent has its own, as the chart runs it).
 */
#define CW_EVF_NSINIT_SHIFT	8
#define CW_EVF_HOSTPID_SHIFT	16
#define CW_EVF_NSINIT(i)	(1u << (CW_EVF_NSINIT_SHIFT + (i)))
#define CW_EVF_HOSTPID(i)	(1u << (CW_EVF_HOSTPID_SHIFT + (i)))

/*
 * /proc/<pid>/environ and /proc/<pid>/task/<tid>/environ. Their inodes are
 * made on demand in every procfs instance (one per container), so they
 * cannot be watched like files: the kernel recognises them by superblock
 * magic and name after a watched-map miss (credwatch.bpf.c).
 */
#define CW_PROC_SUPER_MAGIC	0x9fa0	/* <linux/magic.h> PROC_SUPER_MAGIC */
#define CW_CRED_ID_NONE		0xffffffffu	/* cred_id of an event with no watched file */
/*
 * Repeats and first reads of environ files are keyed by whose environment
 * it is, not by inode: key.ino is the owner's cgroup id, key.dev this
 * device number (none is ever 0: anonymous ones start at minor 1). A scan
 * of every /proc/<pid>/environ is then one event per pod read, plus counts.
 */
#define CW_ENVIRON_DEV		0u

/* Key of the watched map: the inode as the kernel names it. */
struct cw_inode_key {
	__u64 ino;		/* inode->i_ino */
	__u32 dev;		/* inode->i_sb->s_dev: (major << 20) | minor; on
				 * btrfs the subvolume's device (CW_WATCH_SUBVOL) */
	__u32 pad;
};
_Static_assert(sizeof(struct cw_inode_key) == 16, "cw_inode_key layout");

/*
 * cw_watch_val.flags. CW_WATCH_SUBVOL marks a key that only says "this
 * inode number on this btrfs filesystem is watched in some subvolume":
 * btrfs numbers inodes per subvolume, and stat() names each subvolume by
 * its own anonymous device (the root's anon_dev), not the superblock's
 * s_dev the miss path reads. On such a hit the kernel reads the inode's
 * subvolume device and looks up (ino, that device), the key the credential
 * really has; cred_id of the marker counts the credentials sharing it.
 */
#define CW_WATCH_SUBVOL		(1u << 0)

/* Value of the watched map. */
struct cw_watch_val {
	__u32 cred_id;		/* index into the agent's credential table */
	__u16 kind;		/* enum cw_cred_kind, for the kernel's own use */
	__u16 flags;		/* CW_WATCH_* */
};
_Static_assert(sizeof(struct cw_watch_val) == 8, "cw_watch_val layout");

/*
 * Repeats. An open of a watched inode whose cw_repeat_key was seen less
 * than the repeat window ago (--repeat-window-ms, measured from the key's
 * previous open) leaves no event: it bumps count in the key's
 * cw_repeat_val, and the agent delivers the growth as an aggregated record
 * (evt.count) with the first event's attribution. The key holds what the
 * attribution depends on and the reader can change without becoming a new
 * process: a new program (exec), uid, cgroup, access mode or syscall makes
 * a new key, hence a full event. cred_id is in it because (dev, ino) is
 * not unique over time: a deleted pod's tmpfs device and inode numbers come
 * back for the next pod, whose token is another credential.
 */
#define CW_REPEAT_MODE_MASK	3u	/* f_mode bits in the key: FMODE_READ | FMODE_WRITE */
#define CW_REPEATS_MAX		8192	/* keys held by the kernel and by the agent */

struct cw_repeat_key {
	__u64 ino;		/* the inode (cw_inode_key) */
	__u64 cgroup_id;	/* bpf_get_current_cgroup_id() */
	__u64 exec_id;		/* task->self_exec_id: bumped by every execve */
	__u32 dev;
	__u32 tgid;
	__u32 uid;		/* real uid */
	__u16 mode;		/* f_mode & CW_REPEAT_MODE_MASK */
	__u16 syscall;		/* enum cw_syscall */
	__u32 cred_id;		/* cw_watch_val.cred_id */
	__u32 pad;		/* 0: keys are compared as bytes */
};
_Static_assert(sizeof(struct cw_repeat_key) == 48, "cw_repeat_key layout");

struct cw_repeat_val {
	__u64 first_ns;		/* ts_ns of the key's latest full event */
	__u64 last_ns;		/* latest open of the key, full or repeat */
	__u64 count;		/* repeats since the entry was made; never reset */
};
_Static_assert(sizeof(struct cw_repeat_val) == 24, "cw_repeat_val layout");

/*
 * Per-cgroup budget for full events: a token bucket kept as GCRA (one
 * "theoretical arrival time"): admitting an event moves tat_ns one
 * interval (1/rate) on from max(tat_ns, now); the bucket is empty when
 * tat_ns - now would pass burst intervals. Counters are cumulative; the
 * agent reads their growth once a second (user/throttle.c).
 */
#define CW_BUDGETS_MAX		8192	/* cgroups with a bucket (LRU) */
#define CW_FIRST_READS_MAX	16384	/* (cgroup, credential) pairs remembered (LRU) */
#define CW_FIRST_READ_NS	10000000000ULL	/* a pair is "first" again after 10 s */

struct cw_budget {
	__u64 tat_ns;		/* GCRA theoretical arrival time, boot clock */
	__u64 admitted;		/* full events admitted within the budget */
	__u64 throttled;	/* refused: no token left (CW_DROP_THROTTLED) */
	__u64 reserve;		/* refused: ring above the reserve (CW_DROP_RESERVE) */
	__u64 first_reads;	/* admitted over budget: first read of a credential */
};
_Static_assert(sizeof(struct cw_budget) == 40, "cw_budget layout");

/*
 * Key of the first-read map: a credential as one cgroup last read it.
 * cred_id, not (dev, ino) alone: a deleted pod's tmpfs device and inode
 * numbers come back for the next pod, whose token is another credential.
 */
struct cw_first_read_key {
	__u64 cgroup_id;
	__u64 ino;
	__u32 dev;
	__u32 cred_id;		/* cw_watch_val.cred_id */
};
_Static_assert(sizeof(struct cw_first_read_key) == 24, "cw_first_read_key layout");

/*
 * 32-bit x86 (ia32) system call numbers of the opens (arch/x86/entry/
 * syscalls/syscall_32.tbl). They reach neither syscalls:sys_exit_* nor
 * the 64-bit numbers: the raw_syscalls program maps them here, and
 * tests/unit/test_ia32.c checks them against <asm/unistd_32.h>.
 */
#define CW_IA32_NR_OPEN			5
#define CW_IA32_NR_CREAT		8
#define CW_IA32_NR_OPENAT		295
#define CW_IA32_NR_OPEN_BY_HANDLE_AT	342
#define CW_IA32_NR_OPENAT2		437
#define CW_TS_COMPAT			0x0002	/* thread_info.status: in a 32-bit syscall */

/* enum cw_syscall of an ia32 syscall number; 0 for anything but an open. */
static inline __u16 cw_ia32_syscall(long nr)
{
	switch (nr) {
	case CW_IA32_NR_OPEN:
		return CW_SYS_OPEN;
	case CW_IA32_NR_CREAT:
		return CW_SYS_CREAT;
	case CW_IA32_NR_OPENAT:
		return CW_SYS_OPENAT;
	case CW_IA32_NR_OPEN_BY_HANDLE_AT:
		return CW_SYS_OPEN_BY_HANDLE_AT;
	case CW_IA32_NR_OPENAT2:
		return CW_SYS_OPENAT2;
	default:
		return 0;
	}
}

/*
 * One ancestor of the reader, captured at hit time. exe_ino/exe_dev name
 * its executable as the kernel does (mm->exe_file's inode): unlike comm
 * and argv, not something the process can choose after exec.
 */
struct cw_ancestor {
	__u64 exe_ino;		/* inode of mm->exe_file; 0 for a kernel thread */
	__u32 exe_dev;		/* its superblock's s_dev: (major << 20) | minor */
	__u32 tgid;		/* 0 when the chain ended */
	char comm[CW_COMM_LEN];
};
_Static_assert(sizeof(struct cw_ancestor) == 32, "cw_ancestor layout");

/*
 * One open of a watched inode. Fixed header, then data[] holding three
 * regions: the executable path at data[exe_off] (exe_len bytes incl. NUL,
 * built right to left by the dentry walk, so it ends at CW_EXE_MAX),
 * argv at data[CW_EXE_MAX] (args_len bytes, NUL-separated), and the path
 * argument at data[CW_EXE_MAX + CW_ARGS_MAX] (path_len bytes incl. NUL).
 * The path is last because it is the only long variable part: only the
 * header, the two fixed regions and path_len bytes leave the kernel.
 */
struct cw_event {
	__u64 ts_ns;		/* bpf_ktime_get_boot_ns() at syscall exit */
	__u64 cgroup_id;	/* cgroup v2 id = inode of the cgroup dir */
	__u64 ino;		/* opened inode */
	__s64 ret;		/* syscall return: the fd */
	__u64 open_flags;	/* flags argument as passed (O_*) */
	__u64 exec_id;		/* task->self_exec_id (cw_repeat_key); 0 without repeats */
	__u64 repeats;		/* the key's cw_repeat_val.count before this event */
	__u64 root_ino;		/* inode of the reader's root directory (fs->root) */
	__u64 exe_ino;		/* inode of the reader's executable (mm->exe_file) */
	__u64 owner_cgroup_id;	/* CW_EVF_ENVIRON: the environ owner's cgroup v2 id */
	__u32 exe_dev;		/* kernel dev of that inode's superblock */
	__u32 dev;		/* kernel dev of the inode's superblock */
	__u32 root_dev;		/* kernel dev of the reader's root filesystem */
	__u32 cred_id;		/* from cw_watch_val */
	__u32 tgid;		/* process id (proc.pid) */
	__u32 tid;		/* thread id (proc.tid) */
	__u32 uid;		/* real uid */
	__u32 gid;		/* real gid */
	__u32 euid;		/* effective uid */
	__u32 loginuid;		/* audit loginuid, (u32)-1 when unset */
	__u32 sid;		/* session id in the root pid namespace */
	__u32 tty;		/* controlling tty as (major << 20) | minor, 0 none */
	__u32 mnt_ns;		/* mount namespace inode number */
	__u32 pid_ns;		/* pid namespace inode number */
	__u32 f_mode;		/* file->f_mode: FMODE_READ 1, FMODE_WRITE 2 */
	__u32 flags;		/* CW_EVF_* */
	__u32 owner_tgid;	/* CW_EVF_ENVIRON: whose environ (root pid namespace) */
	__u32 owner_tid;	/* CW_EVF_ENVIRON: the thread the file names */
	__u16 syscall;		/* enum cw_syscall */
	__u16 path_len;		/* bytes of path argument in data[], incl. NUL */
	__u16 exe_len;		/* bytes of exe path in data[], incl. NUL */
	__u16 args_len;		/* bytes of argv in data[] */
	char comm[CW_COMM_LEN];	/* reader's comm */
	struct cw_ancestor anc[CW_ANCESTORS]; /* anc[0] is the parent */
	__u16 exe_off;		/* start of the exe path in data[] */
	__u16 pad;
	__u32 pad2;
	char data[CW_DATA_MAX];
};
#define CW_EVENT_HDR_SIZE	(sizeof(struct cw_event) - CW_DATA_MAX)
_Static_assert(CW_EVENT_HDR_SIZE == 344, "cw_event header layout");

#endif /* CREDWATCH_H */
