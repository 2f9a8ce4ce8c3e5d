"""Concurrent acknowledged writes over gRPC (Debian's python3-grpcio) or the HTTP
gateway, for the group-commit tests: store.Store/Write and events.Stream/Publish
with IN_FLIGHT calls outstanding at once, so that many land in one round of the
server and share a commit. Each write's name is appended to ACKED (one per line, flushed)
the moment its OK arrives; a write that fails with a status is counted, and its
status and message are printed once per distinct message on stderr.
Messages are encoded by hand (no generated code).

usage: grpc_writer.py ADDR TOKEN KIND PREFIX COUNT IN_FLIGHT ACKED
  KIND   store (key PREFIX/<n> in table "gc", value "value of <key>")
         events (topic "gc", payload "<PREFIX>/<n>")
         store-http (as store, through the gateway at ADDR: POST /store/write,
         IN_FLIGHT keep-alive connections)
  COUNT  writes to make; 0 = until the server goes away
Exit status: 0 when every call was answered (OK or a status), 1 when the
connection broke (the server was killed), 2 on usage errors.
Prints "<acked> <failed>" on stdout at the end.
"""
import sys
import threading

import grpc


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, data):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(data)) + data


def store_write(name):
    record = field(1, name.encode()) + field(2, ("value of " + name).encode())
    options = field(2, b"gc")   # WriteOptions.table
    return "/store.Store/Write", field(1, record) + field(2, options)


def publish(name):
    return "/events.Stream/Publish", field(1, b"gc") + field(3, name.encode())


def http_writes(addr, token, prefix, count, in_flight, acked_path):
    """store-http: IN_FLIGHT threads, each with its own keep-alive connection."""
    import base64
    import http.client
    import json

    host, port = addr.rsplit(":", 1)
    hdrs = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    acked = open(acked_path, "a")
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0, "broken": False, "messages": set()}

    def take():
        with lock:
            if state["broken"] or (count and state["next"] >= count):
                return None
            state["next"] += 1
            return state["next"] - 1

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while True:
            n = take()
            if n is None:
                return
            name = "%s/%06d" % (prefix, n)
            value = base64.b64encode(("value of " + name).encode()).decode()
            body = json.dumps({"record": {"key": name, "value": value}, "options": {"table": "gc"}})
            try:
                conn.request("POST", "/store/write", body, hdrs)
                rsp = conn.getresponse()
                data = rsp.read().decode(errors="replace")
            except (OSError, http.client.HTTPException):
                with lock:
                    state["broken"] = True
                return
            with lock:
                if rsp.status == 200:
                    acked.write(name + "\n")
                    acked.flush()
                    state["ok"] += 1
                else:
                    state["failed"] += 1
                    msg = "%d %s" % (rsp.status, data)
                    if msg not in state["messages"]:
                        state["messages"].add(msg)
                        sys.stderr.write(msg + "\n")

    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acked.close()
    print(state["ok"], state["failed"])
    return 1 if state["broken"] else 0


def main():
    if len(sys.argv) != 8:
        sys.stderr.write(__doc__)
        return 2
    addr, token, kind, prefix = sys.argv[1:5]
    count, in_flight, acked_path = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
    if kind == "store-http":
        return http_writes(addr, token, prefix, count, in_flight, acked_path)
    make = {"store": store_write, "events": publish}[kind]
    channel = grpc.insecure_channel(addr)
    md = (("authorization", "Bearer " + token),)
    acked = open(acked_path, "a")
    lock = threading.Lock()
    slots = threading.Semaphore(in_flight)
    state = {"ok": 0, "failed": 0, "broken": False, "messages": set(), "outstanding": 0}
    done = threading.Condition(lock)

    def finished(name, fut):
        err = fut.exception()
        with lock:
            if err is None:
                acked.write(name + "\n")
                acked.flush()
                state["ok"] += 1
            elif err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                state["broken"] = True
            else:
                state["failed"] += 1
                msg = "%s %s" % (err.code().name, err.details())
                if msg not in state["messages"]:
                    state["messages"].add(msg)
                    sys.stderr.write(msg + "\n")
            state["outstanding"] -= 1
            done.notify_all()
        slots.release()

    n = 0
    while count == 0 or n < count:
        slots.acquire()
        with lock:
            if state["broken"]:
                break
            state["outstanding"] += 1
        name = "%s/%06d" % (prefix, n)
        path, body = make(name)
        call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        fut = call.future(body, metadata=md, timeout=10)
        fut.add_done_callback(lambda f, name=name: finished(name, f))
        n += 1
    with lock:
        while state["outstanding"] > 0:
            done.wait()
    acked.close()
    print(state["ok"], state["failed"])
    return 1 if state["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
