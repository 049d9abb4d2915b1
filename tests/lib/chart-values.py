#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# chart-values.py - the values table of helm/credwatch/README.md, built from
# the `# --` comments in values.yaml (the helm-docs convention of
# falcosecurity/charts), and the check that every value is documented.
#
#   chart-values.py table VALUES.yaml            print the Markdown table
#   chart-values.py check VALUES.yaml README.md  every value has a `# --`
#                                                comment and a README row
import json
import re
import sys

import yaml


def documented(values_path):
    """[(dotted key, description)] for every `# --` comment, in file order."""
    out, stack, pending = [], [], None
    for line in open(values_path):
        m = re.match(r"^(\s*)# -- (.*)$", line)
        if m:
            pending = m.group(2).strip()
            continue
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):", line)
        if not m:
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
        if pending is not None:
            out.append((".".join(k for _, k in stack), pending))
            pending = None
    return out


def lookup(values, dotted):
    node = values
    for k in dotted.split("."):
        node = node[k]
    return node


def leaves(node, prefix=""):
    """Dotted keys of values that a `# --` comment must cover."""
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix


def table(values_path):
    values = yaml.safe_load(open(values_path))
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, desc in documented(values_path):
        v = lookup(values, key)
        typ = {bool: "bool", int: "int", float: "number", str: "string",
               list: "list", dict: "object", type(None): "null"}[type(v)]
        default = json.dumps(v, separators=(",", ":"))
        desc = desc.replace("|", "\\|")
        rows.append(f"| `{key}` | {typ} | `{default}` | {desc} |")
    return "\n".join(rows)


def check(values_path, readme_path):
    values = yaml.safe_load(open(values_path))
    docs = dict(documented(values_path))
    readme = open(readme_path).read()
    bad = []
    for leaf in leaves(values):
        # A leaf is covered by its own comment or by one on an ancestor.
        parts = leaf.split(".")
        if not any(".".join(parts[:i]) in docs for i in range(len(parts), 0, -1)):
            bad.append(f"{values_path}: {leaf}: no `# --` comment")
    for key in docs:
        if f"| `{key}` |" not in readme:
            bad.append(f"{readme_path}: no row for `{key}` (run chart-values.py table)")
    if table(values_path) not in readme:
        bad.append(f"{readme_path}: values table is stale (run chart-values.py table)")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "table":
        print(table(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: chart-values.py table VALUES.yaml | check VALUES.yaml README.md")
