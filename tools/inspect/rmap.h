/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmap.h - a hash map from a string (or a 64-bit number) to an index into
 * an array the caller owns: the tables of the inspect commands.
 *
 * The map does not copy keys: it points at the caller's copy, which must
 * live as long as the entry. Open addressing, linear probing, grows at half
 * full. Not resistant to crafted collisions: tables are bounded by their
 * callers instead.
 */
#ifndef CW_RMAP_H
#define CW_RMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMAP_NONE UINT32_MAX

struct rmap_slot {
	uint64_t h;
	const char *key;	/* NULL for a number key: h is the key */
	uint32_t val;
	bool used;
};

struct rmap {
	struct rmap_slot *s;
	size_t cap, n;		/* cap is a power of two */
};

uint64_t rmap_hash(const char *s);

/*
 * rmap_get - the value for (h, key) (key NULL: a number key h), or
 * RMAP_NONE with *slot set to where rmap_put() stores it. *slot is NULL
 * when the map could not grow (out of memory).
 */
uint32_t rmap_get(struct rmap *m, uint64_t h, const char *key, struct rmap_slot **slot);

/* Store val in the slot rmap_get() returned; key must outlive the entry. */
void rmap_put(struct rmap *m, struct rmap_slot *slot, uint64_t h, const char *key, uint32_t val);

/* Release the slots (not the keys); the map is empty and usable again. */
void rmap_clear(struct rmap *m);

#endif /* CW_RMAP_H */
