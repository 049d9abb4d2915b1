#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""podchurn.py ROOT ROUNDS PODS - create PODS pod directories with a projected
token (kubelet's atomic-writer layout) under ROOT/var/lib/kubelet/pods, then
delete them all, ROUNDS times. Tokens hold a CWMARKER line like
tests/lib/fixture.sh's. Prints the number of pods created.
With ROUNDS 0, creates PODS pods, keeps them and prints their uids."""
import os
import shutil
import sys
import uuid


def make_pod(root, uid):
    vol = os.path.join(root, "var/lib/kubelet/pods", uid,
                       "volumes/kubernetes.io~projected/kube-api-access-churn")
    ts = "..2026_01_01_00_00_00.0"
    os.makedirs(os.path.join(vol, ts))
    for key in ("token", "ca.crt", "namespace"):
        with open(os.path.join(vol, ts, key), "w") as f:
            f.write("CWMARKER-%s\n" % os.urandom(8).hex())
    os.symlink(ts, os.path.join(vol, "..data"))
    for key in ("token", "ca.crt", "namespace"):
        os.symlink("..data/" + key, os.path.join(vol, key))


def main():
    root, rounds, pods = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    made = 0
    if rounds == 0:
        for _ in range(pods):
            u = str(uuid.uuid4())
            make_pod(root, u)
            print(u)
        return
    for _ in range(rounds):
        uids = [str(uuid.uuid4()) for _ in range(pods)]
        for u in uids:
            make_pod(root, u)
            made += 1
        for u in uids:
            shutil.rmtree(os.path.join(root, "var/lib/kubelet/pods", u))
    print(made)


main()
