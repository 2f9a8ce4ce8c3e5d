#!/usr/bin/python3
"""Helpers for bench/run-store, each a subcommand; all exit 1 on any failure.

  frames OUTDIR KEY          writes the gRPC request frames (5-byte prefix +
                             protobuf) that h2load sends: micro-write.grpc,
                             micro-read.grpc (store.Store Write/Read of KEY)
                             and etcd-put.grpc, etcd-range.grpc (etcd's KV)
  value                      prints the benchmark value (100 bytes) in base64
  micro-token ADDR           logs in as admin/micro through our gateway, prints
                             the access token
  etcd-token ADDR PASSWORD   authenticates etcd's root, prints the token
  prefill micro|etcd ADDR AUTH N
                             writes keys k0..k<N-1> with the value over HTTP/JSON
                             (ours one by one on keep-alive connections, etcd in
                             transactions of 128 puts) so reads never miss
  grpc ADDR PATH AUTH FRAME [--expect-value]
                             sends FRAME's message with python3-grpcio as a real
                             gRPC client and checks grpc-status is OK (what
                             h2load cannot see); with --expect-value, that the
                             answer holds the benchmark value; prints the size
                             of the answer's frame (5 + message length)
"""
import base64
import http.client
import json
import sys
import threading

VALUE = bytes((i * 7 + 3) % 256 for i in range(100))
ETCD_TXN_OPS = 128   # etcd's default --max-txn-ops


def fail(msg):
    print("store_tool: " + msg, file=sys.stderr)
    sys.exit(1)


def pb_bytes(field, data):
    """One length-delimited protobuf field (short lengths only: < 16384)."""
    n = len(data)
    ln = bytes([n]) if n < 128 else bytes([(n & 0x7F) | 0x80, n >> 7])
    return bytes([(field << 3) | 2]) + ln + data


def grpc_frame(msg):
    return b"\0" + len(msg).to_bytes(4, "big") + msg


def cmd_frames(outdir, key):
    k = key.encode()
    record = pb_bytes(1, k) + pb_bytes(2, VALUE)      # store.Record {key, value}
    frames = {
        "micro-write.grpc": pb_bytes(1, record),      # WriteRequest {record}
        "micro-read.grpc": pb_bytes(1, k),            # ReadRequest {key}
        "etcd-put.grpc": pb_bytes(1, k) + pb_bytes(2, VALUE),   # PutRequest {key, value}
        "etcd-range.grpc": pb_bytes(1, k),            # RangeRequest {key}
    }
    for name, msg in frames.items():
        with open("%s/%s" % (outdir, name), "wb") as f:
            f.write(grpc_frame(msg))


def post(conn, path, body, auth):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    conn.request("POST", path, body=json.dumps(body), headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        fail("POST %s: %d %s" % (path, resp.status, data[:300].decode(errors="replace")))
    return json.loads(data)


def connect(addr):
    host, port = addr.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=30)


def cmd_micro_token(addr):
    out = post(connect(addr), "/auth/auth/token",
               {"id": "admin", "secret": "micro", "token_expiry": 3600}, "")
    print(out["token"]["access_token"])


def cmd_etcd_token(addr, password):
    out = post(connect(addr), "/v3/auth/authenticate",
               {"name": "root", "password": password}, "")
    print(out["token"])


def b64(data):
    return base64.b64encode(data).decode()


def prefill_micro(addr, auth, n, workers=4):
    errors = []

    def run(start):
        try:
            conn = connect(addr)
            for i in range(start, n, workers):
                post(conn, "/store/write",
                     {"record": {"key": "k%d" % i, "value": b64(VALUE)}}, auth)
        except SystemExit as e:   # fail() in a thread: keep it for the main thread
            errors.append(e)
        except Exception as e:    # noqa: BLE001 (any error fails the prefill)
            errors.append(e)
    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        fail("prefill micro: %s" % errors[0])


def prefill_etcd(addr, auth, n):
    conn = connect(addr)
    for base in range(0, n, ETCD_TXN_OPS):
        ops = [{"requestPut": {"key": b64(b"k%d" % i), "value": b64(VALUE)}}
               for i in range(base, min(n, base + ETCD_TXN_OPS))]
        out = post(conn, "/v3/kv/txn", {"success": ops}, auth)
        if not out.get("succeeded"):
            fail("prefill etcd: txn at k%d not applied: %s" % (base, out))


def cmd_grpc(addr, path, auth, frame_path, expect_value):
    import grpc   # Debian's python3-grpcio; imported here so the rest needs none
    with open(frame_path, "rb") as f:
        frame = f.read()
    msg = frame[5:]
    if len(msg) != int.from_bytes(frame[1:5], "big"):
        fail("%s: bad frame" % frame_path)
    with grpc.insecure_channel(addr) as ch:
        call = ch.unary_unary(path)   # no serializers: bytes in, bytes out
        try:
            out = call(msg, metadata=(("authorization", auth),), timeout=10)
        except grpc.RpcError as e:
            fail("%s on %s: %s %s" % (path, addr, e.code().name, e.details()))
    if expect_value and VALUE not in out:
        fail("%s on %s: the answer does not hold the value written" % (path, addr))
    print(5 + len(out))


def main(argv):
    if len(argv) < 2:
        fail("usage: see the docstring")
    cmd, args = argv[1], argv[2:]
    if cmd == "frames" and len(args) == 2:
        cmd_frames(*args)
    elif cmd == "value" and not args:
        print(b64(VALUE))
    elif cmd == "micro-token" and len(args) == 1:
        cmd_micro_token(args[0])
    elif cmd == "etcd-token" and len(args) == 2:
        cmd_etcd_token(*args)
    elif cmd == "prefill" and len(args) == 4 and args[0] in ("micro", "etcd"):
        n = int(args[3])
        if not 1 <= n <= 1000000:
            fail("prefill: N wants 1..1000000")
        (prefill_micro if args[0] == "micro" else prefill_etcd)(args[1], args[2], n)
    elif cmd == "grpc" and len(args) in (4, 5) and args[4:] in ([], ["--expect-value"]):
        cmd_grpc(args[0], args[1], args[2], args[3], len(args) == 5)
    else:
        fail("bad arguments to %s (see the docstring)" % cmd)


if __name__ == "__main__":
    main(sys.argv)
