// SPDX-License-Identifier: Apache-2.0
/*
 * opener32 - a 32-bit x86 program that opens a file with int 0x80, for
 * the ia32 checks (tests/integration/test_ia32.sh, the kernel matrix).
 *   opener32 MODE PATH [COUNT]
 * MODE: open (i386 open, 5) or openat (i386 openat, 295, AT_FDCWD).
 * Opens PATH COUNT times (default 1; every fd but the last is closed),
 * then prints {"pid":P,"dev":D,"ino":I,"fd":F} like tests/integration/
 * opener (dev in st_dev encoding, of the last fd, from statx) and exits 0;
 * or prints "opener32: WHAT: -ERRNO" on stderr and exits 1. Never reads
 * the file.
 *
 * Static and freestanding: no libc, no headers, only int 0x80, so it runs
 * in the kernel matrix's guests as built on the host
 * (gcc -m32 -nostdlib -static -ffreestanding; the Makefile's rule). It
 * only runs where the kernel runs 32-bit code: elsewhere exec fails.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define NR_EXIT		1
#define NR_WRITE	4
#define NR_OPEN		5
#define NR_CLOSE	6
#define NR_GETPID	20
#define NR_OPENAT	295
#define NR_STATX	383
#define AT_FDCWD	(-100)
#define AT_EMPTY_PATH	0x1000
#define STATX_INO	0x100

/* struct statx: stx_ino at 32, stx_dev_major at 136, stx_dev_minor at 140 (256 bytes) */
static unsigned char statx_buf[256] __attribute__((aligned(8)));
static char out[160];

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static long sys5(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
	return ret;
}

static u32 put_str(u32 o, const char *s)
{
	while (*s && o < sizeof(out) - 1)
		out[o++] = *s++;
	return o;
}

/* decimal of a u64 with 32-bit arithmetic only (no libgcc here): 16 bits at a time */
static u32 put_u64(u32 o, u64 v)
{
	char digits[24];
	int n = 0;

	do {
		u32 parts[4] = { (u32)(v >> 48), (u32)(v >> 32) & 0xffff,
				 (u32)(v >> 16) & 0xffff, (u32)v & 0xffff };
		u32 rem = 0;

		for (int i = 0; i < 4; i++) {
			u32 cur = (rem << 16) | parts[i];

			parts[i] = cur / 10;
			rem = cur % 10;
		}
		digits[n++] = (char)('0' + rem);
		v = (u64)parts[0] << 48 | (u64)parts[1] << 32 | (u64)parts[2] << 16 | parts[3];
	} while (v);
	while (n && o < sizeof(out) - 1)
		out[o++] = digits[--n];
	return o;
}

static u32 put_s32(u32 o, long v)
{
	if (v < 0) {
		o = put_str(o, "-");
		v = -v;
	}
	return put_u64(o, (u64)v);
}

static void die(const char *what, long err)
{
	u32 o = put_str(0, "opener32: ");

	o = put_str(o, what);
	o = put_str(o, ": ");
	o = put_s32(o, err);
	o = put_str(o, "\n");
	sys3(NR_WRITE, 2, (long)out, o);
	sys3(NR_EXIT, 1, 0, 0);
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static u32 parse_count(const char *s)
{
	u32 n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (u32)(*s++ - '0');
	return n ? n : 1;
}

__attribute__((used)) void start_c(long *sp)
{
	long argc = sp[0], fd = -1, err;
	char **argv = (char **)(sp + 1);
	u32 count, o;
	u64 ino, dev;
	u32 major, minor;

	if (argc < 3)
		die("usage: opener32 open|openat PATH [COUNT]", -22);
	count = argc > 3 ? parse_count(argv[3]) : 1;
	for (u32 i = 0; i < count; i++) {
		if (fd >= 0)
			sys3(NR_CLOSE, fd, 0, 0);
		if (streq(argv[1], "open"))
			fd = sys3(NR_OPEN, (long)argv[2], 0, 0);
		else if (streq(argv[1], "openat"))
			fd = sys5(NR_OPENAT, AT_FDCWD, (long)argv[2], 0, 0, 0);
		else
			die("unknown mode", -22);
		if (fd < 0)
			die(argv[2], fd);
	}
	err = sys5(NR_STATX, fd, (long)"", AT_EMPTY_PATH, STATX_INO, (long)statx_buf);
	if (err < 0)
		die("statx", err);
	ino = *(u64 *)(statx_buf + 32);
	major = *(u32 *)(statx_buf + 136);
	minor = *(u32 *)(statx_buf + 140);
	/* glibc's makedev(), as tests/integration/opener prints st_dev */
	dev = ((u64)(major & 0xfffff000u) << 32) | ((u64)(major & 0xfffu) << 8) |
	      ((u64)(minor & 0xffffff00u) << 12) | (minor & 0xffu);
	o = put_str(0, "{\"pid\":");
	o = put_u64(o, (u64)sys3(NR_GETPID, 0, 0, 0));
	o = put_str(o, ",\"dev\":");
	o = put_u64(o, dev);
	o = put_str(o, ",\"ino\":");
	o = put_u64(o, ino);
	o = put_str(o, ",\"fd\":");
	o = put_s32(o, fd);
	o = put_str(o, "}\n");
	sys3(NR_WRITE, 1, (long)out, o);
	sys3(NR_EXIT, 0, 0, 0);
}

/* the ELF entry: argc, argv... on the stack; call start_c(sp) with an aligned stack */
__asm__(".globl _start\n"
	"_start:\n"
	"	xorl %ebp, %ebp\n"
	"	movl %esp, %eax\n"
	"	andl $-16, %esp\n"
	"	subl $12, %esp\n"
	"	pushl %eax\n"
	"	call start_c\n"
	"	hlt\n");
