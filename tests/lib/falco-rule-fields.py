#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every field a set of Falco rules files uses, in conditions, exceptions and
outputs, with the operators each is used with:

    python3 tests/lib/falco-rule-fields.py falco_rules.yaml falco-incubating_rules.yaml

Run it on the current upstream files (github.com/falcosecurity/rules, rules/)
to refresh upstream_fields[] in tests/unit/test_falco_compat.c and the fields
tests/fixtures/rules/falco_compat.yaml uses; then `credwatch --validate-rules
-v` says what credwatch makes of each rule. Quoted strings in conditions are
skipped, so a path or a word in a value is never taken for a field.
"""
import collections
import re
import sys

import yaml

OPS = (r"(==|!=|<=|>=|=|<|>|(?:contains|icontains|bcontains|startswith|bstartswith|endswith"
       r"|glob|iglob|in|intersects|pmatch|exists|regex)(?![\w.]))")
FIELD = r"([a-z][a-z0-9_]*\.[a-z0-9_.]*[a-z0-9_](?:\[[^\]]*\])?)"


# PyYAML reads a bare "=" (as in comps: [=, startswith]) as YAML 1.1's value
# tag; Falco's YAML reader, and credwatch's, read the string "=".
yaml.SafeLoader.add_constructor("tag:yaml.org,2002:value",
                                lambda loader, node: loader.construct_scalar(node))


def strip_quotes(s):
    return re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', s)


def main(paths):
    cond = collections.defaultdict(set)
    out = set()
    for path in paths:
        with open(path) as f:
            items = yaml.safe_load(f) or []
        for item in items:
            c = item.get("condition")
            if c:
                for m in re.finditer(r"(?<![\w./-])" + FIELD + r"\s*" + OPS, strip_quotes(str(c))):
                    cond[m.group(1)].add(m.group(2))
            for e in item.get("exceptions") or []:
                fields = e.get("fields")
                comps = e.get("comps")
                fields = fields if isinstance(fields, list) else [fields]
                comps = comps if isinstance(comps, list) else [comps] * len(fields)
                for fld, comp in zip(fields, comps):
                    cond[fld].add(comp or ("in" if len(fields) == 1 else "="))
            o = item.get("output")
            if o:
                out.update(m.group(1) for m in re.finditer("%" + FIELD, str(o)))
    for fld in sorted(cond):
        print("cond", fld, " ".join(sorted(cond[fld])))
    for fld in sorted(out):
        print("out", fld)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: falco-rule-fields.py RULES_FILE...")
    main(sys.argv[1:])
