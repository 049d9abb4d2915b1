// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_dump_reader.c - libFuzzer harness for the trace dump reader: the
 * byte boundary where credwatch-inspect meets files from anywhere. Each
 * input is one dump file (in a memfd); every record is read and formatted
 * as the inspector would, so a bad length or state shows up under ASan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "user/dump.h"
#include "user/json.h"

static void quiet(void *ctx, const char *file, uint64_t off, const char *what)
{
	(void)ctx;
	(void)file;
	(void)off;
	(void)what;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dump_reader_opts ro = { .on_damage = quiet };
	struct dump_reader *r = NULL;
	struct dump_item it;
	struct jbuf jb;
	char path[64];
	int fd;

	fd = memfd_create("fuzz.cwd", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto cleanup;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (dump_reader_open(&r, path, &ro))
		goto cleanup;
	jbuf_init(&jb);
	while (dump_reader_next(r, &it) == 1) {
		jbuf_reset(&jb);
		jbuf_obj_begin(&jb);
		if (it.rec)
			jbuf_record_fields(&jb, it.rec);
		if (it.alert_json)
			jbuf_strn(&jb, it.alert_json, it.alert_len);
		if (it.finding_json)
			jbuf_strn(&jb, it.finding_json, it.finding_len);
		jbuf_obj_end(&jb);
	}
	jbuf_free(&jb);
cleanup:
	dump_reader_close(r);
	close(fd);
	return 0;
}
