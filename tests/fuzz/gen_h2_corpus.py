#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_h2 (tests/fuzz/corpus/h2/): what a gRPC client
sends on one HTTP/2 connection after the preface (fuzz_h2 sends the preface
itself). Each file starts with fuzz_h2's mode byte (0: raw server, one write;
0x80: through mc_rpc_grpc; low bits: write size), then SETTINGS,
HEADERS and DATA frames. Header blocks are HPACK literals without Huffman coding
(a few use the static table and dynamic-table indexing), so the fuzzer can edit
names and values in place.

usage: tests/fuzz/gen_h2_corpus.py [DIR]   (default: the corpus folder beside it)
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from h2wire import (ACK, CONT, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS,  # noqa: E402
                    PING, RST, SETTINGS, WINUP, frame, hint, hstr, literal)


def block(path, extra=(), ctype="application/grpc"):
    b = hint(3, 7, 0x80)                       # :method POST (static 3)
    b += hint(6, 7, 0x80)                      # :scheme http (static 6)
    b += hint(4, 4) + hstr(path)               # :path, name from static 4
    b += hint(1, 4) + hstr("127.0.0.1:8081")   # :authority, name from static 1
    b += literal("content-type", ctype, index=True)
    b += literal("te", "trailers")
    for k, v in extra:
        b += literal(k, v)
    return b


def msg(payload, compressed=0):
    return bytes([compressed]) + struct.pack(">I", len(payload)) + payload


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


START = settings((2, 0), (4, 65535)) + frame(SETTINGS, ACK, 0)


def unary(sid, path, payload, extra=()):
    return (frame(HEADERS, END_HEADERS, sid, block(path, extra)) +
            frame(DATA, END_STREAM, sid, msg(payload)))


SEEDS = {
    "unary": START + unary(1, "/echo.Echo/Call", b'{"name":"Alice"}'),
    "unary_metadata": START + unary(1, "/echo.Echo/Call", b"\x0a\x05Alice", [
        ("micro-namespace", "micro"), ("authorization", "Bearer a.b.c"),
        ("x-trace-bin", "AAECAw=="), ("timeout", "5000000000"), ("grpc-timeout", "3S")]),
    "server_stream": START + unary(1, "/echo.Echo/Stream", b"{}"),
    "bidi_split": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Echo/Bidi")) +
        frame(DATA, 0, 1, msg(b"one")[:3]) + frame(DATA, 0, 1, msg(b"one")[3:] + msg(b"two")) +
        frame(WINUP, 0, 1, struct.pack(">I", 1000)) + frame(DATA, END_STREAM, 1, b""),
    "fail_early": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Echo/Fail", [("x-who", "bob")])) +
        frame(DATA, END_STREAM, 1, msg(b"x")),
    "hang_reset": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Echo/Hang", [("grpc-timeout", "1m")])) +
        frame(RST, 0, 1, struct.pack(">I", 8)),
    "hang_deadline": START + unary(1, "/echo.Echo/Hang", b"", [("grpc-timeout", "2m")]) +
        unary(3, "/echo.Echo/Call", b"late", [("timeout", "1000000")]),
    "unknown_and_ping": START + unary(1, "/nope.Nope/X", b"") +
        frame(PING, 0, 0, b"12345678") + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0)),
    "continuation": START + frame(HEADERS, 0, 1, block("/echo.Echo/Call")[:20]) +
        frame(CONT, END_HEADERS, 1, block("/echo.Echo/Call")[20:]) + frame(DATA, END_STREAM, 1, msg(b"hi")),
    "two_streams_trailers": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Echo/Call")) +
        frame(HEADERS, END_HEADERS, 3, block("/echo.Echo/Stream", ctype="application/grpc+json")) +
        frame(DATA, 0, 1, msg(b"a")) +
        frame(HEADERS, END_HEADERS | END_STREAM, 1, literal("x-trailer", "1")) +
        frame(DATA, END_STREAM, 3, msg(b"{}")),
    "bad_requests": START + frame(HEADERS, END_HEADERS | END_STREAM, 1,
                                  hint(2, 7, 0x80) + hint(6, 7, 0x80) + hint(4, 4) + hstr("/echo.Echo/Call")) +
        unary(3, "/echo.Echo/Call", b"x", [("grpc-encoding", "gzip")]) +
        frame(HEADERS, END_HEADERS, 5, block("/echo.Echo/Call", ctype="text/plain")) +
        unary(7, "/echo.Echo/Call", b"", [("grpc-timeout", "bogus")]) +
        frame(HEADERS, END_HEADERS, 9, block("/echo.Echo/Call")) +
        frame(DATA, END_STREAM, 9, msg(b"z", compressed=1)),
    "too_big": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Echo/Call")) +
        frame(DATA, END_STREAM, 1, b"\x00\x00\x01\x00\x00" + b"x" * 64),
}


JSON = "application/grpc+json"

# Served through mc_rpc_grpc (first byte 0x80): service "echo" with Store.Read,
# Store.List and Debug, "fwd" taken by the fallback.
RPC_SEEDS = {
    "rpc_read_json": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Store/Read", [
        ("micro-namespace", "foo"), ("timeout", "5000000000")], ctype=JSON)) +
        frame(DATA, END_STREAM, 1, msg(b'{"key":"a","options":{"database":"d"}}')),
    "rpc_read_proto_fail": START + unary(1, "/echo.Store/Read", b"\x0a\x04fail"),
    "rpc_list_stream": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Store/List", ctype=JSON)) +
        frame(DATA, 0, 1, msg(b'{"options":{"prefix":"p"}}')) +
        frame(DATA, END_STREAM, 1, msg(b'{"options":{"prefix":"q"}}')),
    "rpc_list_error": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Store/List", ctype=JSON)) +
        frame(DATA, END_STREAM, 1, msg(b'{"options":{"limit":"7"}}')),
    "rpc_debug": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Debug/Health", ctype=JSON)) +
        frame(DATA, END_STREAM, 1, msg(b"{}")) +
        unary(3, "/echo.Debug/Log", b"\x08\x01"),
    "rpc_fallback_and_routes": START + unary(1, "/fwd.Fwd/Call", b"x") +
        unary(3, "/nope.Nope/X", b"") + unary(5, "/echo.Nope/X", b"") + unary(7, "bad", b""),
    "rpc_unary_two_messages": START + frame(HEADERS, END_HEADERS, 1, block("/echo.Store/Read", ctype=JSON)) +
        frame(DATA, END_STREAM, 1, msg(b'{"key":"a"}') + msg(b'{"key":"b"}')) +
        frame(HEADERS, END_HEADERS | END_STREAM, 3, block("/echo.Store/Read", ctype=JSON)) +
        unary(5, "/echo.Store/Read", b'{"key":', [("grpc-timeout", "1m")]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "h2")
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x00" + body)
    for name, body in RPC_SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x80" + body)
    # the same unary call cut into 13-byte writes
    with open(os.path.join(out, "unary_pieces"), "wb") as f:
        f.write(b"\x01" + SEEDS["unary"])


if __name__ == "__main__":
    main()
