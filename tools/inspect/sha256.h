/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.h - SHA-256 (FIPS 180-4) of a buffer, for the report's
 * Content-Security-Policy hash of its style block and for element ids
 * derived from attacker-chosen names (a hash cannot be steered into a
 * collision the way FNV can).
 */
#ifndef CW_SHA256_H
#define CW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Standard base64 (RFC 4648, with padding) of n bytes; dst needs 4*ceil(n/3)+1. */
void base64_encode(const uint8_t *src, size_t n, char *dst);

#endif /* CW_SHA256_H */
