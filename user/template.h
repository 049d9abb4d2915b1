/* SPDX-License-Identifier: Apache-2.0 */
/*
 * template.h - a rule's output template, compiled once.
 *
 * "%proc.name read %fd.name (parent=%proc.aname[1])": `%` followed by a
 * field name (and [N] for indexed fields) is replaced by the field's value,
 * `<NA>` when it is not set; `%%` is a literal `%`. A name that is not a
 * field renders as `<NA>` too (tmpl_compile reports it so the loader can
 * warn). A `.` that ends a name ("%fd.name.") is text, not part of it.
 */
#ifndef CW_TEMPLATE_H
#define CW_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "record.h"

struct tmpl;

/*
 * tmpl_compile - 0 or -ENOMEM, *out NULL on error. When unknown is not
 * NULL it receives the first unknown field name ("" when none).
 */
int tmpl_compile(struct tmpl **out, const char *text, char *unknown, size_t size);
/* Append the substituted text, raw (not JSON-quoted), to out. */
void tmpl_render(const struct tmpl *t, const struct cw_record *rec, struct jbuf *out);
/*
 * Write "evt.time": N, "evt.count": N, then "field": value for each distinct field of the
 * template (numbers, booleans, strings; null when unset or unknown) as
 * members of the JSON object open in jb.
 */
void tmpl_fields_json(const struct tmpl *t, const struct cw_record *rec, struct jbuf *jb);
/* enum cw_want bits attribution needs to fill the template's fields. */
uint32_t tmpl_wants(const struct tmpl *t);
void tmpl_free(struct tmpl *t);

#endif /* CW_TEMPLATE_H */
