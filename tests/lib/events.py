#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Assertions over an NDJSON stream (--events or alerts) for integration tests.

  events.py FILE [--where k=v]... [--count N] [--expect k=v]... [--contains k=sub]...

Selects the lines whose fields match every --where (compared as strings),
checks their number (--count, default: at least 1) and that each selected
line has every --expect value. Every line must be valid JSON. Exit 1 with a
reason on failure.
"""
import json
import sys


def parse_kv(s):
    k, _, v = s.partition("=")
    return k, v


def as_text(v):
    if v is None:
        return "<NA>"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def main():
    args = sys.argv[1:]
    path = args.pop(0)
    where, expect, contains, count = [], [], [], None
    while args:
        a = args.pop(0)
        if a == "--where":
            where.append(parse_kv(args.pop(0)))
        elif a == "--expect":
            expect.append(parse_kv(args.pop(0)))
        elif a == "--contains":
            contains.append(parse_kv(args.pop(0)))
        elif a == "--count":
            count = int(args.pop(0))
        else:
            sys.exit("events.py: unknown argument " + a)
    rows = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                rows.append(json.loads(raw.decode("utf-8")))
            except Exception as e:  # invalid JSON or UTF-8 is a failure
                sys.exit("%s:%d: invalid JSON line: %s" % (path, n, e))
    sel = [r for r in rows if all(as_text(r.get(k)) == v for k, v in where)]
    if count is None and not sel:
        sys.exit("no line matches %s (of %d lines)" % (where, len(rows)))
    if count is not None and len(sel) != count:
        sys.exit("%d lines match %s, expected %d:\n%s" % (
            len(sel), where, count, "\n".join(json.dumps(r)[:600] for r in sel)))
    for r in sel:
        for k, v in expect:
            if as_text(r.get(k)) != v:
                sys.exit("field %s is %r, expected %r in %s" % (k, r.get(k), v, json.dumps(r)[:800]))
        for k, v in contains:
            if v not in as_text(r.get(k)):
                sys.exit("field %s is %r, expected to contain %r" % (k, r.get(k), v))


main()
