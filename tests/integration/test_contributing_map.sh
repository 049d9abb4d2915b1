#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CONTRIBUTING.md's map of the tree matches the tree: every source file
# under user/, tools/ and bpf/ falls under a row of "Map of the tree" (the
# names in a row's first cell), and every name there exists. Names without
# a directory are in the directory of the row's first name; <module> and *
# match any name; a .c brings its .h.
# To watch it fail: add user/new_thing.c, or delete a row's file.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"

python3 - <<'PY' || fail "CONTRIBUTING.md's map and the tree disagree (see above)"
import fnmatch, os, re, subprocess, sys

text = open("CONTRIBUTING.md", encoding="utf-8").read()
section = text.split("## Map of the tree", 1)[1].split("\n## ", 1)[0]
patterns, derived = [], set()
for row in section.splitlines():
    if not row.startswith("| `"):
        continue
    first_cell = row.split("|")[1]
    names = re.findall(r"`([^`]+)`", first_cell)
    base = os.path.dirname(names[0].rstrip("/")) if "/" in names[0] else ""
    for n in names:
        n = n.replace("<module>", "*").replace("<arch>", "*")
        if "/" not in n:
            n = os.path.join(base, n)
        patterns.append(n)
        if n.endswith(".c"):		# a module's .c brings its header
            patterns.append(n[:-2] + ".h")
            derived.add(n[:-2] + ".h")

def git_files(*paths):	# tracked, and new files not yet added
    return subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                           *paths], capture_output=True, text=True, check=True).stdout.split()

files = git_files("user", "tools", "bpf")
bad = 0

def covers(p, f):
    return fnmatch.fnmatch(f, p) or (p.endswith("/") and f.startswith(p))

for f in files:
    if not f.endswith((".c", ".h")):
        continue
    if not any(covers(p, f) for p in patterns):
        print("not in CONTRIBUTING.md's map: %s" % f)
        bad = 1
tracked = git_files()
for p in patterns:
    if p not in derived and not any(covers(p, f) for f in tracked):
        print("CONTRIBUTING.md's map names what is not in the tree: %s" % p)
        bad = 1
sys.exit(bad)
PY
echo "PASS: CONTRIBUTING.md's map covers user/, tools/ and bpf/, and names nothing absent"
