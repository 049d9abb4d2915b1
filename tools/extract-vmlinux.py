#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""extract-vmlinux.py BZIMAGE OUT - the uncompressed vmlinux ELF inside an
x86 bzImage, for `bpftool btf dump` (its .BTF section) when no running
kernel of that build is at hand.

The boot protocol's setup header says where the compressed kernel is:
setup_sects at 0x1f1 (the real-mode part is (setup_sects or 4) + 1 sectors),
then payload_offset (0x248) and payload_length (0x24c), relative to the
protected-mode code. The payload's magic tells the compressor; the system's
own decompressor (zstd, xz, lz4, gzip) unpacks it.
"""
import struct
import subprocess
import sys

DECOMPRESSORS = [
    (b"\x28\xb5\x2f\xfd", ["zstd", "-dcq"]),
    (b"\xfd7zXZ\x00", ["xz", "-dcq"]),
    (b"\x02\x21\x4c\x18", ["lz4", "-dcq"]),
    (b"\x1f\x8b", ["gzip", "-dcq"]),
]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vmlinux.py BZIMAGE OUT")
    data = open(sys.argv[1], "rb").read()
    if data[0x202:0x206] != b"HdrS":
        sys.exit("extract-vmlinux: %s: not a bzImage (no HdrS)" % sys.argv[1])
    setup_sects = data[0x1F1] or 4
    pm_start = (setup_sects + 1) * 512
    off, length = struct.unpack_from("<II", data, 0x248)
    payload = data[pm_start + off:pm_start + off + length]
    for magic, cmd in DECOMPRESSORS:
        if payload.startswith(magic):
            # lz4's legacy frames and the kernel's appended size trailer make
            # the tools complain after the data: keep the output, check ELF
            out = subprocess.run(cmd, input=payload, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout
            if not out.startswith(b"\x7fELF"):
                sys.exit("extract-vmlinux: %s did not yield an ELF" % cmd[0])
            open(sys.argv[2], "wb").write(out)
            return
    sys.exit("extract-vmlinux: unknown compression (magic %s)" % payload[:6].hex())


main()
