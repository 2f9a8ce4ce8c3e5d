"""A gRPC client we did not write (Debian's python3-grpcio), used to show that
`micro server` interoperates with a standard implementation. Messages are
encoded by hand (no generated code): only tiny messages are needed.

usage: grpc_client.py ADDR health SERVICE...    -> prints "SERVICE ok" per service
       grpc_client.py ADDR call PATH            -> prints "CODE DETAILS" of an empty unary call
       grpc_client.py ADDR deadline PATH MS     -> prints the status code of a call with a deadline
"""
import sys

import grpc


def decode_string_field_1(data):
    """Returns field 1 (a string) of a protobuf message."""
    i = 0
    while i < len(data):
        key = data[i]
        i += 1
        field, wire = key >> 3, key & 7
        if wire != 2:
            raise ValueError("unexpected wire type %d" % wire)
        n, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if field == 1:
            return data[i:i + n].decode()
        i += n
    return ""


def unary(channel, path):
    return channel.unary_unary(path, request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)


def main():
    addr, cmd = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(addr) as channel:
        if cmd == "health":
            for svc in sys.argv[3:]:
                rsp = unary(channel, "/%s.Debug/Health" % svc)(b"", timeout=5)
                print(svc, decode_string_field_1(rsp))
        elif cmd == "call":
            try:
                rsp = unary(channel, sys.argv[3])(b"", timeout=5)
                print("OK", rsp.hex())
            except grpc.RpcError as e:
                print(e.code().name, e.details())
        elif cmd == "deadline":
            try:
                unary(channel, sys.argv[3])(b"", timeout=int(sys.argv[4]) / 1000.0)
                print("OK")
            except grpc.RpcError as e:
                print(e.code().name)
        else:
            sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
