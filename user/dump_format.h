/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dump_format.h - the byte layout of a trace dump, shared by the writer
 * (dump.c), the reader (dump_read.c) and the tests that build damaged
 * files. docs/dumps.md describes the same layout for humans; keep the two
 * in step. All integers are little-endian.
 *
 * file    = file_header block*
 * file_header (DUMP_FILE_HDR_FIXED + tlv_len + 4 bytes):
 *   0  7  "CWDUMP\0"
 *   7  1  format version (DUMP_VERSION)
 *   8  4  tlv_len (<= DUMP_TLV_MAX)
 *  12  .. tlv*: u16 tag, u16 len, len bytes (unknown tags are skipped)
 *   .. 4  crc32 of every byte before it
 * block header (DUMP_BLOCK_HDR bytes), then comp_len bytes of zlib data:
 *   0  4  "CWBK"
 *   4  4  comp_len   8 4 raw_len   12 4 record count
 *  16  8  earliest record time (ns)   24 8 latest record time (ns)
 *  32  4  crc32 of the comp_len payload bytes
 *  36  4  crc32 of header bytes 0..35
 * payload (raw_len bytes once inflated) = record*
 * record  = u8 type, u64 time_ns, varint body_len, body
 *   EVENT body = field*
 *   ALERT body = varint json_len, json bytes, u8 has_event, field* if has_event
 *   FINDING body = varint json_len, json bytes (a --findings line); bytes
 *     after the line are ignored. A record of a type a reader does not know
 *     is skipped whole (body_len says how long it is) and counted, so new
 *     types need no version change: a version-1 reader from before FINDING
 *     reads the rest of the block.
 * field   = varint id, u8 index, u8 type[|DUMP_FIELD_CLEAR], varint len, bytes
 *   str: the bytes and a final NUL; u64/s64/bool: len bytes of the value,
 *   little-endian, leading zero bytes dropped (0 is len 0).
 * Fields are delta-coded within a block: a record carries only the fields
 * that differ from the record before it in the same block (both sides start
 * each block from record_reset()); DUMP_FIELD_CLEAR makes a field unset.
 * Field ids are the writer's; the header maps each to its name
 * (DUMP_TAG_FIELD: u16 id, u8 type, u8 indexed, name), so a reader maps
 * them by name and skips names it does not know.
 */
#ifndef CW_DUMP_FORMAT_H
#define CW_DUMP_FORMAT_H

#include <stdint.h>
#include <string.h>

#define DUMP_MAGIC		"CWDUMP"	/* followed by a NUL: 7 bytes */
#define DUMP_MAGIC_LEN		7
#define DUMP_VERSION		1
#define DUMP_FILE_HDR_FIXED	12
#define DUMP_TLV_MAX		(64u << 10)

#define DUMP_TAG_HOSTNAME	1
#define DUMP_TAG_KERNEL		2
#define DUMP_TAG_BOOT_TIME	3
#define DUMP_TAG_AGENT_VERSION	4
#define DUMP_TAG_CREATED	5
#define DUMP_TAG_FIELD		6

#define DUMP_BLOCK_MAGIC	"CWBK"
#define DUMP_BLOCK_HDR		40
#define DUMP_RAW_MAX		(16u << 20)	/* bound on raw_len */
#define DUMP_COMP_MAX		(DUMP_RAW_MAX + (DUMP_RAW_MAX >> 8) + 64)

#define DUMP_FIELD_CLEAR	0x80
#define DUMP_FIELD_IDS_MAX	1024		/* writer ids a reader maps */

static inline void dump_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void dump_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t dump_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t dump_get_u64(const unsigned char *p)
{
	return (uint64_t)dump_get_u32(p) | (uint64_t)dump_get_u32(p + 4) << 32;
}

/* Decoded block header; dump_block_hdr_parse() checks magic, CRC, bounds. */
struct dump_block_hdr {
	uint32_t comp_len, raw_len, count, payload_crc;
	uint64_t ts_min, ts_max;
};

struct cw_record;

/* Make a field unset the way record_reset() leaves it (dump.c). */
void dump_field_clear(struct cw_record *rec, int id, int idx);

#endif /* CW_DUMP_FORMAT_H */
