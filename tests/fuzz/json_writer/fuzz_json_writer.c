// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_json_writer.c - libFuzzer harness for the JSON writer (user/json.c),
 * the last step before hostile bytes (paths, argv, comm, pod names) leave
 * the agent. Round trip: any bytes written with jbuf_strn must be valid
 * JSON (strict UTF-8, no raw control characters) that cJSON parses, and
 * decode to the input with every byte that is not part of well-formed
 * UTF-8 replaced by the four characters \xNN (json.h). cJSON stops a
 * string at U+0000, so the comparison ends at the first NUL. The input is
 * also put into a record's string fields and written with
 * jbuf_record_fields, which must parse as an object of every field, and
 * through text_escape, which must leave no control character.
 */
#include <cjson/cJSON.h>

#include "tests/fuzz/fuzz_common.h"
#include "user/json.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

/* The output is strict JSON text as far as bytes go: valid UTF-8, no control bytes. */
static void check_clean(const char *out, size_t n)
{
	const uint8_t *s = (const uint8_t *)out;

	for (size_t i = 0; i < n;) {
		size_t k = fuzz_u8len(s + i, n - i);

		CHECK(k > 0 && s[i] >= 0x20 && s[i] != 0x7f);
		i += k;
	}
}

static void round_trip(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	char *want = malloc(size * 4 + 1);
	size_t wn = 0;
	struct jbuf jb;
	cJSON *v;

	CHECK(want);
	for (size_t i = 0; i < size;) {
		size_t k = fuzz_u8len(data + i, size - i);

		if (k) {
			memcpy(want + wn, data + i, k);
			wn += k;
			i += k;
		} else {
			want[wn++] = '\\';
			want[wn++] = 'x';
			want[wn++] = hex[data[i] >> 4];
			want[wn++] = hex[data[i] & 15];
			i++;
		}
	}
	want[wn] = '\0';
	jbuf_init(&jb);
	jbuf_strn(&jb, (const char *)data, size);
	CHECK(!jb.oom && jb.len >= 2 && strlen(jb.buf) == jb.len);
	check_clean(jb.buf, jb.len);
	v = cJSON_ParseWithLength(jb.buf, jb.len);
	CHECK(cJSON_IsString(v));
	/* equal up to the first NUL, where cJSON's C string ends */
	CHECK(strlen(v->valuestring) == strlen(want) && !strcmp(v->valuestring, want));
	cJSON_Delete(v);
	jbuf_free(&jb);
	free(want);
}

static void record_fields(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), esc[512];
	struct cw_record rec;
	struct jbuf jb;
	cJSON *v, *item;
	int n = 0;

	CHECK(s);
	record_reset(&rec);
	field_set_str(&rec, CW_F_PROC_NAME, 0, s);
	field_set_str(&rec, CW_F_PROC_CMDLINE, 0, s);
	field_set_str(&rec, CW_F_PROC_ANAME, 3, s);
	field_set_str(&rec, CW_F_FD_NAME, 0, s);
	field_set_str(&rec, CW_F_K8S_POD_NAME, 0, s);
	field_set_u64(&rec, CW_F_PROC_PID, 0, size);
	jbuf_init(&jb);
	jbuf_obj_begin(&jb);
	jbuf_key(&jb, s);	/* a hostile key takes the slow path */
	jbuf_str(&jb, s);
	jbuf_record_fields(&jb, &rec);
	jbuf_obj_end(&jb);
	CHECK(!jb.oom);
	check_clean(jb.buf, jb.len);
	v = cJSON_ParseWithLength(jb.buf, jb.len);
	CHECK(cJSON_IsObject(v));
	cJSON_ArrayForEach(item, v)
		n++;
	CHECK(n >= CW_F__COUNT);
	cJSON_Delete(v);
	jbuf_free(&jb);

	text_escape(s, esc, sizeof(esc));
	CHECK(strlen(esc) < sizeof(esc));
	for (const uint8_t *p = (const uint8_t *)esc; *p; p++)
		CHECK(*p >= 0x20 && *p != 0x7f);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip(data, size);
	record_fields(data, size);
	return 0;
}
