#!/usr/bin/python3
"""The peer for bench/run-grpc: a gRPC server we did not write (Debian's
python3-grpcio, run with /usr/bin/python3) answering /registry.Debug/Health the
way `micro server` does, so both are measured with the same clients in the same
run. Generic handlers with raw-bytes serializers: no generated code, no
protobuf work beyond returning fixed bytes. A request body of "{}" is the JSON
codec's empty request (grpcio does not expose the content-type to handlers), so
it gets the JSON answer; anything else gets HealthResponse{status:"ok"}.

usage: peer_grpc_server.py [--workers N]
Listens on 127.0.0.1:0, prints "port N" on stdout once serving, and runs until
SIGTERM or SIGINT.
"""
import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc

PROTO_OK = b"\n\x02ok"          # debug.HealthResponse{status: "ok"}
JSON_OK = b'{"status":"ok"}'
PATH = "/registry.Debug/Health"


def health(request, context):
    return JSON_OK if request == b"{}" else PROTO_OK


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=8,
                    help="thread pool size (1..256)")
    args = ap.parse_args()
    if not 1 <= args.workers <= 256:
        ap.error("--workers must be in 1..256")

    raw = grpc.unary_unary_rpc_method_handler(
        health, request_deserializer=None, response_serializer=None)
    service, method = PATH[1:].split("/")
    handler = grpc.method_handlers_generic_handler(service, {method: raw})

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.workers),
                         options=[("grpc.max_concurrent_streams", 1000)])
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    if port == 0:
        sys.exit("peer_grpc_server: cannot listen on 127.0.0.1")
    server.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("port %d" % port, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop(grace=1).wait(5)


if __name__ == "__main__":
    main()
