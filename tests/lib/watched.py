#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""watched.py PID PATH [TIMEOUT_S] - wait until the agent PID watches PATH's inode.

Finds the agent's "watched" BPF map through /proc/PID/fdinfo and bpftool,
and looks PATH's inode up in it (struct cw_inode_key: u64 ino, u32 kernel
dev = major << 20 | minor, u32 pad; little endian) every 20 ms until it is
there. Prints the seconds it took; exit 1 (with why) after TIMEOUT_S
(default 30). For red-team tests that must not read a rotated token before
the agent follows the rotation: an open before that is not missed by the
sensor, it is of a file nobody asked it to watch yet.
"""
import json
import os
import struct
import subprocess
import sys
import time


def watched_map_id(pid):
    for fd in os.listdir("/proc/%s/fdinfo" % pid):
        try:
            info = dict(l.split(":", 1) for l in open("/proc/%s/fdinfo/%s" % (pid, fd)) if ":" in l)
        except OSError:
            continue
        mid = info.get("map_id", "").strip()
        if not mid:
            continue
        m = json.loads(subprocess.check_output(["bpftool", "map", "show", "id", mid, "-j"]))
        if m.get("name") == "watched":
            return mid
    return None


def main():
    pid, path = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    mid = watched_map_id(pid)
    if not mid:
        sys.exit("watched.py: agent %s holds no map named watched" % pid)
    st = os.stat(path)
    kdev = (os.major(st.st_dev) << 20) | os.minor(st.st_dev)
    key = struct.pack("<QII", st.st_ino, kdev, 0)
    args = ["bpftool", "map", "lookup", "id", mid, "key", "hex"] + ["%02x" % b for b in key]
    t0 = time.monotonic()
    while True:
        r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            print("%.3f" % (time.monotonic() - t0))
            return
        if time.monotonic() - t0 > timeout:
            sys.exit("watched.py: %s (ino %d) not watched after %.0f s" % (path, st.st_ino, timeout))
        time.sleep(0.02)


main()
