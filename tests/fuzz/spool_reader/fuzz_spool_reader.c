// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_spool_reader.c - libFuzzer harness for the spool's recovery and
 * reader (user/spool.c): what the agent does at start-up with whatever a
 * crash, a full disk or a hostile writer left in --spool DIR. An input is
 * an optional state file line ("credwatch-spool 1 ...\n") followed by up
 * to three segments separated by the four bytes "CWSG"; they are written
 * to a fresh directory under /dev/shm (tmpfs: fsync is cheap), opened,
 * replayed, acknowledged, appended to, reopened and replayed again: the
 * reader only ever hands out kinds 1..3 of 1 byte..1 MiB, every byte of
 * them readable, and the spool stays within its size bound.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

#include "tests/fuzz/fuzz_common.h"
#include "user/spool.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

struct reader {
	struct spool_pos last;
	size_t records;
};

static int on_record(void *arg, enum spool_kind kind, const char *payload, size_t len,
		     const struct spool_pos *next)
{
	struct reader *r = arg;
	volatile char sink = 0;

	CHECK(kind >= SPOOL_ALERT && kind <= SPOOL_SUMMARY);
	CHECK(len > 0 && len <= SPOOL_RECORD_MAX);
	for (size_t i = 0; i < len; i += 64)	/* every byte is readable (ASan) */
		sink ^= payload[i];
	sink ^= payload[len - 1];
	(void)sink;
	r->last = *next;
	r->records++;
	return 0;
}

static int write_file(int dirfd, const char *name, const uint8_t *p, size_t n)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

/* Replay everything pending, acknowledging as the shipper does. */
static void replay(struct spool *s)
{
	struct reader r;
	int n;

	do {
		memset(&r, 0, sizeof(r));
		n = spool_read(s, 16, 64 << 10, on_record, &r);
		CHECK(n >= 0 || n == -EIO || n == -ENOMEM);
		if (n > 0)
			CHECK((size_t)n == r.records && spool_ack(s, &r.last) == 0);
	} while (n > 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char alert[] = "{\"rule\":\"fuzz\",\"output\":\"after replay\"}";
	char dir[] = "/dev/shm/cwfuzz-spool.XXXXXX", name[64];
	struct spool_opts o;
	struct spool *s = NULL;
	struct spool_stats st;
	const uint8_t *p = data, *end = data + size, *nl;
	int dfd = -1;

	if (!mkdtemp(dir))
		return 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto cleanup;
	if (size > 15 && !memcmp(p, "credwatch-spool", 15) && (nl = memchr(p, '\n', size))) {
		if (write_file(dfd, "state", p, (size_t)(nl + 1 - p)))
			goto cleanup;
		p = nl + 1;
	}
	for (int seq = 1; seq <= 3 && p <= end; seq++) {
		const uint8_t *sep = memmem(p, (size_t)(end - p), "CWSG", 4);
		const uint8_t *e = seq < 3 && sep ? sep : end;

		snprintf(name, sizeof(name), "seg-%020d.log", seq);
		if (write_file(dfd, name, p, (size_t)(e - p)))
			goto cleanup;
		if (e == end)
			break;
		p = e + 4;
	}
	spool_opts_default(&o);
	o.dir = dir;
	o.max_bytes = 64 << 10;	/* small: appends evict */
	o.fsync_ms = 60000;
	if (spool_open(&s, &o))
		goto cleanup;
	replay(s);
	CHECK(spool_append(s, SPOOL_ALERT, alert, sizeof(alert) - 1) == 0);
	spool_stats(s, &st);
	CHECK(st.bytes <= o.max_bytes);
	spool_close(s);
	s = NULL;
	/*
	 * What a restart finds. The pending count and our own record are not
	 * checked: with any CRC accepted, a crafted record may claim the bytes
	 * of the next one, or hide one inside its payload that a reader
	 * resynchronising from a cursor in the middle then finds; real CRCs
	 * rule both out (test_spool covers appends surviving a restart).
	 */
	if (spool_open(&s, &o))
		goto cleanup;
	replay(s);
	spool_stats(s, &st);
	CHECK(st.bytes <= o.max_bytes);
cleanup:
	spool_close(s);
	if (dfd >= 0)
		close(dfd);
	remove_dir(dir);
	return 0;
}
