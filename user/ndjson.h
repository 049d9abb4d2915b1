/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ndjson.h - read one --events line (a flat JSON object keyed by field
 * names, as jbuf_record_fields writes it) back into a struct cw_record.
 * Used by replay, credwatch-inspect and the golden rule tests.
 */
#ifndef CW_NDJSON_H
#define CW_NDJSON_H

#include "record.h"

/*
 * record_from_json - reset rec and fill it from line. null leaves a field
 * unset; numbers keep all 64 bits (not rounded through a double). Returns
 * 0, or -EINVAL for invalid JSON, a non-object, an unknown field name or a
 * value of the wrong type (-ENOMEM when out of memory).
 */
int record_from_json(const char *line, struct cw_record *rec);

#endif /* CW_NDJSON_H */
