"""Programs that do not speak the port protocol, or not for long (test-only), for
`conform --port exec:...`; each must cost an ERROR line, never a verdict or a hung harness.

    not_a_port.py text           answers every request with a line of text
    not_a_port.py deep           answers hello with a header nested a thousand levels deep
    not_a_port.py stops-reading  answers hello and build, then reads a forward's header and
                                 nothing more (the harness's write of its tensors must time out)
"""

import json
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "text"
inp, out = sys.stdin.buffer, sys.stdout.buffer
SIZES = {"float64": 8, "float32": 4, "bfloat16": 2, "int64": 8}


def request():
    header = json.loads(inp.readline())
    for t in header.get("tensors", []):
        n = SIZES[t["dtype"]]
        for d in t["shape"]:
            n *= d
        inp.read(n)
    return header


def answer(fields):
    out.write(json.dumps(dict(fields, ok=True, tensors=[])).encode() + b"\n")
    out.flush()


if mode == "text":
    for line in inp:
        out.write(b"hello, I am not a protocol message\n")
        out.flush()
elif mode == "deep":
    inp.readline()
    out.write(b'{"ok": true, "x": ' + b"[" * 1000 + b"]" * 1000 + b"}\n")
    out.flush()
    time.sleep(60)
elif mode == "stops-reading":
    request()
    answer({"protocol": 1, "name": "stops reading", "environment": {}, "cuda_available": False})
    request()
    answer({"capabilities": {}, "tensor_devices": {}})
    inp.readline()  # a forward's header; its tensors are never read
    time.sleep(600)
