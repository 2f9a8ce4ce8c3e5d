#!/usr/bin/python3
"""Reads one bench/run-store result directory and prints the comparison table:
measurement | ours | etcd | ratio (ours/etcd) | which direction is better |
who wins | redis, then how durable each server was during the run. Also checks
what the load generators saw: wrk's bad responses (non-200, reads without a
record) and socket errors; h2load's request and 2xx counts and its received
DATA bytes against one answer per request (a gRPC error answer carries no
message, so a missing answer shows there). Exit status 1 when a request
failed or a result is missing, so run-store fails with it.

usage: store_table.py RESULT_DIR
"""
import csv
import json
import os
import re
import sys

TARGETS = ("micro", "etcd")
OPS = ("write", "read")


def complain(msg):
    print(msg, file=sys.stderr)


def read_text(out, name):
    with open(os.path.join(out, name)) as f:
        return f.read()


def load_wrk(out, target, op):
    """The STORE_BENCH record of one wrk step, or None when it failed."""
    name = "wrk-%s-%s" % (target, op)
    try:
        text = read_text(out, name + ".txt")
    except OSError:
        complain("%s: no result" % name)
        return None
    m = re.search(r"^STORE_BENCH (\{.*\})$", text, re.M)
    if not m:
        complain("%s: no summary line" % name)
        return None
    r = json.loads(m.group(1))
    errs = {k: r[k] for k in ("bad", "connect", "read", "write", "status", "timeout") if r[k]}
    if r["requests"] == 0 or errs:
        complain("%s: %d requests, errors %s, first bad answer: %s"
                 % (name, r["requests"], errs, r["first_bad"]))
        return None
    return r


def load_h2load(out, target, op):
    """(req/s, requests done) of one h2load step, or None when it failed or an
    answer is missing."""
    name = "h2load-%s-%s" % (target, op)
    try:
        text = read_text(out, name + ".txt")
        answer = int(read_text(out, name + ".answer_bytes"))
    except (OSError, ValueError):
        complain("%s: no result (or the gRPC check before it failed)" % name)
        return None
    fin = re.search(r"^finished in [\d.]+\w+, ([\d.]+) req/s", text, re.M)
    req = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                    r"(\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx", text, re.M)
    traffic = re.search(r"^traffic: .* \((\d+)\) data", text, re.M)
    if not (fin and req and codes and traffic):
        complain("%s: cannot read h2load's output" % name)
        return None
    done = int(req.group(3))
    bad = int(req.group(5)) + int(req.group(6)) + int(req.group(7))
    data = int(traffic.group(1))
    # Our answers to one request are all the same size; etcd's only grow (its
    # revisions count up), so for it the sum is a lower bound.
    whole = data == done * answer if target == "micro" else data >= done * answer
    if done == 0 or int(codes.group(1)) != done or bad or not whole:
        complain("%s: %d done, %s 2xx, %d failed/errored/timeout, %d DATA bytes for "
                 "answers of %d bytes" % (name, done, codes.group(1), bad, data, answer))
        return None
    return float(fin.group(1)), done


def load_cpu_us(out, name, requests, clk_tck):
    try:
        ticks = int(read_text(out, name + ".cpu_ticks"))
    except (OSError, ValueError):
        return None
    return ticks / clk_tck * 1e6 / requests if requests else None


def load_redis(out):
    """{"SET": row, "GET": row} from redis-benchmark --csv (latencies in ms)."""
    rows = {}
    try:
        with open(os.path.join(out, "redis-benchmark.csv")) as f:
            for r in csv.DictReader(f):
                rows[r["test"]] = {k: float(v) for k, v in r.items() if k != "test"}
    except (OSError, ValueError, KeyError) as e:
        complain("redis-benchmark: no result: %s" % e)
    return rows


def main():
    out = sys.argv[1]
    meta = json.loads(read_text(out, "meta.json"))
    status = 0
    rows = []   # (name, ours, etcd, better, fmt, redis)
    redis = load_redis(out)
    if set(redis) != {"SET", "GET"}:
        status = 1
    for op in OPS:
        wrk = {t: load_wrk(out, t, op) for t in TARGETS}
        h2 = {t: load_h2load(out, t, op) for t in TARGETS}
        if None in wrk.values() or None in h2.values():
            status = 1
        red = redis.get("SET" if op == "write" else "GET", {})

        def w(field, scale=1.0):
            return [wrk[t][field] * scale if wrk[t] else None for t in TARGETS]
        rows.append(("%s HTTP/JSON, wrk c=%d (req/s)" % (op, meta["c"]),
                     *w("rps"), "higher", "%.0f", red.get("rps")))
        rows.append(("  p50 latency (ms)", *w("p50_us", 1e-3), "lower", "%.2f",
                     red.get("p50_latency_ms")))
        rows.append(("  p99 latency (ms)", *w("p99_us", 1e-3), "lower", "%.2f",
                     red.get("p99_latency_ms")))
        cpu = [load_cpu_us(out, "wrk-%s-%s" % (t, op), wrk[t]["requests"], meta["clk_tck"])
               if wrk[t] else None for t in TARGETS]
        rows.append(("  server CPU per request (us)", *cpu, "lower", "%.1f", None))
        rows.append(("%s gRPC, h2load 1 conn m=%d (req/s)" % (op, meta["c"]),
                     *[h2[t][0] if h2[t] else None for t in TARGETS], "higher", "%.0f", None))
        cpu = [load_cpu_us(out, "h2load-%s-%s" % (t, op), h2[t][1], meta["clk_tck"])
               if h2[t] else None for t in TARGETS]
        rows.append(("  server CPU per request (us)", *cpu, "lower", "%.1f", None))

    print("store KV %s: ours = micro server (C, sqlite), peer = etcd %s, redis %s "
          "(redis-benchmark, its own client); %d cores, %d keys, 100-byte values, "
          "c=%d, d=%ds, wrk -t%d; load average before: %s"
          % (meta.get("commit", "?"), meta["etcd"], meta["redis"], meta["nproc"], meta["keys"],
             meta["c"], meta["d"], meta["t"], meta.get("loadavg_before", "?")))
    head = ("measurement", "ours", "etcd", "ours/etcd", "better", "winner", "redis")
    width = max(len(r[0]) for r in rows)
    line = "%-*s | %9s | %9s | %9s | %-6s | %-6s | %9s"
    print(line % ((width,) + head))
    print("-" * (width + 70))
    for name, o, p, better, fmt, r in rows:
        os_ = fmt % o if o is not None else "n/a"
        ps = fmt % p if p is not None else "n/a"
        rs = fmt % r if r is not None else "-"
        if o is not None and p:
            ratio = "%.3f" % (o / p)
            win = "ours" if (o < p if better == "lower" else o > p) else "peer"
            if o == p:
                win = "tie"
        else:
            ratio, win = "n/a", "n/a"
        print(line % (width, name, os_, ps, ratio, better, win, rs))
    print("durability: ours sqlite WAL, %s (a write reaches the OS before it is answered, "
          "in one commit per loop round; fsync only at checkpoints: survives a process crash, "
          "not a power loss); etcd fsyncs its WAL "
          "per raft commit (batched under load: survives a power loss); redis AOF "
          "appendfsync %s (fsync once a second: like ours)"
          % (meta.get("sqlite_sync", "?"), meta.get("redis_aof", "?")))
    print("auth on every request: ours admin's JWT bearer, etcd root's simple token; "
          "redis none. HTTP keys random over the key space; gRPC (h2load) one key per step.\n"
          "threads: ours serves everything on one event loop; etcd and the load generators "
          "share all %d cores; server CPU is utime+stime over the step / requests"
          % meta["nproc"])
    return status


if __name__ == "__main__":
    sys.exit(main())
