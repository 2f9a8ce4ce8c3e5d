"""A helloworld service in another process, for proxy and gateway tests: Debian's
python3-grpcio, generic handlers on raw bytes. The requests of our tests come with
the JSON codec (application/grpc+json), which grpcio does not tell handlers, so the
bodies are read as JSON when they look like JSON and as the proto otherwise.

  Helloworld.Call    {"name"}  -> {"msg": "Hello <name>"}
  Helloworld.Stream  {"count"} -> count x {"msg": "Hello <i>"}   (server stream)
  Helloworld.Echo    bidi: every message is sent back
  Helloworld.Slow    {"ms"}    -> {} after ms milliseconds

Prints "port N" when it listens on 127.0.0.1; stops on SIGTERM.
"""
import json
import signal
import sys
import threading
import time
from concurrent import futures

import grpc


def decode(raw):
    if raw[:1] == b"{":
        return json.loads(raw or b"{}")
    # proto: field 1 string (name) only
    if len(raw) >= 2 and raw[0] == 0x0A:
        return {"name": raw[2:2 + raw[1]].decode()}
    return {}


def encode(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def call(raw, ctx):
    return encode({"msg": "Hello " + decode(raw).get("name", "")})


def stream(raw, ctx):
    for i in range(int(decode(raw).get("count", 1))):
        yield encode({"msg": "Hello %d" % i})


def echo(it, ctx):
    for raw in it:
        yield raw


def slow(raw, ctx):
    time.sleep(int(decode(raw).get("ms", 0)) / 1000.0)
    return b"{}"


def main():
    ident = lambda b: b
    handlers = {
        "Call": grpc.unary_unary_rpc_method_handler(call, ident, ident),
        "Stream": grpc.unary_stream_rpc_method_handler(stream, ident, ident),
        "Echo": grpc.stream_stream_rpc_method_handler(echo, ident, ident),
        "Slow": grpc.unary_unary_rpc_method_handler(slow, ident, ident),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    # served as helloworld, and as stuck for the tests that need a second service
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("helloworld.Helloworld", handlers),
         grpc.method_handlers_generic_handler("stuck.Helloworld", handlers)))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("port %d" % port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait(600)
    server.stop(0)


if __name__ == "__main__":
    sys.exit(main())
