#!/usr/bin/env python3
"""Writes suites/badinput/checkpoints/: safetensors files for ttt::load_state_dict, one good
and one per way a checkpoint can be wrong, the same for torch.save's zip format (torch_*.pt),
and expected.json (file -> what the error must say). The layer: TTT-Linear, hidden 8, 2 heads, mini-batch 4 (TTTOptions(8, 2).mini_batch_size(4)),
its tensors under "model.layers.0.seq_modeling_block." beside a tensor outside the prefix.
Deterministic; rerun and commit the folder after changing it:
  .venv/bin/python suites/badinput/make_checkpoint_corpus.py
"""
import collections
import io
import json
import struct
from pathlib import Path

import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent / "checkpoints"
PREFIX = "model.layers.0.seq_modeling_block."
H, f, C, K = 2, 4, 8, 4
SHAPES = {"q_proj.weight": (C, C), "k_proj.weight": (C, C), "v_proj.weight": (C, C), "o_proj.weight": (C, C),
          "learnable_token_idx": (K,), "learnable_ttt_lr_weight": (H, 1, C), "learnable_ttt_lr_bias": (H, 1),
          "ttt_norm_weight": (H, f), "ttt_norm_bias": (H, f), "post_norm.weight": (C,), "post_norm.bias": (C,),
          "W1": (H, f, f), "b1": (H, 1, f)}


def tensors():
    g = torch.Generator().manual_seed(7)
    out = {PREFIX + n: torch.randn(s, generator=g) for n, s in SHAPES.items()}
    out["lm_head.weight"] = torch.randn((16, C), generator=g)  # outside the prefix: ignored
    return out


def raw(header: dict, payload: bytes, length=None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + payload


def torch_save(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def torch_zip_files(good: dict, expected: dict):
    """torch.save's zip format: a plain dict of tensors loads (what transformers'
    save_pretrained(safe_serialization=False) writes, and torch.save(dict(model.state_dict())));
    an OrderedDict, what torch.save(model.state_dict()) writes, cannot (LibTorch's unpickler
    reads every OrderedDict as None) and is refused by name, as is every malformed file."""
    (HERE / "torch_good.pt").write_bytes(torch_save(dict(good)))
    data = torch_save(dict(good))
    files = {
        "torch_ordered_dict.pt": (torch_save(collections.OrderedDict(good)),
                                  "holds an OrderedDict (what torch.save(model.state_dict()) writes)"),
        "torch_truncated.pt": (data[: len(data) // 2], "not a readable torch.save zip file"),
        "torch_not_a_dict.pt": (torch_save([good[PREFIX + "W1"]]), "holds a GenericList, not a dict of tensors"),
        "torch_not_a_tensor.pt": (torch_save({**good, PREFIX + "b1": 1.5}),
                                  "entry model.layers.0.seq_modeling_block.b1 is a Double, not a tensor"),
        "torch_wrong_shape.pt": (torch_save({**good, PREFIX + "W1": torch.zeros(2, 4, 3)}),
                                 "tensor model.layers.0.seq_modeling_block.W1 has shape [2, 4, 3], the layer's W1 is "
                                 "[2, 4, 4]"),
    }
    for name, (content, message) in files.items():
        (HERE / name).write_bytes(content)
        expected[name] = message


def main():
    HERE.mkdir(exist_ok=True)
    expected = {}
    good = tensors()
    save_file(good, str(HERE / "good.safetensors"), metadata={"format": "pt"})

    def variant(name, change, message):
        t = dict(good)
        change(t)
        save_file(t, str(HERE / name))
        expected[name] = message

    variant("missing_tensor.safetensors", lambda t: t.pop(PREFIX + "W1"),
            "no tensor model.layers.0.seq_modeling_block.W1 (the layer's W1, shape [2, 4, 4])")
    variant("wrong_shape.safetensors", lambda t: t.update({PREFIX + "W1": torch.zeros(2, 4, 3)}),
            "tensor model.layers.0.seq_modeling_block.W1 has shape [2, 4, 3], the layer's W1 is [2, 4, 4]")
    variant("wrong_dtype.safetensors", lambda t: t.update({PREFIX + "b1": torch.zeros(2, 1, 4, dtype=torch.float64)}),
            "tensor model.layers.0.seq_modeling_block.b1 is Double, the layer's b1 is Float")
    variant("extra_tensor.safetensors", lambda t: t.update({PREFIX + "W2": torch.zeros(2, 4, 4)}),
            "tensor model.layers.0.seq_modeling_block.W2 is under the prefix")

    data = (HERE / "good.safetensors").read_bytes()
    (HERE / "truncated.safetensors").write_bytes(data[:-100])
    expected["truncated.safetensors"] = "(truncated, or the header lies)"
    (HERE / "short.safetensors").write_bytes(data[:5])
    expected["short.safetensors"] = "too short for a safetensors header"
    one = {PREFIX + "W1": {"dtype": "F32", "shape": [2, 4, 4], "data_offsets": [0, 128]}}
    (HERE / "header_length_lies.safetensors").write_bytes(raw(one, bytes(128), length=1 << 40))
    expected["header_length_lies.safetensors"] = "the header says it is 1099511627776 bytes"
    lying = {PREFIX + "W1": {"dtype": "F32", "shape": [2, 4, 4], "data_offsets": [64, 192]}}
    (HERE / "offsets_past_the_end.safetensors").write_bytes(raw(lying, bytes(128)))
    expected["offsets_past_the_end.safetensors"] = "at bytes [64, 192) of a payload of 128 bytes"
    sized = {PREFIX + "W1": {"dtype": "F32", "shape": [2, 4, 4], "data_offsets": [0, 100]}}
    (HERE / "size_mismatch.safetensors").write_bytes(raw(sized, bytes(128)))
    expected["size_mismatch.safetensors"] = "has 100 bytes for 32 elements of 4 bytes each"
    overlap = {PREFIX + "W1": {"dtype": "F32", "shape": [2, 4, 4], "data_offsets": [0, 128]},
               PREFIX + "b1": {"dtype": "F32", "shape": [2, 1, 4], "data_offsets": [96, 128]}}
    (HERE / "overlapping.safetensors").write_bytes(raw(overlap, bytes(128)))
    expected["overlapping.safetensors"] = "two tensors share bytes [96, 128)"
    odd = {PREFIX + "W1": {"dtype": "F8_E4M3", "shape": [2, 4, 4], "data_offsets": [0, 32]}}
    (HERE / "unknown_dtype.safetensors").write_bytes(raw(odd, bytes(32)))
    expected["unknown_dtype.safetensors"] = "has dtype 'F8_E4M3', not one of"
    negative = {PREFIX + "W1": {"dtype": "F32", "shape": [2, -4, 4], "data_offsets": [0, 128]}}
    (HERE / "negative_shape.safetensors").write_bytes(raw(negative, bytes(128)))
    expected["negative_shape.safetensors"] = "a shape entry that is not a non-negative integer: -4"
    text = b"{not json"
    (HERE / "not_json.safetensors").write_bytes(struct.pack("<Q", len(text)) + text)
    expected["not_json.safetensors"] = "the header is not JSON"
    torch_zip_files(good, expected)
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(expected) + 1} files into {HERE}")


if __name__ == "__main__":
    main()
