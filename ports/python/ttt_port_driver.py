#!/usr/bin/env python3
"""The Python driver of the ttt-harness port protocol (docs/PORTS.md).

    python ttt_port_driver.py MODULE_OR_FILE.py FACTORY

`ttt-harness conform --port python:MODULE_OR_FILE.py:FACTORY` starts this in a process of its
own, in the port's own Python (`--python`), and talks to it over its standard input and output:
each message one line of JSON, then the raw bytes of the tensors it lists. The port's code is
imported here and only here, so whatever it does (raise, abort, segfault, hang, print) costs the
harness one verdict, never the run.

What a port provides (the whole interface):
    FACTORY(config) -> torch.nn.Module       config: the fixture's config plus "layer_type"
    module(hidden_states, position_ids=position_ids) -> Tensor [B, L, C]
optional:
    module.load_upstream_state_dict(params)  instead of load_state_dict(params, strict=True)
    module.use_rope                          a bool the toggle checks set between calls
    module.forward_stream(hidden_states, position_ids, state) -> (output, state)
                                             streaming (decode): state None on the first call;
                                             a dict state's tensors are reported by name
    module.supports_gradients = False        says the port has no backward
    PORT_NAME, PORT_VERSION (or __version__) in the port's module, for the report

Only the standard library and torch are used: a port's environment needs nothing else.
"""

from __future__ import annotations

import ctypes
import faulthandler
import importlib
import importlib.util
import json
import os
import platform
import sys
import traceback
from pathlib import Path

PROTOCOL = 1

# The protocol owns the process's real standard output; anything the port prints goes to
# standard error, which the harness keeps as the port's log.
_PROTOCOL_OUT = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
sys.stdout = sys.stderr
_PROTOCOL_IN = os.fdopen(os.dup(0), "rb", buffering=0)
# ... and the requests are the driver's alone: port code (or a child it starts) that reads its
# standard input reads nothing.
_NULL = os.open(os.devnull, os.O_RDONLY)
os.dup2(_NULL, 0)
os.close(_NULL)
# A segfault or abort in native code prints a line the harness can show.
faulthandler.enable(file=sys.stderr)

import torch  # noqa: E402  (after the streams are in place: importing torch may print)

# The intra-op threads the harness asks for (conform --threads, default 1).
if os.environ.get("TTT_PORT_THREADS", "").isdigit() and int(os.environ["TTT_PORT_THREADS"]) > 0:
    torch.set_num_threads(int(os.environ["TTT_PORT_THREADS"]))

DTYPES = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16, "int64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}


class NotSupported(Exception):
    """The port does not offer what was asked for."""


class BadRequest(Exception):
    """A request this driver cannot follow."""


# ---- the wire -------------------------------------------------------------------------------

class _Reader:
    def __init__(self, stream):
        self.stream = stream
        self.buffer = bytearray()

    def _fill(self) -> bool:
        chunk = self.stream.read(1 << 16)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def line(self) -> bytes | None:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 1]
                return line
            if not self._fill():
                return None

    def exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise EOFError(f"the message ended {size - len(self.buffer)} bytes short")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


def read_message(reader: _Reader):
    line = reader.line()
    if line is None:
        return None
    header = json.loads(line)
    tensors = {}
    for entry in header.pop("tensors", []):
        dtype = DTYPES[entry["dtype"]]
        shape = [int(d) for d in entry["shape"]]
        count = 1
        for d in shape:
            count *= d
        data = reader.exact(count * torch.empty((), dtype=dtype).element_size())
        tensor = torch.frombuffer(bytearray(data), dtype=dtype) if count else torch.empty(0, dtype=dtype)
        tensors[entry["name"]] = tensor.reshape(shape)
    return header, tensors


def _as_bytes(tensor: torch.Tensor) -> bytes:
    t = tensor.detach().to("cpu").contiguous()
    # The tensor's own bytes in one copy (iterating a storage from Python is a call per byte).
    return ctypes.string_at(t.data_ptr(), t.numel() * t.element_size()) if t.numel() else b""


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = _PROTOCOL_OUT.write(view)
        view = view[written:]


def write_message(header: dict, tensors: list[tuple[str, torch.Tensor]] = ()) -> None:
    entries, payloads = [], []
    for name, tensor in tensors:
        if tensor.dtype not in NAMES:
            raise TypeError(f"{name}: a tensor of dtype {tensor.dtype} cannot cross the protocol")
        entries.append({"name": name, "dtype": NAMES[tensor.dtype], "shape": list(tensor.shape)})
        payloads.append(_as_bytes(tensor))
    header = dict(header, tensors=entries)
    _write_all(json.dumps(header).encode() + b"\n")
    for payload in payloads:
        _write_all(payload)


# ---- the port ---------------------------------------------------------------------------------

def load_port_module(target: str):
    """A file path (foo.py) or an importable module name."""
    if target.endswith(".py") or os.sep in target:
        path = Path(target).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {target}")
        sys.path.insert(0, str(path.parent))  # the port's own sibling modules
        spec = importlib.util.spec_from_file_location(f"_ttt_port_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(target)


def git_commit(path: Path) -> str:
    """The commit of the git checkout a port file lives in, read without running git."""
    for folder in [path.parent, *path.parents]:
        head = folder / ".git" / "HEAD"
        if head.is_file():
            ref = head.read_text().strip()
            if ref.startswith("ref: "):
                ref_file = folder / ".git" / ref[5:]
                return ref_file.read_text().strip() if ref_file.is_file() else ""
            return ref
    return ""


class Driver:
    def __init__(self, target: str, factory_name: str):
        self.target = target
        self.factory_name = factory_name
        self.module = None
        self.factory = None
        self.layer = None
        self.device = torch.device("cpu")
        self.dtype = torch.float64
        self.stream_state = None
        self.streaming = False

    # Each handler returns (header fields, [(name, tensor), ...]).
    def hello(self, header, tensors):
        self.module = load_port_module(self.target)
        self.factory = getattr(self.module, self.factory_name, None)
        if not callable(self.factory):
            raise AttributeError(f"{self.target} has no function {self.factory_name}")
        version = str(getattr(self.module, "PORT_VERSION", getattr(self.module, "__version__", "")))
        source = getattr(self.module, "__file__", None)
        commit = git_commit(Path(source).resolve()) if source else ""
        environment = {
            "language": "Python",
            "python": platform.python_version(),
            "python_executable": sys.executable,
            "torch": torch.__version__,
            "port_source": str(source) if source else self.target,
            "factory": self.factory_name,
        }
        if commit:
            environment["git_commit"] = commit
        return {
            "protocol": PROTOCOL,
            "name": str(getattr(self.module, "PORT_NAME", Path(self.target).stem)),
            "version": version or (commit[:12] if commit else ""),
            "environment": environment,
            "cuda_available": bool(torch.cuda.is_available()),
        }, []

    def build(self, header, tensors):
        self.layer = None
        self.stream_state = None
        self.streaming = False
        config = dict(header["config"], layer_type=header["layer_type"])
        layer = self.factory(config)
        if not isinstance(layer, torch.nn.Module):
            raise TypeError(f"{self.factory_name}(config) returned {type(layer).__name__}, not a torch.nn.Module")
        self.device = torch.device(header["device"])
        self.dtype = DTYPES[header["dtype"]]
        layer = layer.to(self.device, self.dtype)
        layer.eval()
        if hasattr(layer, "load_upstream_state_dict"):
            layer.load_upstream_state_dict(tensors)
        else:
            layer.load_state_dict(tensors, strict=True)
        self.layer = layer
        devices = {name: str(t.device) for name, t in layer.named_parameters()}
        devices.update({name: str(t.device) for name, t in layer.named_buffers()})
        return {
            "capabilities": {
                "use_rope_toggle": hasattr(layer, "use_rope"),
                "streaming": callable(getattr(layer, "forward_stream", None)),
                "gradients": getattr(layer, "supports_gradients", True) is not False,
            },
            "tensor_devices": devices,
        }, []

    def _layer(self):
        if self.layer is None:
            raise BadRequest("no layer has been built (build comes first)")
        return self.layer

    def _inputs(self, tensors):
        hidden = tensors["hidden_states"].to(self.device, self.dtype)
        positions = tensors["position_ids"].to(self.device)
        return hidden, positions

    @staticmethod
    def _result(out, what: str) -> torch.Tensor:
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"{what} returned {type(out).__name__}, not a tensor [B, L, C]")
        return out

    def forward(self, header, tensors):
        layer = self._layer()
        hidden, positions = self._inputs(tensors)
        with torch.no_grad():
            out = self._result(layer(hidden, position_ids=positions), "forward")
        return {"device": str(out.device)}, [("output", out)]

    def set_use_rope(self, header, tensors):
        layer = self._layer()
        if not hasattr(layer, "use_rope"):
            raise NotSupported("the module has no use_rope attribute to set")
        layer.use_rope = bool(header["value"])
        return {}, []

    def stream_begin(self, header, tensors):
        layer = self._layer()
        if not callable(getattr(layer, "forward_stream", None)):
            raise NotSupported("the module has no forward_stream(hidden_states, position_ids, state)")
        self.stream_state = None
        self.streaming = True
        return {}, []

    def stream(self, header, tensors):
        layer = self._layer()
        if not self.streaming:
            raise BadRequest("stream before stream_begin")
        hidden, positions = self._inputs(tensors)
        with torch.no_grad():
            answer = layer.forward_stream(hidden, positions, self.stream_state)
        if not (isinstance(answer, tuple) and len(answer) == 2):
            raise TypeError("forward_stream must return (output, state)")
        out, self.stream_state = answer
        out = self._result(out, "forward_stream")
        state = []
        offered = isinstance(self.stream_state, dict)
        if offered:
            state = [(f"state/{k}", v) for k, v in self.stream_state.items()
                     if isinstance(k, str) and isinstance(v, torch.Tensor)]
        return {"device": str(out.device), "state_offered": offered}, [("output", out)] + state

    def gradients(self, header, tensors):
        layer = self._layer()
        if getattr(layer, "supports_gradients", True) is False:
            raise NotSupported("the module says supports_gradients = False")
        hidden, positions = self._inputs(tensors)
        hidden = hidden.detach().clone().requires_grad_(True)
        grad_output = tensors["grad_output"].to(self.device, self.dtype)
        layer.zero_grad(set_to_none=True)
        with torch.enable_grad():
            out = self._result(layer(hidden, position_ids=positions), "forward")
            (out * grad_output).sum().backward()
        grads = [(f"grad/{name}", p.grad) for name, p in layer.named_parameters() if p.grad is not None]
        if hidden.grad is not None:
            grads.append(("grad/hidden_states", hidden.grad))
        if not grads:
            raise NotSupported("no gradient reached the input or any parameter (is forward run under no_grad?); "
                               "set supports_gradients = False to say so")
        layer.zero_grad(set_to_none=True)
        return {}, grads


def _one_line(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip().replace("\n", " ")
    return text[:500]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: ttt_port_driver.py MODULE_OR_FILE.py FACTORY", file=sys.stderr)
        return 2
    if sys.byteorder != "little":
        print("ttt_port_driver: the protocol's tensors are little-endian; this machine is not", file=sys.stderr)
        return 2
    driver = Driver(argv[1], argv[2])
    reader = _Reader(_PROTOCOL_IN)
    while True:
        try:
            message = read_message(reader)
        except Exception as error:  # a harness that sent garbage: nothing sensible to answer
            print(f"ttt_port_driver: unreadable request: {_one_line(error)}", file=sys.stderr)
            return 2
        if message is None:
            return 0
        header, tensors = message
        op = header.get("op")
        if op == "bye":
            write_message({"ok": True})
            return 0
        handler = getattr(driver, op, None) if op in (
            "hello", "build", "forward", "set_use_rope", "stream_begin", "stream", "gradients") else None
        try:
            if handler is None:
                raise BadRequest(f"unknown op {op!r}")
            fields, out = handler(header, tensors)
            write_message(dict(fields, ok=True), out)
        except NotSupported as error:
            write_message({"ok": False, "kind": "not_supported", "error": str(error)})
        except BadRequest as error:
            write_message({"ok": False, "kind": "bad_request", "error": str(error)})
        except Exception as error:
            traceback.print_exc(file=sys.stderr)  # the whole story in the port's log
            write_message({"ok": False, "kind": "exception", "error": _one_line(error)})
        sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
