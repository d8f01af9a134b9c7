#!/usr/bin/env python3
"""Runs a Python port on golden fixtures by itself and writes what it computed as actual files
(docs/PORTS.md, "Ports that cannot be driven"), as a team whose port cannot be driven by
`conform` would write them from its own code; `ttt-harness judge GOLDEN ACTUAL` then judges them.

    write_actuals.py PORT_FILE.py:FACTORY GOLDEN_DIR OUT_DIR [--cases ID,...] [--no-state] [--no-grads]

Needs torch and h5py. The layout: one .h5 per case, root attributes schema_version = 1,
case = the golden's case id, port = a JSON object; /outputs/<name> (and /state/<name>,
/grads/<name>) named as the golden names them, bfloat16 stored as uint16 bit patterns with the
dataset attribute dtype = "bfloat16" (the fixture contract's own storage).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import h5py
import numpy as np
import torch

DTYPES = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16}


def load_factory(spec: str):
    path, name = spec.rsplit(":", 1)
    module_spec = importlib.util.spec_from_file_location("port_under_test", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["port_under_test"] = module
    module_spec.loader.exec_module(module)
    return module, getattr(module, name)


def read(dataset) -> torch.Tensor:
    data = dataset[()]
    if dataset.attrs.get("dtype") == "bfloat16":
        return torch.from_numpy(data.astype(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(data))


def write(group, name: str, tensor: torch.Tensor) -> None:
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        group.create_dataset(name, data=tensor.view(torch.int16).numpy().view(np.uint16)).attrs["dtype"] = "bfloat16"
    else:
        group.create_dataset(name, data=tensor.numpy())


def run_case(factory, golden, want_state: bool, want_grads: bool):
    dtype = DTYPES[golden.attrs["dtype"]]
    config = dict(json.loads(golden.attrs["config"]), layer_type=golden.attrs["layer_type"])
    layer = factory(config).to(torch.device("cpu"), dtype).eval()
    params = {name: read(ds).to(dtype) for name, ds in golden["params"].items()}
    layer.load_state_dict(params, strict=True)
    inputs = {name: read(ds) for name, ds in golden["inputs"].items()}
    outputs, state, grads = {}, None, None
    if golden.attrs["mode"] == "decode":
        prompt = inputs["prefill_hidden_states"].to(dtype)
        tokens = inputs["decode_hidden_states"].to(dtype)
        P = prompt.shape[1]
        with torch.no_grad():
            out, carried = layer.forward_stream(prompt, torch.arange(P)[None], None)
            outputs["prefill_output"] = out
            steps = []
            for t in range(tokens.shape[1]):
                out, carried = layer.forward_stream(tokens[:, t:t + 1], torch.tensor([[P + t]]), carried)
                steps.append(out)
        outputs["decode_output"] = torch.cat(steps, dim=1)
        if want_state and isinstance(carried, dict):
            state = {k: v for k, v in carried.items() if isinstance(v, torch.Tensor)}
    else:
        hidden = inputs["hidden_states"].to(dtype)
        positions = inputs["position_ids"]
        with torch.no_grad():
            outputs["output"] = layer(hidden, position_ids=positions)
        if want_grads and "grads" in golden:
            x = hidden.clone().requires_grad_(True)
            (layer(x, position_ids=positions) * inputs["grad_output"].to(dtype)).sum().backward()
            grads = {name: p.grad for name, p in layer.named_parameters()}
            grads["hidden_states"] = x.grad
    return outputs, state, grads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port")
    parser.add_argument("golden", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cases", default="")
    parser.add_argument("--no-state", action="store_true")
    parser.add_argument("--no-grads", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    module, factory = load_factory(args.port)
    wanted = set(filter(None, args.cases.split(",")))
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.golden.rglob("*.h5")):  # as judge lists the goldens: folders searched
        with h5py.File(path, "r") as golden:
            case = golden.attrs["case"]
            if wanted and case not in wanted:
                continue
            outputs, state, grads = run_case(factory, golden, not args.no_state, not args.no_grads)
        with h5py.File(args.out / f"{case}.h5", "w") as f:
            f.attrs["schema_version"] = 1
            f.attrs["case"] = case
            f.attrs["port"] = json.dumps({"name": getattr(module, "PORT_NAME", "port"),
                                          "version": getattr(module, "PORT_VERSION", "")})
            for group_name, tensors in (("outputs", outputs), ("state", state), ("grads", grads)):
                if tensors is not None:
                    group = f.create_group(group_name)
                    for name, tensor in tensors.items():
                        write(group, name, tensor)
        print(f"wrote {args.out / (case + '.h5')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
