// SPDX-License-Identifier: Apache-2.0
/*
 * mountinfo.c - read /proc/self/mountinfo into the sorted set of kubelet
 * volume mounts, and diff two such sets in one pass.
 *
 * A node with 1,000 pods has thousands of mounts, and the file is re-read
 * on every mount or unmount in the namespace: the read streams it in
 * bounded chunks (no copy of the whole file), keeps only the volume mounts
 * (a few hundred bytes each), sorts them by mount id and diffs linearly.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mountinfo.h"

#define READ_CHUNK	(64 * 1024)	/* longer than any mountinfo line the kernel writes */
#define UID_MAX_LEN	64		/* as the pods directory scan: longer is not a pod */

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

ssize_t mountinfo_unescape(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '\\') {
			if (len - i < 4 || !is_octal(in[i + 1]) || !is_octal(in[i + 2]) ||
			    !is_octal(in[i + 3]))
				return -EINVAL;
			c = (char)(((in[i + 1] - '0') << 6) | ((in[i + 2] - '0') << 3) |
				   (in[i + 3] - '0'));
			if (!c)
				return -EINVAL;
			i += 3;
		} else if (!c) {
			return -EINVAL;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	if (!size)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return (ssize_t)o;
}

/* The next space-separated field at *p (before end): its start and length. */
static bool next_field(const char **p, const char *end, const char **field, size_t *len)
{
	const char *s = *p, *sp;

	if (s >= end)
		return false;
	sp = memchr(s, ' ', (size_t)(end - s));
	*field = s;
	*len = sp ? (size_t)(sp - s) : (size_t)(end - s);
	*p = sp ? sp + 1 : end;
	return *len > 0;
}

int mountinfo_parse_line(const char *line, size_t len, uint32_t *mnt_id, char *mp,
			 size_t mp_size)
{
	const char *p = line, *end = line + len, *f;
	uint64_t id = 0;
	size_t flen;
	ssize_t n;

	if (!next_field(&p, end, &f, &flen) || flen > 10)
		return -EINVAL;
	for (size_t i = 0; i < flen; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -EINVAL;
		id = id * 10 + (uint64_t)(f[i] - '0');
	}
	if (id > UINT32_MAX)
		return -EINVAL;
	/* parent id, major:minor, root */
	for (int i = 0; i < 3; i++)
		if (!next_field(&p, end, &f, &flen))
			return -EINVAL;
	if (!next_field(&p, end, &f, &flen) || p >= end)	/* options must follow */
		return -EINVAL;
	n = mountinfo_unescape(f, flen, mp, mp_size);
	if (n < 0)
		return (int)n;
	*mnt_id = (uint32_t)id;
	return 0;
}

const char *mountinfo_volume_rel(const char *mp, const char *pods_dir, kvol_plugin_fn want)
{
	size_t plen = strlen(pods_dir);
	const char *rest, *c[4], *p;
	size_t clen[4];

	if (strncmp(mp, pods_dir, plen) || mp[plen] != '/')
		return NULL;
	rest = p = mp + plen + 1;
	for (int i = 0; i < 4; i++) {
		const char *slash = strchr(p, '/');

		c[i] = p;
		clen[i] = slash ? (size_t)(slash - p) : strlen(p);
		if (!clen[i] || clen[i] > NAME_MAX || p[0] == '.')
			return NULL;
		if (i < 3 && !slash)
			return NULL;		/* fewer than four names */
		if (i == 3 && slash)
			return NULL;		/* more than four */
		p = slash ? slash + 1 : p + clen[i];
	}
	if (clen[0] > UID_MAX_LEN || clen[1] != 7 || memcmp(c[1], "volumes", 7))
		return NULL;
	{
		char plugin[NAME_MAX + 1];

		memcpy(plugin, c[2], clen[2]);
		plugin[clen[2]] = '\0';
		if (!want(plugin))
			return NULL;
	}
	return rest;
}

bool mountinfo_is_above(const char *mp, const char *dir)
{
	size_t len = strlen(mp);

	if (!strcmp(mp, "/"))
		return true;
	return !strncmp(dir, mp, len) && (dir[len] == '/' || dir[len] == '\0');
}

static int set_push(struct kvol_set *s, uint32_t mnt_id, const char *rel)
{
	size_t len = strlen(rel) + 1;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct kvol *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (s->slen + len > s->scap) {
		size_t cap = s->scap ? s->scap : 4096;
		char *strs;

		while (cap < s->slen + len)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOMEM;
		strs = realloc(s->strs, cap);
		if (!strs)
			return -ENOMEM;
		s->strs = strs;
		s->scap = cap;
	}
	memcpy(s->strs + s->slen, rel, len);
	s->v[s->n++] = (struct kvol){ .mnt_id = mnt_id, .rel_off = (uint32_t)s->slen };
	s->slen += len;
	return 0;
}

static int process_line(struct kvol_set *s, const char *line, size_t len, const char *pods_dir,
			kvol_plugin_fn want)
{
	char mp[PATH_MAX];
	const char *rel;
	uint32_t id;
	int err;

	s->lines++;
	err = mountinfo_parse_line(line, len, &id, mp, sizeof(mp));
	if (err == -ENAMETOOLONG)
		return 0;		/* longer than any volume path: not one */
	if (err) {
		s->bad_lines++;
		return 0;
	}
	rel = mountinfo_volume_rel(mp, pods_dir, want);
	if (!rel && mountinfo_is_above(mp, pods_dir))
		rel = "";
	return rel ? set_push(s, id, rel) : 0;
}

static int by_mnt_id(const void *a, const void *b)
{
	const struct kvol *x = a, *y = b;

	return x->mnt_id < y->mnt_id ? -1 : x->mnt_id > y->mnt_id;
}

int kvol_set_read(struct kvol_set *s, int fd, const char *pods_dir, kvol_plugin_fn want)
{
	size_t have = 0, out = 0;
	bool skipping = false;
	int err = 0;
	char *buf;

	s->n = s->slen = 0;
	s->lines = s->bad_lines = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	buf = malloc(READ_CHUNK);
	if (!buf)
		return -ENOMEM;
	while (!err) {
		ssize_t r = read(fd, buf + have, READ_CHUNK - have);
		char *p = buf, *end, *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0) {
			if (have && !skipping)
				err = process_line(s, buf, have, pods_dir, want);
			break;
		}
		end = buf + have + r;
		while (!err && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			if (!skipping)
				err = process_line(s, p, (size_t)(nl - p), pods_dir, want);
			skipping = false;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
		if (have == READ_CHUNK) {
			/* no newline in a whole chunk: drop the line, not the rest */
			s->bad_lines++;
			skipping = true;
			have = 0;
		}
	}
	free(buf);
	if (err) {
		s->n = s->slen = 0;
		return err;
	}
	if (s->n)	/* qsort's array must not be NULL, even for 0 */
		qsort(s->v, s->n, sizeof(*s->v), by_mnt_id);
	/* an id twice: the file changed under the read; the next read settles it */
	for (size_t i = 0; i < s->n; i++)
		if (!out || s->v[out - 1].mnt_id != s->v[i].mnt_id)
			s->v[out++] = s->v[i];
	s->n = out;
	return 0;
}

void kvol_set_free(struct kvol_set *s)
{
	free(s->v);
	free(s->strs);
	memset(s, 0, sizeof(*s));
}

size_t kvol_set_diff(const struct kvol_set *old, const struct kvol_set *cur,
		     void (*changed)(void *ctx, const char *rel), void *ctx)
{
	size_t i = 0, j = 0, n = 0;

	while (i < old->n || j < cur->n) {
		/* past either end, the other side's mounts are all changes */
		bool take_old = j == cur->n || (i < old->n && old->v[i].mnt_id < cur->v[j].mnt_id);
		bool take_cur = i == old->n || (j < cur->n && cur->v[j].mnt_id < old->v[i].mnt_id);

		if (take_old) {
			changed(ctx, kvol_rel(old, &old->v[i++]));
			n++;
		} else if (take_cur) {
			changed(ctx, kvol_rel(cur, &cur->v[j++]));
			n++;
		} else {
			const char *was = kvol_rel(old, &old->v[i++]);
			const char *is = kvol_rel(cur, &cur->v[j++]);

			if (strcmp(was, is)) {	/* the same mount, moved */
				changed(ctx, was);
				changed(ctx, is);
				n += 2;
			}
		}
	}
	return n;
}
