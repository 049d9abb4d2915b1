#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# sink_backend.py - the cheapest loopback HTTPS receiver for the delivery
# benchmark: it does only what a backend must to acknowledge a credwatch batch.
#
#   sink_backend.py --port P --cert C --key K [--ready FILE] [--stats FILE]
#
# One thread, keep-alive connections, TCP_NODELAY, the reply in one write (the
# test backend, tests/lib/fake_backend.py, writes headers and body separately
# and logs every request as JSON). Per POST: read the body, gunzip it when
# Content-Encoding: gzip, count its lines, answer 200 {"accepted": N}. On
# SIGTERM/SIGINT writes {"requests", "records", "bytes_gzip", "bytes_raw",
# "bad_gzip", "cpu_s"} to --stats (the receiver's own CPU, so a reader can see
# whether it was the bottleneck).
import argparse
import json
import os
import selectors
import signal
import socket
import ssl
import sys
import time
import zlib


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""


def handle(conn, st):
    """Serve every complete request in conn.buf; False when the peer is gone."""
    try:
        data = conn.sock.recv(1 << 20)
    except ssl.SSLWantReadError:
        return True
    except (OSError, ssl.SSLError):
        return False
    if not data:
        return False
    conn.buf += data
    # TLS may hold more decrypted bytes than one recv returned
    while conn.sock.pending():
        conn.buf += conn.sock.recv(conn.sock.pending())
    while True:
        end = conn.buf.find(b"\r\n\r\n")
        if end < 0:
            return True
        head = conn.buf[:end].decode("latin-1").split("\r\n")
        hdr = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdr[k.strip().lower()] = v.strip()
        n = int(hdr.get("content-length", "0"))
        if len(conn.buf) < end + 4 + n:
            return True
        body = conn.buf[end + 4:end + 4 + n]
        conn.buf = conn.buf[end + 4 + n:]
        st["requests"] += 1
        st["bytes_gzip"] += n
        if hdr.get("content-encoding", "").lower() == "gzip":
            try:
                body = zlib.decompress(body, 31)
            except zlib.error:
                st["bad_gzip"] += 1
                body = b""
        st["bytes_raw"] += len(body)
        recs = body.count(b"\n") or 1
        st["records"] += recs
        out = json.dumps({"accepted": recs}).encode()
        conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (len(out), out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ready")
    ap.add_argument("--stats")
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", a.port))
    lsock.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    st = {"requests": 0, "records": 0, "bytes_gzip": 0, "bytes_raw": 0, "bad_gzip": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    while not stop:
        for key, _ in sel.select(0.2):
            if key.data is None:
                try:
                    s, _ = lsock.accept()
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    s.settimeout(5)	# handshake only; then blocking reads per event
                    s = ctx.wrap_socket(s, server_side=True)
                except (OSError, ssl.SSLError):
                    continue
                sel.register(s, selectors.EVENT_READ, Conn(s))
            elif not handle(key.data, st):
                sel.unregister(key.fileobj)
                key.fileobj.close()
    if a.stats:
        st["cpu_s"] = round(time.process_time(), 3)
        with open(a.stats, "w") as f:
            json.dump(st, f)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
