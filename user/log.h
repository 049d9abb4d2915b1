/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the one logger: stderr, one line per message, "credwatch: " prefix.
 * Messages name module, object, operation and reason:
 *   log_warn("spool: %s: fsync: %s", path, strerror(-err));
 * Lines are escaped for terminals (text_escape): one line each, no raw
 * control bytes, whatever the arguments hold.
 * The level is tested before the arguments are evaluated.
 */
#ifndef CW_LOG_H
#define CW_LOG_H

enum cw_log_level { CW_LOG_ERROR, CW_LOG_WARN, CW_LOG_INFO, CW_LOG_DEBUG };

extern enum cw_log_level cw_log_level;

void log_msg(enum cw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_at(lvl, ...) do { if ((lvl) <= cw_log_level) log_msg((lvl), __VA_ARGS__); } while (0)
#define log_error(...) log_at(CW_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(CW_LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(CW_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(CW_LOG_DEBUG, __VA_ARGS__)

#endif /* CW_LOG_H */
