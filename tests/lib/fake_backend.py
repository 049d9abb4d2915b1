#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# fake_backend.py - a loopback HTTPS audit backend for the shipper's tests.
#
#   fake_backend.py --port P --cert C --key K --log FILE [--control FILE]
#                   [--client-ca CA] [--ready FILE]
#
# Listens on 127.0.0.1:P only. Every request is appended to --log as one JSON
# line: {"t": unix time, "path", "headers": {lowercased}, "body": text
# (gunzipped when Content-Encoding: gzip), "gzip_ok", "action", "status"}.
#
# Behaviour comes from --control, a JSON file re-read on every request:
#   {"script": ["503", "429:2", "ok"], "then": "ok"}
# The script's actions are used one per request, then "then" for the rest; a
# changed file starts its script again. Actions:
#   ok            200 {"accepted": N}
#   NNN           that status with a short JSON error body (400, 408, 503 ...)
#   429:S         429 with "Retry-After: S" (seconds)
#   429:dateS     429 with Retry-After as an HTTP-date S seconds ahead
#   hang          read the request, never answer (the client must time out)
#   close         read the request, close the connection without a reply
#   garbage       200 with a body that is not JSON (an HTML error page)
#   truncate      200 announcing 1000 body bytes, sending 20, then closing
# "Down" is simply this server not running.
import argparse
import email.utils
import gzip
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"content": None, "idx": 0}


def next_action(control):
    try:
        with open(control) as f:
            content = f.read()
    except OSError:
        content = ""
    with LOCK:
        if content != STATE["content"]:
            STATE["content"], STATE["idx"] = content, 0
        try:
            spec = json.loads(content) if content.strip() else {}
        except ValueError:
            spec = {}
        script = spec.get("script", [])
        if STATE["idx"] < len(script):
            action = script[STATE["idx"]]
            STATE["idx"] += 1
            return action
        return spec.get("then", "ok")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # replies go out as two sends (headers, body): with Nagle on, the body
    # waits for the client's delayed ACK, 40 ms per request (10k alerts/s
    # instead of 90k in tests/bench/run.sh's delivery stage)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        gzip_ok = None
        body = raw
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            try:
                body = gzip.decompress(raw)
                gzip_ok = True
            except (OSError, EOFError):
                gzip_ok = False
        action = next_action(self.server.control)
        status = 0
        if action in ("ok", "garbage", "truncate"):
            status = 200
        elif action.startswith("429"):
            status = 429
        elif action.isdigit():
            status = int(action)
        entry = {
            "t": time.time(),
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "gzip_ok": gzip_ok,
            "action": action,
            "status": status,
        }
        with LOCK:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if action == "hang":
            time.sleep(3600)
            return
        if action == "close":
            self.close_connection = True
            return
        if action == "garbage":
            data = b"<html><body>\x00\xff proxy error</body>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if action == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"accepted": 1, "trunc')
            self.wfile.flush()
            self.close_connection = True
            return
        if action == "ok":
            self.reply(200, {"accepted": body.count(b"\n") or 1})
        elif action.startswith("429:date"):
            when = time.time() + int(action[8:])
            self.reply(429, {"error": "slow down"},
                       {"Retry-After": email.utils.formatdate(when, usegmt=True)})
        elif action.startswith("429:"):
            self.reply(429, {"error": "slow down"}, {"Retry-After": action[4:]})
        else:
            self.reply(status, {"error": "test says %s" % action})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--control", default="/dev/null")
    ap.add_argument("--client-ca")
    ap.add_argument("--ready")
    a = ap.parse_args()

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.client_ca:
        ctx.load_verify_locations(a.client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.control = a.control
    srv.log = a.log
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
