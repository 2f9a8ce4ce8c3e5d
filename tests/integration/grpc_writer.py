"""Concurrent acknowledged writes over gRPC (Debian's python3-grpcio), for the
group-commit tests: store.Store/Write and events.Stream/Publish with IN_FLIGHT
calls outstanding at once, so that many land in one round of the server and
share a commit. Each write's name is appended to ACKED (one per line, flushed)
the moment its OK arrives; a write that fails with a status is counted, and its
status and message are printed once per distinct message on stderr.
Messages are encoded by hand (no generated code).

usage: grpc_writer.py ADDR TOKEN KIND PREFIX COUNT IN_FLIGHT ACKED
  KIND   store (key PREFIX/<n> in table "gc", value "value of <key>")
         events (topic "gc", payload "<PREFIX>/<n>")
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


def main():
    if len(sys.argv) != 8:
        sys.stderr.write(__doc__)
        return 2
    addr, token, kind, prefix = sys.argv[1:5]
    count, in_flight, acked_path = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
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
