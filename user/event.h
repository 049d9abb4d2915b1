/* SPDX-License-Identifier: Apache-2.0 */
/* event.h - kernel event (struct cw_event) to struct cw_record. */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include <stddef.h>

#include "creds.h"
#include "record.h"

struct redact;

/*
 * event_to_record - fill the parts of rec the kernel and the credential
 * table know: evt.*, proc.* (lineage from the kernel's capture), user.uid,
 * fd.*, cred.* (kind, path, owner pod uid, volume). Bounds every length
 * against size: a short or inconsistent event yields empty strings, never
 * an overread. boot_to_real_ns converts the kernel's boot-time clock.
 * The argv is passed through redact (redact.h) before anything in rec is
 * made of it, so every field that carries arguments holds only the
 * redacted text; redact NULL (--no-redact) copies it as it is.
 * Returns 0, or -EINVAL when size is below the header.
 */
int event_to_record(const struct cw_event *e, size_t size, const struct cred_entry *cred,
		    int64_t boot_to_real_ns, struct redact *redact, struct cw_record *rec);

/* Nanoseconds to add to CLOCK_BOOTTIME to get CLOCK_REALTIME, now. */
int64_t event_boot_to_real_ns(void);

#endif /* CW_EVENT_H */
