// SPDX-License-Identifier: Apache-2.0
/*
 * hash.c - SipHash-1-3 (Aumasson and Bernstein; one compression, three
 * finalisation rounds), streaming. FNV-1a is inline in hash.h.
 */
#include <string.h>

#include "hash.h"

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) do {						\
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);		\
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;					\
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;					\
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);		\
} while (0)

void hash_sip_init(struct hash_sip *h, const uint64_t key[2])
{
	h->v0 = key[0] ^ 0x736f6d6570736575ULL;
	h->v1 = key[1] ^ 0x646f72616e646f6dULL;
	h->v2 = key[0] ^ 0x6c7967656e657261ULL;
	h->v3 = key[1] ^ 0x7465646279746573ULL;
	h->tail = 0;
	h->len = 0;
}

static void sip_word(struct hash_sip *h, uint64_t m)
{
	h->v3 ^= m;
	SIPROUND(h->v0, h->v1, h->v2, h->v3);
	h->v0 ^= m;
}

void hash_sip_update(struct hash_sip *h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n && h->len % 8) {	/* finish a partial word */
		h->tail |= (uint64_t)*p++ << (8 * (h->len++ % 8));
		n--;
		if (h->len % 8 == 0) {
			sip_word(h, h->tail);
			h->tail = 0;
		}
	}
	for (; n >= 8; n -= 8, p += 8, h->len += 8) {
		uint64_t m;

		memcpy(&m, p, 8);	/* little endian hosts: the reference's byte order */
		sip_word(h, m);
	}
	for (; n; n--)
		h->tail |= (uint64_t)*p++ << (8 * (h->len++ % 8));
}

uint64_t hash_sip_final(struct hash_sip *h)
{
	sip_word(h, h->tail | (uint64_t)(h->len & 0xff) << 56);
	h->v2 ^= 0xff;
	for (int i = 0; i < 3; i++)
		SIPROUND(h->v0, h->v1, h->v2, h->v3);
	return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

