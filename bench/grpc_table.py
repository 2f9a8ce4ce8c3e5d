#!/usr/bin/python3
"""Reads one bench/run-grpc result directory and prints the comparison table:
measurement | ours | peer | ratio (ours/peer) | which direction is better |
who wins. Also checks what the load generators report: our client's error
counts and h2load's request/2xx counts. Exit status 1 when any call failed or
a result is missing, so run-grpc fails with it.

usage: grpc_table.py RESULT_DIR
"""
import json
import os
import re
import sys


def load_client(out, label):
    recs = {}
    with open(os.path.join(out, "client-%s.jsonl" % label)) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                recs[(r["codec"], r["kind"])] = r
    return recs


def load_h2load(out, label):
    """(req/s, done, 2xx, failed+errored+timeout) from h2load's text output."""
    with open(os.path.join(out, "h2load-%s.txt" % label)) as f:
        text = f.read()
    fin = re.search(r"^finished in [\d.]+\w+, ([\d.]+) req/s", text, re.M)
    req = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                    r"(\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx", text, re.M)
    if not (fin and req and codes):
        return None
    done = int(req.group(3))
    bad = int(req.group(5)) + int(req.group(6)) + int(req.group(7))
    return float(fin.group(1)), done, int(codes.group(1)), bad


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    status = 0
    rows = []   # (name, ours, peer, better: "lower"|"higher", fmt)
    client = {}
    for label in ("ours", "peer"):
        try:
            client[label] = load_client(out, label)
        except (OSError, ValueError) as e:
            print("missing client results for %s: %s" % (label, e), file=sys.stderr)
            client[label] = {}
            status = 1
        for r in client[label].values():
            if r["errors"]:
                print("%s %s %s: %d errors, first: %s" % (label, r["codec"], r["kind"],
                      r["errors"], r.get("first_error", "")), file=sys.stderr)
                status = 1

    def both(key, field):
        o = client["ours"].get(key, {}).get(field)
        p = client["peer"].get(key, {}).get(field)
        return o, p

    for codec in ("proto", "json"):
        for field in ("p50_us", "p90_us", "p99_us", "max_us"):
            o, p = both((codec, "latency"), field)
            rows.append(("latency %s %s (us, 1 call at a time)" % (codec, field[:-3]),
                         o, p, "lower", "%.1f"))
    for codec in ("proto", "json"):
        o, p = both((codec, "throughput"), "calls_per_s")
        rows.append(("throughput %s, our client, c=%d (calls/s)" % (codec, meta["c"]),
                     o, p, "higher", "%.0f"))
        o, p = both((codec, "throughput"), "p99_us")
        rows.append(("  p99 under that load (us)", o, p, "lower", "%.0f"))

    h2 = {}
    for label in ("ours", "peer"):
        try:
            h2[label] = load_h2load(out, label)
        except OSError:
            h2[label] = None
        if h2[label] is None:
            print("h2load -> %s: no result" % label, file=sys.stderr)
            status = 1
            continue
        rate, done, ok2xx, bad = h2[label]
        if done == 0 or ok2xx != done or bad:
            print("h2load -> %s: %d done, %d 2xx, %d failed/errored/timeout"
                  % (label, done, ok2xx, bad), file=sys.stderr)
            status = 1
    rows.append(("throughput proto, h2load, 1 conn, m=%d (req/s)" % meta["c"],
                 h2["ours"][0] if h2["ours"] else None,
                 h2["peer"][0] if h2["peer"] else None, "higher", "%.0f"))

    # Server CPU per call over the whole run of our client (latency + throughput).
    cpu = []
    for label in ("ours", "peer"):
        try:
            ticks = read_int(os.path.join(out, "client-%s.cpu_ticks" % label))
        except (OSError, ValueError):
            cpu.append(None)
            continue
        calls = sum(r["calls"] + r.get("warmup", 0) for r in client[label].values())
        cpu.append(ticks / meta["clk_tck"] * 1e6 / calls if calls else None)
    rows.append(("server CPU per call, our client's run (us)", cpu[0], cpu[1], "lower", "%.1f"))

    rss = meta["rss_kb"]
    rows.append(("server RSS idle (MiB)", rss["ours_idle"] / 1024, rss["peer_idle"] / 1024,
                 "lower", "%.1f"))
    rows.append(("server RSS after the load (MiB)", rss["ours_load"] / 1024,
                 rss["peer_load"] / 1024, "lower", "%.1f"))

    print("gRPC unary %s: ours = micro server (C), peer = python3-grpcio %s; "
          "%d cores, n=%d c=%d d=%ds" % (meta.get("commit", "?"), meta["grpcio"],
                                         meta["nproc"], meta["n"], meta["c"], meta["d"]))
    head = ("measurement", "ours", "peer", "ours/peer", "better", "winner")
    width = max(len(r[0]) for r in rows)
    print("%-*s | %10s | %10s | %9s | %-6s | %s" % ((width,) + head))
    print("-" * (width + 56))
    for name, o, p, better, fmt in rows:
        os_ = fmt % o if o is not None else "n/a"
        ps = fmt % p if p is not None else "n/a"
        if o is not None and p:
            ratio = "%.3f" % (o / p)
            win = "ours" if (o < p if better == "lower" else o > p) else "peer"
            if o == p:
                win = "tie"
        else:
            ratio, win = "n/a", "n/a"
        print("%-*s | %10s | %10s | %9s | %-6s | %s" % (width, name, os_, ps, ratio, better, win))
    errs = [sum(r["errors"] for r in client[l].values()) for l in ("ours", "peer")]
    print("errors (our client): ours %d, peer %d; h2load checks HTTP 2xx only (not grpc-status)"
          % tuple(errs))
    return status


if __name__ == "__main__":
    sys.exit(main())
