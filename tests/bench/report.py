#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# report.py - turns run.sh's samples into build/bench/results.{md,json}.
#   report.py SAMPLES.tsv OUTDIR MODE SECONDS KERNEL NCPU
# Per row: median, spread (min-max of the samples), ratio to the baseline
# row's median when it has one, the target and whether it was met.
import json
import operator
import statistics
import sys
import time

OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}


def parse_target(t):
    if t == "-":
        return None
    for op in ("<=", ">=", "=="):
        if op in t:
            what, val = t.split(op)
            return what, op, float(val)
    raise ValueError("bad target " + t)


def fmt(v):
    if v is None:
        return ""
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 10:
        return "{:.1f}".format(v)
    return "{:.3f}".format(v)


def main():
    tsv, outdir, mode, secs, kernel, ncpu = sys.argv[1:7]
    rows = []
    for line in open(tsv):
        key, what, unit, base, target, vals = line.rstrip("\n").split("\t")
        samples = [float(v) for v in vals.split(",") if v.strip()]
        rows.append(dict(key=key, what=what, unit=unit, baseline=base, target=target,
                         samples=samples))
    med = {r["key"]: (statistics.median(r["samples"]) if r["samples"] else None) for r in rows}
    for r in rows:
        s = r["samples"]
        r["median"] = med[r["key"]]
        r["min"] = min(s) if s else None
        r["max"] = max(s) if s else None
        r["ratio"] = None
        if r["baseline"] != "-" and med.get(r["baseline"]) and r["median"] is not None:
            r["ratio"] = r["median"] / med[r["baseline"]]
        t = parse_target(r["target"])
        r["met"] = None
        if t and r["median"] is not None:
            what, op, val = t
            have = {"ratio": r["ratio"], "median": r["median"], "min": r["min"]}[what]
            r["met"] = have is not None and OPS[op](have, val)

    md = ["# credwatch benchmarks", "",
          "Mode `%s`, %s s, Linux %s, %s CPUs, %s. Spread is min-max over the samples; "
          "ratios are to the no-tracer baseline of this same run." %
          (mode, secs, kernel, ncpu, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())), "",
          "| what | median | spread | unit | ratio | target | met? |",
          "|---|---:|---|---|---:|---|---|"]
    for r in rows:
        spread = "%s-%s (n=%d)" % (fmt(r["min"]), fmt(r["max"]), len(r["samples"])) \
            if r["samples"] else ""
        met = {None: "", True: "yes", False: "**NO**"}[r["met"]]
        md.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["what"], fmt(r["median"]), spread, r["unit"],
            "%.3f" % r["ratio"] if r["ratio"] is not None else "",
            r["target"] if r["target"] != "-" else "", met))
    text = "\n".join(md) + "\n"
    open(outdir + "/results.md", "w").write(text)
    json.dump({"mode": mode, "seconds": int(secs), "kernel": kernel, "ncpu": int(ncpu),
               "time": int(time.time()), "results": rows},
              open(outdir + "/results.json", "w"), indent=1)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
