"""A stand-in for the runtime endpoints, for client-side tests of `micro run`,
`update`, `kill`, `status` and `logs`: the CLI is pointed straight at it.

Every request is appended as one JSON line to $FAKE_DIR/requests (with its
method); Source.Upload's data is joined, kept as $FAKE_DIR/upload.tar and its
first message's service written into the log. Runtime.Read answers
$FAKE_DIR/read.json when it exists, else {}; Runtime.Logs streams the lines of
$FAKE_DIR/logs.json (one LogRecord each), and answers NotFound for service
"nope". Prints "port N" when listening.
"""
import base64
import json
import os
import signal
import sys
import threading
from concurrent import futures

import grpc

D = os.environ["FAKE_DIR"]
LOCK = threading.Lock()


def log(method, req):
    with LOCK, open(os.path.join(D, "requests"), "a") as f:
        f.write(json.dumps({"method": method, "req": req}, sort_keys=True) + "\n")


def dec(raw):
    return json.loads(raw or b"{}")


def enc(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def unary(method, answer=lambda req: {}):
    def h(raw, ctx):
        req = dec(raw)
        log(method, req)
        return enc(answer(req))
    return grpc.unary_unary_rpc_method_handler(h, lambda b: b, lambda b: b)


def read_answer(req):
    p = os.path.join(D, "read.json")
    return json.load(open(p)) if os.path.exists(p) else {}


def upload(it, ctx):
    data, first, n = b"", None, 0
    for raw in it:
        m = dec(raw)
        if first is None:
            first = m.get("service")
        data += base64.b64decode(m.get("data", ""))
        n += 1
    open(os.path.join(D, "upload.tar"), "wb").write(data)
    log("Source.Upload", {"service": first, "messages": n, "bytes": len(data)})
    return enc({"id": "source://%s:%s" % (first["name"], first["version"])})


def logs(raw, ctx):
    req = dec(raw)
    log("Runtime.Logs", req)
    if req.get("service") == "nope":
        ctx.abort(grpc.StatusCode.NOT_FOUND, json.dumps(
            {"id": "runtime", "code": 404, "detail": "service not found", "status": "Not Found"}))
    p = os.path.join(D, "logs.json")
    for line in open(p) if os.path.exists(p) else []:
        yield line.strip().encode()


def main():
    ident = lambda b: b
    rt = grpc.method_handlers_generic_handler("runtime.Runtime", {
        "Create": unary("Runtime.Create"),
        "Update": unary("Runtime.Update"),
        "Delete": unary("Runtime.Delete"),
        "Read": unary("Runtime.Read", read_answer),
        "Logs": grpc.unary_stream_rpc_method_handler(logs, ident, ident),
    })
    src = grpc.method_handlers_generic_handler("runtime.Source", {
        "Upload": grpc.stream_unary_rpc_method_handler(upload, ident, ident),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_receive_message_length", 64 << 20)])
    server.add_generic_rpc_handlers((rt, src))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("port %d" % port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    stop.wait()
    server.stop(0)


if __name__ == "__main__":
    main()
