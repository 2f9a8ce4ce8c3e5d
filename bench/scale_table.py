#!/usr/bin/python3
"""The tables of bench/run-scale: one per dimension (registered services, store
keys), one row per measurement, the value at each size, then the growth factor
of each larger size against the smallest (value / value at the smallest size; for
a throughput, below 1 means it fell). Input: OUTDIR/results.jsonl, one record a
line: {"dim", "size", "metric", "unit", "better", "value"}; rows keep the order
in which their metric first appears.

usage: scale_table.py OUTDIR
"""
import json
import sys

DIM_TITLE = {"services": "registered services", "keys": "store keys"}


def fmt(v):
    if v is None:
        return "-"
    if v >= 1000 or v == int(v):
        return "%.0f" % v
    return "%.2f" % v if v < 100 else "%.1f" % v


def size_label(n):
    for unit, div in (("M", 1000000), ("k", 1000)):
        if n >= div and n % div == 0:
            return "%d%s" % (n // div, unit)
    return str(n)


def main(outdir):
    recs = [json.loads(l) for l in open(outdir + "/results.jsonl") if l.strip()]
    for dim in [d for d in ("services", "keys") if any(r["dim"] == d for r in recs)]:
        rs = [r for r in recs if r["dim"] == dim]
        sizes = sorted({r["size"] for r in rs})
        metrics = []
        for r in rs:
            if (r["metric"], r["unit"], r["better"]) not in metrics:
                metrics.append((r["metric"], r["unit"], r["better"]))
        val = {(r["metric"], r["size"]): r["value"] for r in rs}
        head = "%-54s" % ("%s: measurement" % DIM_TITLE[dim])
        head += "".join(" | %10s" % ("@" + size_label(s)) for s in sizes)
        head += "".join(" | %9s" % ("x@" + size_label(s)) for s in sizes[1:])
        head += " | better"
        print(head)
        print("-" * len(head))
        for metric, unit, better in metrics:
            line = "%-54s" % ("%s (%s)" % (metric, unit))
            line += "".join(" | %10s" % fmt(val.get((metric, s))) for s in sizes)
            base = val.get((metric, sizes[0]))
            for s in sizes[1:]:
                v = val.get((metric, s))
                line += " | %9s" % ("%.2f" % (v / base) if v is not None and base else "-")
            print(line + " | " + better)
        print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
