"""Holds many clients on a running `micro server` for a while and checks that
every request is answered (issue 9's load suite). Standard library plus
Debian's python3-grpcio; no generated code.

usage: load_hold.py API_ADDR PROXY_ADDR TOKEN SERVER_PID SECONDS
                    [--http N] [--slow N] [--streams N]

  --http N     N keep-alive HTTP/1.1 connections on the gateway, each sending
               POST /store/Store/Read one after the other for SECONDS
  --slow N     N slowloris connections: a request line, then one header byte
               every second; they must not starve the others
  --streams N  N Registry.Watch streams on one HTTP/2 connection to the proxy,
               held for SECONDS; then a service is registered and every stream
               must see it

Prints one line of figures; exits 1 (with the reason) when any request failed,
a stream missed the event, or the server's RSS grew past the allowance.
"""
import argparse
import asyncio
import json
import sys
import threading
import time

import grpc

import os
# memory the server may keep after the load (under ASan its quarantine of freed
# blocks alone is 256 MiB, so test_load.sh raises the allowance there)
RSS_GROWTH_MAX_KB = int(os.environ.get("LOAD_RSS_GROWTH_MAX_KB", 64 * 1024))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def http_client(host, port, token, until, stats):
    body = b'{"key":"load"}'
    req = (b"POST /store/Store/Read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Authorization: Bearer " + token.encode() +
           b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as e:
        stats["errors"].append("connect: %s" % e)
        return
    try:
        while time.monotonic() < until:
            writer.write(req)
            await writer.drain()
            status = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode().partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            payload = await reader.readexactly(length)
            # the key does not exist: the store answers 404 with a micro error
            if not status.startswith(b"HTTP/1.1 404") or b'"code":404' not in payload:
                stats["errors"].append("%r %r" % (status, payload[:200]))
                return
            stats["ok"] += 1
    except (OSError, asyncio.IncompleteReadError) as e:
        stats["errors"].append("http: %r" % e)
    finally:
        writer.close()


async def slow_client(host, port, until, stats):
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /store/Store/Read HTTP/1.1\r\nX-Slow: ")
        await writer.drain()
        while time.monotonic() < until:
            writer.write(b"a")
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1024), 1.0)
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    stats["slow_closed"] += 1   # the server gave up on it: expected
                    return
            except asyncio.TimeoutError:
                pass
        stats["slow_held"] += 1
        writer.close()
    except OSError:
        stats["slow_closed"] += 1


def watch_streams(addr, token, n, seconds, result):
    """n Registry.Watch streams; each must receive the registration of 'loadprobe'."""
    channel = grpc.insecure_channel(addr, options=[("grpc.max_concurrent_streams", 0)])
    watch = channel.unary_stream("/registry.Registry/Watch",
                                 request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    md = (("authorization", "Bearer " + token),)
    calls = [watch(b"", metadata=md) for _ in range(n)]
    seen = [False] * n

    def reader(i, call):
        try:
            for msg in call:
                if b"loadprobe" in msg:
                    seen[i] = True
                    return
        except grpc.RpcError:
            pass

    threads = [threading.Thread(target=reader, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    register = channel.unary_unary("/registry.Registry/Register",
                                   request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
    # registry.Service{name=1:"loadprobe", version=2:"1", nodes=5:[{id=1, address=2}]}
    node = b"\x0a\x03lp1\x12\x0e127.0.0.1:9999"
    svc = b"\x0a\x09loadprobe\x12\x011" + b"\x2a" + bytes([len(node)]) + node
    register(svc, metadata=md, timeout=10)
    deadline = time.monotonic() + 15
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    for c in calls:
        c.cancel()
    channel.close()
    result["streams_seen"] = sum(seen)


async def main_async(a, stats):
    host, port = a.api.rsplit(":", 1)
    until = time.monotonic() + a.seconds
    tasks = [http_client(host, int(port), a.token, until, stats) for _ in range(a.http)]
    tasks += [slow_client(host, int(port), until, stats) for _ in range(a.slow)]
    await asyncio.gather(*tasks)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("api")
    p.add_argument("proxy")
    p.add_argument("token")
    p.add_argument("pid", type=int)
    p.add_argument("seconds", type=float)
    p.add_argument("--http", type=int, default=0)
    p.add_argument("--slow", type=int, default=0)
    p.add_argument("--streams", type=int, default=0)
    a = p.parse_args()

    stats = {"ok": 0, "errors": [], "slow_closed": 0, "slow_held": 0}
    result = {"streams_seen": 0}
    rss_before = rss_kb(a.pid)
    streams = None
    if a.streams:
        streams = threading.Thread(target=watch_streams,
                                   args=(a.proxy, a.token, a.streams, a.seconds, result))
        streams.start()
    started = time.monotonic()
    asyncio.run(main_async(a, stats))
    rss_loaded = rss_kb(a.pid)
    if streams:
        streams.join()
    elapsed = time.monotonic() - started
    time.sleep(1.0)   # the server closes what the clients left
    rss_after = rss_kb(a.pid)
    print(json.dumps({
        "http_connections": a.http, "requests_ok": stats["ok"],
        "requests_per_s": round(stats["ok"] / elapsed) if elapsed else 0,
        "errors": len(stats["errors"]), "slow": a.slow,
        "slow_held_to_the_end": stats["slow_held"], "slow_closed_by_server": stats["slow_closed"],
        "streams": a.streams, "streams_saw_event": result["streams_seen"],
        "rss_kb_before": rss_before, "rss_kb_loaded": rss_loaded, "rss_kb_after": rss_after,
    }))
    failures = []
    if stats["errors"]:
        failures.append("%d failed requests, first: %s" % (len(stats["errors"]), stats["errors"][0]))
    if a.http and stats["ok"] < a.http:
        failures.append("only %d requests answered for %d connections" % (stats["ok"], a.http))
    if a.streams and result["streams_seen"] != a.streams:
        failures.append("%d of %d streams saw the registration" % (result["streams_seen"], a.streams))
    if rss_after - rss_before > RSS_GROWTH_MAX_KB:
        failures.append("server RSS grew from %d to %d KiB" % (rss_before, rss_after))
    for f in failures:
        print("load: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
