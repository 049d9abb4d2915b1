#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""verify.py OUT --variant fast|compat --attached HOOK,... - judge one kernel's
run of tests/kernels/checks.sh (OUT holds its records, the agent's events and
stderr). Prints one line per assertion; exits 1 if any failed.

What each record of OUT/expect asserts:
  open      the agent's hooks line says whether TYPE's hook is attached; if
            so, COUNT events from the opener's pid, each with its fd.ino,
            fd.dev (st_dev), cred.kind, proc.name=opener, proc.tid=pid, and
            one with evt.res=fd and evt.type=TYPE whose fd.name is PATH
            (syscalls with a path argument, but procfd whose second open is
            of /proc/self/fd/N: proves the syscall registers were found);
            KIND environ: cred.owner.pid is the pid PATH names;
            if not, no event from that pid (the documented gap)
  none      no event from PID
  session   the event from PID has proc.sid=PID, proc.ppid=PPID,
            proc.apid[1]=PPID, an exepath ending in /opener, its cmdline
  uid       the event from PID has user.uid=UID
  start     RC is 1 and the stderr file has exactly one "error:" line
  open32    the agent's ia32 line says 32-bit syscalls are covered; exactly
            one event from the opener32's pid with evt.type=TYPE, evt.res=fd,
            fd.name=PATH, fd.ino, fd.dev and proc.name=opener32
  ia32-refused  the agent's ia32 line says the kernel refuses 32-bit syscalls
            and attaches nothing
  agent-exit 0
Then: the start-up summary names the variant and exactly the attached
hooks; no credential bytes (CWMARKER) in any output; a summary record
with no kernel drops.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

HOOK_OF_TYPE = {
    "open": "open", "openat": "openat", "openat2": "openat2", "creat": "creat",
    "open_by_handle_at": "open_by_handle_at",
    "io_uring_openat": "io_uring", "io_uring_openat2": "io_uring",
}
HOOKS = ["open", "openat", "openat2", "creat", "open_by_handle_at", "io_uring"]
PATH_TYPES = {"open", "openat", "openat2", "creat"}
REFUSAL = {"fast-variant": r"bpf-variant fast: this kernel has no bpf_rdonly_cast",
           "no-btf": r"kernel BTF is missing"}


def text(v):
    if v is None:
        return "<NA>"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class Judge:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, why=""):
        print("  %s %s%s" % ("ok  " if ok else "FAIL", what, "" if ok else ": " + why))
        if not ok:
            self.failed += 1


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    variant, attached = None, None
    while args:
        a = args.pop(0)
        if a == "--variant":
            variant = args.pop(0)
        elif a == "--attached":
            attached = set(h for h in args.pop(0).split(",") if h)
        else:
            sys.exit("verify.py: unknown argument " + a)
    j = Judge()
    stderr = open(os.path.join(out, "agent.stderr"), errors="replace").read() \
        if os.path.exists(os.path.join(out, "agent.stderr")) else ""
    rows, bad = [], 0
    evpath = os.path.join(out, "events.ndjson")
    if os.path.exists(evpath):
        for raw in open(evpath, "rb"):
            try:
                rows.append(json.loads(raw.decode("utf-8")))
            except ValueError:
                bad += 1
    j.check(bad == 0, "events are valid JSON lines", "%d invalid" % bad)
    events = [r for r in rows if "proc.pid" in r]

    m = re.search(r"kernel (\S+): BPF variant (\w+)", stderr)
    j.check(bool(m) and m.group(2) == variant, "variant %s" % variant,
            m.group(0) if m else "no variant line in agent stderr:\n" + stderr[-3000:])
    m = re.search(r"hooks: (.*)", stderr)
    seen = set()
    if m:
        for h in m.group(1).split(", "):
            if not h.endswith("(NOT attached)"):
                seen.add(h.strip())
    j.check(seen == attached, "attached hooks %s" % ",".join(sorted(attached)),
            "agent says %s" % (m.group(0) if m else "nothing"))

    def by_pid(pid):
        return [r for r in events if text(r.get("proc.pid")) == str(pid)]

    for line in open(os.path.join(out, "expect")):
        f = line.rstrip("\n").split("\t")
        kind = f[0]
        if kind == "log":
            print("  .... " + f[1])
        elif kind == "open":
            mode, typ, count, ckind, path, js = f[1], f[2], int(f[3]), f[4], f[5], f[6]
            o = json.loads(js)
            if not o:
                j.check(False, "%s: opener" % mode, "the open itself failed (see log)")
                continue
            sel = by_pid(o["pid"])
            hook = HOOK_OF_TYPE[typ]
            if hook not in seen:
                j.check(not sel, "%s: no event (%s not attached)" % (mode, hook),
                        "%d events" % len(sel))
                continue
            want = {"fd.ino": str(o["ino"]), "fd.dev": str(o["dev"]), "cred.kind": ckind,
                    "proc.name": "opener", "proc.tid": str(o["pid"])}
            why = "" if len(sel) == count else "%d events, expected %d" % (len(sel), count)
            for r in sel:
                for k, v in want.items():
                    if text(r.get(k)) != v:
                        why = why or "%s is %r, expected %r" % (k, r.get(k), v)
            mine = [r for r in sel if text(r.get("evt.res")) == str(o["fd"])]
            if not why and (len(mine) != 1 or text(mine[0].get("evt.type")) != typ):
                why = "evt.type %s for fd %s" % ([text(r.get("evt.type")) for r in mine], o["fd"])
            # procfd's event is for its second open, of /proc/self/fd/N
            if not why and typ in PATH_TYPES and mode != "procfd" and \
                    text(mine[0].get("fd.name")) != path:
                why = "fd.name %r, expected %r" % (mine[0].get("fd.name"), path)
            if not why and ckind == "environ" and \
                    text(mine[0].get("cred.owner.pid")) != path.split("/")[2]:
                why = "cred.owner.pid %r for %s" % (mine[0].get("cred.owner.pid"), path)
            j.check(not why, "%s -> %s x%d%s" % (mode, typ, count,
                                               " (environ)" if ckind == "environ" else ""), why)
        elif kind == "none":
            j.check(not by_pid(f[2]), "%s: no event" % f[1], "%d events" % len(by_pid(f[2])))
        elif kind == "session":
            sel, why = by_pid(f[1]), ""
            if len(sel) != 1:
                why = "%d events" % len(sel)
            else:
                r = sel[0]
                for k, v in (("proc.sid", f[1]), ("proc.ppid", f[2]), ("proc.apid[1]", f[2])):
                    if text(r.get(k)) != v:
                        why = why or "%s is %r, expected %s" % (k, r.get(k), v)
                if not text(r.get("proc.exepath")).endswith("/opener"):
                    why = why or "proc.exepath %r" % r.get("proc.exepath")
                if "opener openat " not in text(r.get("proc.cmdline")):
                    why = why or "proc.cmdline %r" % r.get("proc.cmdline")
            j.check(not why, "session and lineage", why)
        elif kind == "uid":
            sel = by_pid(f[1])
            j.check(len(sel) == 1 and text(sel[0].get("user.uid")) == f[2],
                    "user.uid %s" % f[2], str([text(r.get("user.uid")) for r in sel]))
        elif kind == "start":
            name, rc, err = f[1], f[2], open(os.path.join(out, f[3]), errors="replace").read()
            errs = [l for l in err.splitlines() if "error: " in l]
            ok = rc == "1" and len(errs) == 1 and re.search(REFUSAL[name], errs[0])
            j.check(bool(ok), "refused: %s (exit 1, one line)" % name,
                    "exit %s, stderr:\n%s" % (rc, err))
            if errs:
                print("  .... " + errs[0])
        elif kind == "open32":
            mode, typ, path, o = f[1], f[2], f[3], json.loads(f[4])
            m = re.search(r"ia32: (.*)", stderr)
            line = m.group(1) if m else ""
            covered = "runs 32-bit syscalls" in line and "NOT seen" not in line
            j.check(covered, "ia32: 32-bit opens covered", "agent says %r" % line)
            sel, why = by_pid(o["pid"]), ""
            if len(sel) != 1:
                why = "%d events" % len(sel)
            else:
                for k, v in (("evt.type", typ), ("evt.res", o["fd"]), ("fd.name", path),
                             ("fd.ino", o["ino"]), ("fd.dev", o["dev"]),
                             ("proc.name", "opener32")):
                    if text(sel[0].get(k)) != text(v):
                        why = why or "%s is %r, expected %r" % (k, sel[0].get(k), v)
            j.check(not why, "int 0x80 %s -> %s x1" % (mode, typ), why)
            if m:
                print("  .... ia32: " + line)
        elif kind == "ia32-refused":
            m = re.search(r"ia32: (.*)", stderr)
            line = m.group(1) if m else ""
            j.check("refused by this kernel" in line and "no program attached" in line,
                    "ia32: refused kernel detected (opener32: %s)" % f[1], "agent says %r" % line)
        elif kind == "agent-exit":
            j.check(f[1] == "0", "agent exit 0 at SIGTERM", "exit %s" % f[1])
        else:
            j.check(False, "record", "unknown record %r" % line)

    leaked = [n for n in os.listdir(out)
              if b"CWMARKER" in open(os.path.join(out, n), "rb").read() and n != "expect"]
    j.check(not leaked, "no credential bytes in any output", ",".join(leaked))
    summ = [r["credwatch.summary"] for r in rows if "credwatch.summary" in r]
    j.check(bool(summ) and all(r.get("kernel_drops") == 0 for r in summ),
            "exit summary, no kernel drops", json.dumps(summ)[:300])
    print("%s: %d failed" % (out, j.failed))
    sys.exit(1 if j.failed else 0)


main()
