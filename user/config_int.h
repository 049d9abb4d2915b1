/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_int.h - shared by config.c (the modules' tables, argv, printing)
 * and config_file.c (the YAML file). Not for other modules.
 */
#ifndef CW_CONFIG_INT_H
#define CW_CONFIG_INT_H

#include "config.h"

/* Options of all modules together, at most (config_opts() aborts past it). */
#define CONFIG_OPTS_MAX	128

/*
 * Every option of every module, in --help order, as one array whose
 * offsets are from struct config (built on first use).
 */
const struct opt_desc *config_opts(size_t *n);
const struct opt_desc *config_opt_find(const char *name);

/* config_load_file(); lines[i] (optional) gets the line option i was set on. */
int config_load_file_lines(struct config *c, const char *path, unsigned long *lines,
			   char *err, size_t err_size);

#endif /* CW_CONFIG_INT_H */
