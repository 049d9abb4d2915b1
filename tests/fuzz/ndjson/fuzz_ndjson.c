// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_ndjson.c - libFuzzer harness for record_from_json (user/ndjson.c):
 * --events lines read back by credwatch-inspect and replay, from files of
 * any origin. Each input is one line. When it is accepted, the record is
 * written out with jbuf_record_fields and read back: that must succeed
 * and give every number, boolean and null back, and every string that is
 * valid UTF-8 byte for byte. (Other strings come back in the \xNN form of
 * json.h, which is longer and may be cut to the field's size.)
 */
#include "tests/fuzz/fuzz_common.h"
#include "user/json.h"
#include "user/ndjson.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void write_rec(struct jbuf *jb, const struct cw_record *rec)
{
	jbuf_reset(jb);
	jbuf_obj_begin(jb);
	jbuf_record_fields(jb, rec);
	jbuf_obj_end(jb);
	CHECK(!jb->oom);
}

static void same_value(const struct cw_record *a, const struct cw_record *b, int id, int idx)
{
	struct cw_value va, vb;

	field_get(a, id, idx, &va);
	field_get(b, id, idx, &vb);
	CHECK(va.is_set == vb.is_set && va.type == vb.type);
	if (!va.is_set)
		return;
	if (va.type == CW_FT_S64)
		CHECK(va.s64 == vb.s64);
	else if (va.type != CW_FT_STR)
		CHECK(va.u64 == vb.u64);
	else if (fuzz_utf8_valid(va.str, strlen(va.str)))
		CHECK(!strcmp(va.str, vb.str));
}

static void same_fields(const struct cw_record *a, const struct cw_record *b)
{
	for (int id = 0; id < CW_F__COUNT; id++) {
		if (!field_info(id)->indexed)
			same_value(a, b, id, 0);
		else
			for (int n = 1; n <= CW_ANCESTORS; n++)
				same_value(a, b, id, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cw_record a, b;
	struct jbuf j1, j2;
	char *line = fuzz_cstr(data, size);

	if (!line)
		return 0;
	if (record_from_json(line, &a))
		goto cleanup;
	jbuf_init(&j1);
	jbuf_init(&j2);
	write_rec(&j1, &a);
	CHECK(record_from_json(j1.buf, &b) == 0);
	same_fields(&a, &b);
	write_rec(&j2, &b);
	CHECK(record_from_json(j2.buf, &b) == 0);
	jbuf_free(&j1);
	jbuf_free(&j2);
cleanup:
	free(line);
	return 0;
}
