#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""podchurn.py - kubelet-style pods in bulk, for the churn tests. Each pod is
made in kubelet's order (tests/lib/kubelet.sh does the same one at a time):
ROOT/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~projected/kube-api-access-churn
is created, a tmpfs is MOUNTED on it, and only then the atomic writer's
files go inside (..<ts>/{token,ca.crt,namespace}, ..data, key links).
Teardown unmounts, then removes. Run it in a private mount namespace
(kubelet_isolate). Tokens hold a CWMARKER line like tests/lib/fixture.sh's.

  podchurn.py create ROOT N          N pods; prints their uids
  podchurn.py delete ROOT            the pods whose uids are on stdin
  podchurn.py churn ROOT SECONDS LIVE AGENT_PID WATCHED READS
      for SECONDS, keep LIVE pods: create one, wait until the agent's
      kernel map holds its token (WATCHED: build/itests/watched), read the
      token once as its container would, delete the oldest and wait until
      its token is gone from the map. Writes the inode of every read to
      READS (one per line) and "DEV INO CLOCK_BOOTTIME_NS POD_UID" to
      READS.detail, to name a read that went unseen; prints
      {"pods": N, "reads": N} as JSON.
"""
import ctypes
import errno
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

LIBC = ctypes.CDLL(None, use_errno=True)
VOL = "volumes/kubernetes.io~projected/kube-api-access-churn"


def pods_dir(root):
    return os.path.join(root, "var/lib/kubelet/pods")


def check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def make_pod(root, uid):
    vol = os.path.join(pods_dir(root), uid, VOL)
    os.makedirs(vol)
    check(LIBC.mount(b"tmpfs", vol.encode(), b"tmpfs", 0, b"mode=0755,size=64k"), "mount " + vol)
    ts = "..2026_01_01_00_00_00.%d" % time.monotonic_ns()
    os.mkdir(os.path.join(vol, ts))
    for key in ("token", "ca.crt", "namespace"):
        with open(os.path.join(vol, ts, key), "w") as f:
            f.write("CWMARKER-%s\n" % os.urandom(8).hex())
    os.symlink(ts, os.path.join(vol, "..data_tmp"))
    os.rename(os.path.join(vol, "..data_tmp"), os.path.join(vol, "..data"))
    for key in ("token", "ca.crt", "namespace"):
        os.symlink("..data/" + key, os.path.join(vol, key))
    return os.path.join(vol, "token")


def delete_pod(root, uid):
    pod = os.path.join(pods_dir(root), uid)
    vol = os.path.join(pod, VOL).encode()
    for _ in range(1000):   # as kubelet, again while the agent has the dir open
        if LIBC.umount2(vol, 0) == 0:
            break
        if ctypes.get_errno() != errno.EBUSY:
            check(-1, "umount " + uid)
        time.sleep(0.001)
    else:
        check(-1, "umount " + uid)
    shutil.rmtree(pod)


def watched(tool, pid, verb, key):
    r = subprocess.run([tool, str(pid), verb, "-t", "30", key], capture_output=True, text=True)
    if r.returncode:
        sys.exit("podchurn: %s" % r.stderr.strip())


def churn(root, seconds, live, pid, tool, reads_path):
    pods, reads, made = [], 0, 0
    end = time.monotonic() + seconds
    with open(reads_path, "w") as out, open(reads_path + ".detail", "w") as detail:
        while time.monotonic() < end:
            uid = str(uuid.uuid4())
            token = make_pod(root, uid)
            made += 1
            watched(tool, pid, "has", token)
            # the container starts: one read of its token
            fd = os.open(token, os.O_RDONLY)
            st = os.fstat(fd)
            os.read(fd, 64)
            os.close(fd)
            reads += 1
            out.write("%d\n" % st.st_ino)
            detail.write("%d %d %d %s\n" % (st.st_dev, st.st_ino,
                                             time.clock_gettime_ns(time.CLOCK_BOOTTIME), uid))
            pods.append((uid, "%d:%d" % (st.st_dev, st.st_ino)))
            if len(pods) > live:
                old_uid, old_key = pods.pop(0)
                delete_pod(root, old_uid)
                watched(tool, pid, "lacks", old_key)
    for uid, key in pods:
        delete_pod(root, uid)
        watched(tool, pid, "lacks", key)
    print(json.dumps({"pods": made, "reads": reads}))


def main():
    cmd, root = sys.argv[1], sys.argv[2]
    if cmd == "create":
        for _ in range(int(sys.argv[3])):
            uid = str(uuid.uuid4())
            make_pod(root, uid)
            print(uid, flush=True)
    elif cmd == "delete":
        for line in sys.stdin:
            if line.strip():
                delete_pod(root, line.strip())
    elif cmd == "churn":
        churn(root, float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
              sys.argv[7])
    else:
        sys.exit("usage: see the header of %s" % sys.argv[0])


main()
