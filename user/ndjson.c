// SPDX-License-Identifier: Apache-2.0
/* ndjson.c - one --events JSON line back into a struct cw_record. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "ndjson.h"

/*
 * cJSON keeps numbers as doubles, which rounds evt.time (about 2^60).
 * The raw number tokens of a flat object appear in the text in the same
 * order as cJSON's children, so take them from the text: the next number
 * outside a string.
 */
static const char *next_number(const char *s, size_t *len)
{
	bool in_str = false;

	for (; *s; s++) {
		if (in_str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_str = false;
			continue;
		}
		if (*s == '"') {
			in_str = true;
		} else if (*s == '-' || isdigit((unsigned char)*s)) {
			size_t n = 0;

			while (s[n] && strchr("+-.eE0123456789", s[n]))
				n++;
			*len = n;
			return s;
		}
	}
	return NULL;
}

static int set_number(struct cw_record *rec, int id, int idx, const char *tok, size_t len)
{
	const struct cw_field_info *fi = field_info(id);
	char buf[32], *end;
	uint64_t v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	errno = 0;
	if (fi->type == CW_FT_S64) {
		v = (uint64_t)strtoll(buf, &end, 10);
	} else if (fi->type == CW_FT_U64 && buf[0] != '-') {
		v = strtoull(buf, &end, 10);
	} else {
		return -EINVAL;
	}
	if (errno || *end)
		return -EINVAL;
	return field_set_u64(rec, id, idx, v);
}

int record_from_json(const char *line, struct cw_record *rec)
{
	cJSON *root, *item;
	const char *cursor = line;
	int err = 0;

	record_reset(rec);
	root = cJSON_Parse(line);
	if (!root)
		return -EINVAL;
	if (!cJSON_IsObject(root)) {
		err = -EINVAL;
		goto cleanup;
	}
	cJSON_ArrayForEach(item, root) {
		const char *tok = NULL;
		size_t len = 0;
		int id, idx;

		if (cJSON_IsNumber(item)) {
			tok = next_number(cursor, &len);
			if (!tok) {
				err = -EINVAL;
				goto cleanup;
			}
			cursor = tok + len;
		}
		id = field_lookup(item->string, &idx);
		if (id < 0) {
			err = -EINVAL;
			goto cleanup;
		}
		if (cJSON_IsNull(item))
			continue;
		if (cJSON_IsString(item))
			err = field_set_str(rec, id, idx, item->valuestring);
		else if (cJSON_IsBool(item))
			err = field_info(id)->type == CW_FT_BOOL ?
			      field_set_u64(rec, id, idx, cJSON_IsTrue(item)) : -EINVAL;
		else if (cJSON_IsNumber(item))
			err = field_info(id)->type == CW_FT_BOOL ? -EINVAL :
			      set_number(rec, id, idx, tok, len);
		else
			err = -EINVAL;
		if (err)
			goto cleanup;
	}
cleanup:
	cJSON_Delete(root);
	return err;
}
