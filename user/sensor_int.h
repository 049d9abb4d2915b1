/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sensor_int.h - what the sensor's files share: the sensor itself
 * (sensor.c: open, configure, load, attach, drain), the kernel probes
 * (sensor_kernel.c) and the maps (sensor_maps.c). Users include sensor.h.
 */
#ifndef CW_SENSOR_INT_H
#define CW_SENSOR_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "sensor.h"

#define TRACEFS "/sys/kernel/tracing"

struct sensor {
	struct credwatch_bpf *skel;
	struct ring_buffer *rb;
	sensor_event_fn fn;
	void *ctx;
	int ncpus;
	/* how many watched inodes share each bitmap bit: clear at zero */
	uint16_t *bloom_refs;
	uint32_t bloom_log2;		/* bits in use, as published to the kernel */
	uint64_t watched;		/* entries in the watched map */
	uint64_t bloom_clean_at_ns;	/* drop bits of the old size after this; 0 none */
	struct sensor_hook_status hooks[SENSOR_HOOKS];
	char variant[192];		/* sensor_variant() */
	/* the batch sensor_consume() is filling */
	unsigned int batch_max, batch_seen;
	char ia32[320];			/* sensor_ia32() */
	bool ia32_attached;
	bool btrfs_subvol;		/* the kernel can tell btrfs subvolumes apart */
};

/* sensor_kernel.c */
bool sensor_tracepoint_exists(const char *tp_dir);
bool sensor_has_helper(enum bpf_func_id id);
bool sensor_btrfs_subvol_supported(const struct btf *vmlinux);
const char *sensor_io_uring_unsupported(const struct btf *vmlinux);

/* sensor_maps.c: drop the bitmap bits of the old size once their grace period is over */
void sensor_bloom_clean(struct sensor *s);

#endif /* CW_SENSOR_INT_H */
