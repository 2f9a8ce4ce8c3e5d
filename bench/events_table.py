#!/usr/bin/python3
"""Reads one bench/run-events result directory and prints the table:
measurement | ours | peer (NATS JetStream, file storage) | ratio ours/peer |
which direction is better. ours-nogroup.jsonl (replay without a consumer group)
is shown as extra rows when present; without nats.jsonl the peer column says
why (peer.txt). Exit status 1 when a record has errors, missing or duplicate
events, or a record is missing, so run-events fails with it.

usage: events_table.py RESULT_DIR
"""
import json
import os
import sys

KINDS = ["publish", "consume_auto", "consume_manual", "e2e"]


def load(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    recs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                recs[r["kind"]] = r
    return recs


def bad(rec):
    return rec is None or rec["errors"] or rec["missing"] or rec["duplicates"]


def rows(kind, ours, peer):
    """(label, ours value, peer value, unit, higher is better) for one kind."""
    o, p = ours.get(kind), (peer or {}).get(kind)
    out = [(kind + " rate", o and o["events_per_s"], p and p["events_per_s"], "events/s", True)]
    if kind in ("publish", "e2e"):
        what = "call" if kind == "publish" else "publish->receive"
        for q in ("p50", "p99"):
            out.append(("%s %s %s" % (kind, q, what), o and o.get(q + "_us"),
                        p and p.get(q + "_us"), "us", False))
    return out


def fmt(v):
    if v is None:
        return "-"
    return "%.0f" % v if v >= 100 else "%.1f" % v


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    ours, peer = load(out, "ours.jsonl"), load(out, "nats.jsonl")
    nogroup = load(out, "ours-nogroup.jsonl")
    status = 0
    if ours is None:
        print("no results from our server")
        return 1
    peer_note = ""
    if peer is None:
        try:
            with open(os.path.join(out, "peer.txt")) as f:
                peer_note = f.read().strip()
        except OSError:
            peer_note = "no peer results"
    print("%-40s %12s %12s %9s  %s" % ("measurement", "ours", "nats-js", "ours/peer", "better"))
    for kind in KINDS:
        if bad(ours.get(kind)) or (peer is not None and bad(peer.get(kind))):
            status = 1
        for label, o, p, unit, higher in rows(kind, ours, peer):
            ratio = "%.2f" % (o / p) if o and p else "-"
            print("%-40s %12s %12s %9s  %s" % ("%s (%s)" % (label, unit), fmt(o), fmt(p),
                                               ratio, "higher" if higher else "lower"))
    if nogroup:
        for kind in ("consume_auto", "consume_manual"):
            r = nogroup.get(kind)
            if bad(r):
                status = 1
            print("%-40s %12s %12s %9s  %s" % (kind + " rate, no group (events/s)",
                                               fmt(r and r["events_per_s"]), "-", "-", "higher"))
    if peer_note:
        print("peer: " + peer_note)
    meta = os.path.join(out, "meta.json")
    if os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
        print("events %s, payload %s B, %s publishes in flight, e2e %s events; %s" % (
            m["n"], m["s"], m["c"], m["m"], m["durability"]))
    if status:
        print("FAILED: some measurement had errors, missing or duplicate events")
    return status


if __name__ == "__main__":
    sys.exit(main())
