"""The messages of a runtime.Source/Upload stream for an archive, as upstream's
CLI sends them: the tar read from stdin in 1 KiB chunks, base64 in "data", the
first message also naming the service. One JSON message per line on stdout (for
grpc_call's stream arguments).

usage: ... | upload_msgs.py NAME
"""
import base64
import json
import sys

name = sys.argv[1]
data = sys.stdin.buffer.read()
for i in range(0, len(data), 1024):
    m = {"data": base64.b64encode(data[i:i + 1024]).decode()}
    if i == 0:
        m["service"] = {"name": name, "version": "latest"}
    print(json.dumps(m))
