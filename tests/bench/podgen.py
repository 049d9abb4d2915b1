#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# podgen - a fixture node with many pods, fast: each pod gets a projected
# service-account volume (token, ca.crt, namespace) and a Secret volume
# (two keys), both in kubelet's atomic-writer layout, plus /var/log/pods.
#   podgen.py ROOT PODS
# Credential files hold a CWMARKER line, never anything real.
import os
import sys


def atomic_dir(d, keys):
    ts = "..2024_01_01_00_00_00.000000001"
    os.makedirs(os.path.join(d, ts))
    for k in keys:
        fd = os.open(os.path.join(d, ts, k), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"CWMARKER-podgen\n")
        os.close(fd)
    os.symlink(ts, os.path.join(d, "..data"))
    for k in keys:
        os.symlink("..data/" + k, os.path.join(d, k))


def main():
    root, pods = sys.argv[1], int(sys.argv[2])
    base = os.path.join(root, "var/lib/kubelet/pods")
    for i in range(pods):
        uid = "00000000-0000-4000-8000-%012d" % i
        vols = os.path.join(base, uid, "volumes")
        atomic_dir(os.path.join(vols, "kubernetes.io~projected", "kube-api-access-%05d" % i),
                   ["token", "ca.crt", "namespace"])
        atomic_dir(os.path.join(vols, "kubernetes.io~secret", "db-creds"),
                   ["username", "password"])
        os.makedirs(os.path.join(root, "var/log/pods", "bench_pod-%d_%s" % (i, uid), "app"))


if __name__ == "__main__":
    main()
