// SPDX-License-Identifier: Apache-2.0
/*
 * rotlat - token rotation to watched-inode update latency, measured at the
 * kernel map: what an open of the new token would be matched against.
 *   rotlat PID VOLDIR ROUNDS
 *   rotlat --mount PID PODSDIR ROUNDS [IDLE_PODS]
 * VOLDIR is a kubelet volume in the atomic-writer layout (..data -> ..<ts>,
 * KEY -> ..data/KEY). Each round does what kubelet's atomic writer does:
 * a new ..<ts> dir with every key written, a ..data_tmp symlink to it, then
 * rename(..data_tmp, ..data), then removes the old dir. The clock starts
 * just before the rename; the round ends when the BPF map "watched" of the
 * agent PID (found through /proc/PID/fdinfo) holds the new inode of every key whose old inode it held
 * (ca.crt and namespace are not credentials) and no longer holds the old
 * ones (polled every 20 us with bpf_map_lookup_elem). Prints one line per
 * round: "<ms to new inodes watched> <ms to old inodes unwatched>", -1 for
 * a timeout (and exits 1 at the end).
 *
 * --mount: a new pod's token volume, the way kubelet makes it. Each round
 * creates PODSDIR/<uid>/volumes/kubernetes.io~projected/kube-api-access-bench,
 * MOUNTS A TMPFS ON IT - the clock starts just before mount(2) - and
 * writes the atomic-writer files inside (..<ts>/token, ca.crt, namespace,
 * ..data, key links); the round's first number is when the agent's map
 * holds the token's inode. Then it unmounts and removes the pod (second
 * clock: umount(2) to the inode gone from the map). IDLE_PODS such pods are
 * mounted first and kept until the end, for a node whose mount table is
 * long. Rounds start 100-300 ms apart (random, to cover the agent loop's
 * phase). Run it in a mount namespace of its own (unshare -m): a killed
 * run then leaves no mount behind.
 * Needs root (BPF map access by id, mounts). Never reads a credential file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/credwatch.h"
#include "tests/lib/agent_map.h"

#define MAX_KEYS	16
#define TIMEOUT_S	5.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int key_of(const char *path, struct cw_inode_key *k)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	agent_map_key(st.st_dev, st.st_ino, k);
	return 0;
}

static int write_marker(const char *path)
{
	char buf[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int n;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "CWMARKER-rotlat-%ld\n", random());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static void rm_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

#define VOL_REL	"volumes/kubernetes.io~projected/kube-api-access-bench"

/* A kubelet-style pod under pods: dirs, tmpfs on the volume, atomic writer. */
static int pod_create(const char *pods, const char *uid, double *t_mount, char *token,
		      size_t size)
{
	static const char *const keys[] = { "token", "ca.crt", "namespace" };
	char vol[PATH_MAX], path[PATH_MAX + 64], rel[PATH_MAX];
	const char *ts = "..2026_01_01_00_00_00.1";

	snprintf(vol, sizeof(vol), "%s/%s", pods, uid);
	mkdir(vol, 0750);
	snprintf(vol, sizeof(vol), "%s/%s/volumes", pods, uid);
	mkdir(vol, 0750);
	snprintf(vol, sizeof(vol), "%s/%s/volumes/kubernetes.io~projected", pods, uid);
	mkdir(vol, 0750);
	snprintf(vol, sizeof(vol), "%s/%s/" VOL_REL, pods, uid);
	if (mkdir(vol, 0755))
		return -errno;
	*t_mount = now_ms();
	if (mount("tmpfs", vol, "tmpfs", 0, "mode=0755,size=64k"))
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", vol, ts);
	if (mkdir(path, 0755))
		return -errno;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", vol, ts, keys[i]);
		if (write_marker(path))
			return -EIO;
	}
	snprintf(path, sizeof(path), "%s/..data_tmp", vol);
	if (symlink(ts, path))
		return -errno;
	snprintf(rel, sizeof(rel), "%s/..data", vol);
	if (rename(path, rel))
		return -errno;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", vol, keys[i]);
		snprintf(rel, sizeof(rel), "..data/%s", keys[i]);
		if (symlink(rel, path))
			return -errno;
	}
	snprintf(token, size, "%s/token", vol);
	return 0;
}

static void pod_remove(const char *pods, const char *uid)
{
	static const char *const dirs[] = { VOL_REL, "volumes/kubernetes.io~projected", "volumes", "" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", pods, uid, dirs[i]);
		rmdir(path);
	}
}

/*
 * umount(2), again on EBUSY - the agent may have the volume dir open for a
 * rescan; kubelet retries too. Returns 0 or -errno; *t_ok is when it worked.
 */
static int umount_retry(const char *dir, double *t_ok)
{
	for (int tries = 0;; tries++) {
		*t_ok = now_ms();
		if (!umount(dir))
			return 0;
		if (errno != EBUSY || tries == 1000)
			return -errno;
		usleep(1000);
	}
}

static int mount_rounds(int mapfd, const char *pods, int rounds, int idle)
{
	char uid[64], token[PATH_MAX], vol[PATH_MAX];
	struct cw_inode_key k;
	struct cw_watch_val val;
	double t0, t1;
	int ret = 0, err;

	for (int i = 0; i < idle; i++) {
		snprintf(uid, sizeof(uid), "00000000-1d1e-4000-8000-%06d%06d", (int)getpid() % 1000000, i);
		err = pod_create(pods, uid, &t0, token, sizeof(token));
		if (err) {
			fprintf(stderr, "rotlat: idle pod %d: %s\n", i, strerror(-err));
			ret = 1;
			idle = i;
			goto cleanup;
		}
	}
	for (int r = 0; r < rounds; r++) {
		double t_new = -1, t_gone = -1;

		usleep(100000 + (useconds_t)(random() % 200000));
		snprintf(uid, sizeof(uid), "00000000-be4c-4000-8000-%06d%06d", (int)getpid() % 1000000, r);
		err = pod_create(pods, uid, &t0, token, sizeof(token));
		if (err || key_of(token, &k)) {
			fprintf(stderr, "rotlat: round %d: pod: %s\n", r, strerror(err ? -err : errno));
			ret = 1;
			break;
		}
		while (now_ms() - t0 < TIMEOUT_S * 1e3 && t_new < 0) {
			if (!bpf_map_lookup_elem(mapfd, &k, &val))
				t_new = now_ms() - t0;
			else
				usleep(20);
		}
		snprintf(vol, sizeof(vol), "%s/%s/" VOL_REL, pods, uid);
		err = umount_retry(vol, &t1);	/* the clock starts at the umount that works */
		if (err) {
			fprintf(stderr, "rotlat: umount %s: %s\n", vol, strerror(-err));
			ret = 1;
			break;
		}
		pod_remove(pods, uid);
		while (now_ms() - t1 < TIMEOUT_S * 1e3 && t_gone < 0) {
			if (bpf_map_lookup_elem(mapfd, &k, &val))
				t_gone = now_ms() - t1;
			else
				usleep(20);
		}
		printf("%.3f %.3f\n", t_new, t_gone);
		fflush(stdout);
		if (t_new < 0 || t_gone < 0) {
			fprintf(stderr, "rotlat: round %d: token %s within %.0f s\n", r,
				t_new < 0 ? "not watched" : "still watched", TIMEOUT_S);
			ret = 1;
		}
	}
cleanup:
	for (int i = 0; i < idle; i++) {
		snprintf(uid, sizeof(uid), "00000000-1d1e-4000-8000-%06d%06d", (int)getpid() % 1000000, i);
		snprintf(vol, sizeof(vol), "%s/%s/" VOL_REL, pods, uid);
		if (umount_retry(vol, &t1))
			fprintf(stderr, "rotlat: umount %s: %s\n", vol, strerror(errno));
		pod_remove(pods, uid);
	}
	return ret;
}

int main(int argc, char **argv)
{
	char keys[MAX_KEYS][NAME_MAX + 1], path[PATH_MAX], olddir[PATH_MAX], tmp[PATH_MAX];
	char data[PATH_MAX], target[NAME_MAX + 1];
	const char *vol;
	int rounds, nkeys = 0, mapfd, ret = 0;
	struct cw_watch_val val;
	struct dirent *de;
	DIR *d;

	if (argc >= 5 && !strcmp(argv[1], "--mount")) {
		srandom((unsigned)getpid());
		mapfd = agent_map_watched(atoi(argv[2]));
		if (mapfd < 0) {
			fprintf(stderr, "rotlat: pid %s holds no credwatch 'watched' map\n", argv[2]);
			return 1;
		}
		ret = mount_rounds(mapfd, argv[3], atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 0);
		close(mapfd);
		return ret;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: rotlat PID VOLDIR ROUNDS | rotlat --mount PID PODSDIR ROUNDS [IDLE_PODS]\n");
		return 2;
	}
	vol = argv[2];
	srandom((unsigned)getpid());
	rounds = atoi(argv[3]);
	mapfd = agent_map_watched(atoi(argv[1]));
	if (mapfd < 0) {
		fprintf(stderr, "rotlat: pid %s holds no credwatch 'watched' map\n", argv[1]);
		return 1;
	}
	snprintf(data, sizeof(data), "%s/..data", vol);
	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", vol);
	d = opendir(vol);
	if (!d) {
		fprintf(stderr, "rotlat: %s: %s\n", vol, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) && nkeys < MAX_KEYS)
		if (de->d_name[0] != '.' && de->d_type == DT_LNK)
			snprintf(keys[nkeys++], sizeof(keys[0]), "%s", de->d_name);
	closedir(d);
	if (!nkeys) {
		fprintf(stderr, "rotlat: %s: no KEY -> ..data/KEY links\n", vol);
		return 1;
	}

	for (int r = 0; r < rounds; r++) {
		struct cw_inode_key oldk[MAX_KEYS], newk[MAX_KEYS];
		bool was[MAX_KEYS];
		double t0, t_new = -1, t_old = -1;
		int nwas = 0;
		char ts[64];
		ssize_t n;

		n = readlink(data, target, sizeof(target) - 1);
		if (n <= 0) {
			fprintf(stderr, "rotlat: %s: %s\n", data, strerror(errno));
			return 1;
		}
		target[n] = '\0';
		snprintf(olddir, sizeof(olddir), "%s/%s", vol, target);
		snprintf(ts, sizeof(ts), "..rotlat_%d_%ld", r, (long)getpid());
		snprintf(path, sizeof(path), "%s/%s", vol, ts);
		if (mkdir(path, 0755)) {
			fprintf(stderr, "rotlat: mkdir %s: %s\n", path, strerror(errno));
			return 1;
		}
		for (int i = 0; i < nkeys; i++) {
			char p[PATH_MAX + NAME_MAX + 2];

			snprintf(p, sizeof(p), "%s/%s", olddir, keys[i]);
			if (key_of(p, &oldk[i]))
				memset(&oldk[i], 0, sizeof(oldk[i]));
			was[i] = oldk[i].ino && !bpf_map_lookup_elem(mapfd, &oldk[i], &val);
			nwas += was[i];
			snprintf(p, sizeof(p), "%s/%s", path, keys[i]);
			if (write_marker(p) || key_of(p, &newk[i])) {
				fprintf(stderr, "rotlat: %s: cannot create\n", p);
				return 1;
			}
		}
		if (!nwas) {
			fprintf(stderr, "rotlat: %s: no key is watched by the agent\n", vol);
			return 1;
		}
		unlink(tmp);
		if (symlink(ts, tmp)) {
			fprintf(stderr, "rotlat: symlink %s: %s\n", tmp, strerror(errno));
			return 1;
		}
		/*
		 * Let the agent settle the mkdir/create events before the clock
		 * starts; the random part spreads the rename over the phase of
		 * whatever periodic loop the agent runs, so rounds do not lock in.
		 */
		usleep(300000 + (useconds_t)(random() % 200000));
		t0 = now_ms();
		if (rename(tmp, data)) {
			fprintf(stderr, "rotlat: rename %s: %s\n", tmp, strerror(errno));
			return 1;
		}
		while (now_ms() - t0 < TIMEOUT_S * 1e3 && (t_new < 0 || t_old < 0)) {
			int have_new = 0, have_old = 0;

			for (int i = 0; i < nkeys; i++) {
				if (!was[i])
					continue;
				have_new += !bpf_map_lookup_elem(mapfd, &newk[i], &val);
				have_old += !bpf_map_lookup_elem(mapfd, &oldk[i], &val);
			}
			if (t_new < 0 && have_new == nwas)
				t_new = now_ms() - t0;
			if (t_old < 0 && have_old == 0)
				t_old = now_ms() - t0;
			usleep(20);
		}
		rm_dir(olddir);
		printf("%.3f %.3f\n", t_new, t_old);
		fflush(stdout);
		if (t_new < 0) {
			fprintf(stderr, "rotlat: round %d: new inodes not watched within %.0f s\n",
				r, TIMEOUT_S);
			ret = 1;
		}
	}
	close(mapfd);
	return ret;
}
