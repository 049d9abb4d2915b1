/* SPDX-License-Identifier: Apache-2.0 */
/*
 * passwd.h - uid -> user name from an /etc/passwd that may belong to a
 * container, so it is treated as hostile: opened inside its root (symlinks
 * cannot escape), regular files only, never blocking, at most 4 MiB read,
 * parsed by hand.
 *
 *   line := name ":" password ":" uid ":" rest      (other lines ignored)
 */
#ifndef CW_PASSWD_H
#define CW_PASSWD_H

#include <stddef.h>
#include <stdint.h>

#define PASSWD_MAX_BYTES	(4u << 20)
#define PASSWD_NAME_MAX		64

/*
 * passwd_parse - the name of uid in buf[0..len). 0, or -ENOENT when no
 * well-formed line has that uid (names must be printable, no ':').
 */
int passwd_parse(const char *buf, size_t len, uint32_t uid, char *name, size_t size);

/*
 * passwd_lookup - read <root>/etc/passwd resolved inside root (openat2
 * RESOLVE_IN_ROOT) and look uid up. 0, -ENOENT (no such uid), or -errno
 * when the file cannot be read (root gone, not a regular file, too big).
 */
int passwd_lookup(const char *root, uint32_t uid, char *name, size_t size);

/* passwd_lookup_at - the same below an open directory (e.g. from rootfs_open). */
int passwd_lookup_at(int rootfd, uint32_t uid, char *name, size_t size);

#endif /* CW_PASSWD_H */
