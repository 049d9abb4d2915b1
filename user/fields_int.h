/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields_int.h - the field table's layout, shared by fields_table.c (the
 * table, lookup by name) and fields.c (get, set, compare, format). Not for
 * other modules: they use fields.h.
 */
#ifndef CW_FIELDS_INT_H
#define CW_FIELDS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "fields.h"

struct field_slot {
	struct cw_field_info info;
	size_t offset;		/* member of struct cw_record */
	size_t size;		/* for strings: buffer size */
	bool hidden;		/* not found by name (evt.res compared as text) */
	bool zero_unset;	/* a number whose 0 means "not known" */
};

/* Indexed by enum cw_field_id. */
extern const struct field_slot fields_slots[CW_F__ALL];

#endif /* CW_FIELDS_INT_H */
