"""HTTP/2 on the wire, by hand, for the tests that must send what a normal
client would not (tests/integration/test_abuse.sh) and for the seeds of the
HTTP/2 fuzzer (tests/fuzz/gen_h2_corpus.py): frames, and HPACK header
fields as literals without Huffman coding."""
import struct

DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINUP, CONT = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, sid, payload=b""):
    """One frame: 24-bit length, type, flags, stream id, payload."""
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def hint(n, prefix, first=0):
    """HPACK integer with an N-bit prefix."""
    top = (1 << prefix) - 1
    if n < top:
        return bytes([first | n])
    out = [first | top]
    n -= top
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def hstr(s):
    """HPACK string literal, no Huffman coding."""
    b = s.encode() if isinstance(s, str) else s
    return hint(len(b), 7) + b


def literal(name, value, index=False):
    """Literal header field with a literal name (0x40: incremental indexing, 0x00: without)."""
    return bytes([0x40 if index else 0x00]) + hstr(name) + hstr(value)
