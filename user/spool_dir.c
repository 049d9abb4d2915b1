// SPDX-License-Identifier: Apache-2.0
/*
 * spool_dir.c - the spool directory's files: opening one safely (no
 * symlink, FIFO or planted hard link), rotating one, creating the
 * directory, and the ack state file (written durably, read at open).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "spool_int.h"

/*
 * Open a file of the spool directory as one of ours: never through a
 * symlink (O_NOFOLLOW), never blocking on a FIFO (O_NONBLOCK), and only a
 * regular file with a single link that we own. A file planted while the
 * directory was open to others (a hostPath someone made world-writable)
 * cannot make us truncate, write or map something else. Returns the fd or
 * -errno (-ELOOP for a symlink, -EPERM for anything else refused), logged.
 */
int spool_file_open(struct spool *s, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd, err;

	for (int attempt = 0;; attempt++) {
		fd = openat(s->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
		if (fd < 0) {
			err = -errno;
			if (err != -ENOENT)
				log_warn("spool: %s/%s: open: %s%s", s->dir, name, strerror(-err),
					 err == -ELOOP ? " (a symlink: refused)" : "");
		} else if (fstat(fd, &st)) {
			err = -errno;
			close(fd);
			return err;
		} else if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
			log_warn("spool: %s/%s: refused: not a regular file of ours with one link "
				 "(mode %06o, %lu links, uid %u)", s->dir, name, (unsigned)st.st_mode,
				 (unsigned long)st.st_nlink, (unsigned)st.st_uid);
			close(fd);
			err = -EPERM;
		} else {
			return fd;
		}
		/*
		 * A file we are about to create (the lock, the dead letters):
		 * drop the planted entry itself, never what it points to, once.
		 */
		if (!(flags & O_CREAT) || attempt || (err != -ELOOP && err != -EPERM) ||
		    unlinkat(s->dirfd, name, 0))
			return err;
		log_warn("spool: %s/%s: removed; creating our own", s->dir, name);
		flags |= O_EXCL;
	}
}

int spool_file_rotate(struct spool *s, const char *name, uint64_t max_bytes)
{
	char old[256];
	struct stat st;

	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size <= max_bytes)
		return 0;
	snprintf(old, sizeof(old), "%s.1", name);
	if (renameat(s->dirfd, name, s->dirfd, old))
		return -errno;
	return 1;
}

/* mkdir -p; the spool directory itself is 0700 since records name pods and paths. */
int spool_make_dir(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (i = 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		path[i] = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int spool_fsync_dir(struct spool *s)
{
	if (fsync(s->dirfd)) {
		int err = -errno;

		log_warn("spool: %s: fsync dir: %s", s->dir, strerror(-err));
		return err;
	}
	return 0;
}

/* Under mu: what the state file should say now. */
struct state_snap spool_state_snap(struct spool *s)
{
	return (struct state_snap){ s->ack, s->evicted_unreported, ++s->state_gen };
}

/* Replace the state file atomically: temp, fsync, rename, fsync dir. */
int spool_state_write_snap(struct spool *s, const struct state_snap *snap)
{
	struct file_replace r;
	char buf[160];
	int n, err = 0;

	pthread_mutex_lock(&s->state_mu);
	if (snap->gen <= s->state_written_gen)
		goto unlock;	/* a newer snapshot is already durable */
	n = snprintf(buf, sizeof(buf), "credwatch-spool %d %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		     STATE_VERSION, snap->ack.seg, snap->ack.off, snap->evicted_unreported);
	/*
	 * A fresh file every time: O_TRUNC on whatever is there would truncate
	 * the target of a planted hard link before any check could refuse it.
	 */
	err = file_replace_open(&r, s->dirfd, STATE_FILE, STATE_TMP_SUFFIX, 0600);
	if (!err && write(r.fd, buf, n) != n) {
		err = errno ? -errno : -EIO;
		r.op = "write";
		file_replace_abort(&r);
	} else if (!err) {
		err = file_replace_commit(&r);
	}
	if (err && !strcmp(r.op, "fsync dir"))
		log_warn("spool: %s: fsync dir: %s", s->dir, strerror(-err));
	else if (err)
		log_warn("spool: %s/%s: %s: %s", s->dir, strcmp(r.op, "rename") ? r.tmp : STATE_FILE,
			 r.op, strerror(-err));
	else
		s->state_written_gen = snap->gen;
unlock:
	pthread_mutex_unlock(&s->state_mu);
	return err;
}

/* Under mu, for the rare writers (eviction, eviction report). */
int spool_state_write(struct spool *s)
{
	struct state_snap snap = spool_state_snap(s);

	return spool_state_write_snap(s, &snap);
}

void spool_state_read(struct spool *s)
{
	char buf[160] = "";
	int fd, ver = 0;
	ssize_t n;

	fd = spool_file_open(s, STATE_FILE, O_RDONLY, 0);
	if (fd < 0) {
		if (fd == -ELOOP || fd == -EPERM)
			unlinkat(s->dirfd, STATE_FILE, 0);	/* planted: not ours */
		if (fd != -ENOENT)
			log_warn("spool: %s/%s: replaying everything", s->dir, STATE_FILE);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "credwatch-spool %d %" SCNu64 " %" SCNu64 " %" SCNu64, &ver,
		   &s->ack.seg, &s->ack.off, &s->evicted_unreported) != 4 || ver != STATE_VERSION) {
		/* at-least-once: with no trusted cursor, resend everything */
		log_warn("spool: %s/%s: unreadable state: replaying everything", s->dir, STATE_FILE);
		s->ack.seg = s->ack.off = 0;
		s->evicted_unreported = 0;
	}
}
