"""Goldens from a checkpoint: upstream's whole TTTForCausalLM runs on a token sequence, each
chosen layer's real input is captured where it enters the TTT layer, and one fixture per
(layer, dtype) holds that layer's parameters from the checkpoint, the captured input, and
upstream's output for them (with the float64 twins in bfloat16 and float32, as the case
matrix does). reference/generate.py --checkpoint drives it; docs/FIXTURES.md section 12.

A checkpoint is a save_pretrained folder of upstream's TTTForCausalLM (config.json and
model.safetensors, or pytorch_model.bin), or a file written by torch.save(state_dict) with a
config.json beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from . import SCHEMA_VERSION
from .fixture_io import Fixture
from .layer import DTYPE_NAMES, LayerConfig
from .manifest import sha256_file
from .produce import add_datasets, provenance, reference_outputs
from .upstream import Reference

# The state_dict prefix of layer N's TTT layer in TTTForCausalLM.
BLOCK_PREFIX = "model.layers.{}.seq_modeling_block."
SHORT_DTYPE = {"float64": "f64", "float32": "f32", "bfloat16": "bf16"}


class CheckpointError(RuntimeError):
    pass


@dataclass
class Checkpoint:
    model: torch.nn.Module  # upstream TTTForCausalLM, float32, eval mode
    config: dict            # config.json as read
    weights: Path           # the file the tensors came from
    sha256: str

    @property
    def num_layers(self) -> int:
        return int(self.config["num_hidden_layers"])


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: not a state_dict (a dict of tensors)")
    return state


def load_checkpoint(ref: Reference, path: Path) -> Checkpoint:
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    config_path = folder / "config.json"
    if not config_path.exists():
        raise CheckpointError(f"{config_path}: no config.json beside the checkpoint")
    if path.is_dir():
        candidates = [folder / "model.safetensors", folder / "pytorch_model.bin"]
        weights = next((c for c in candidates if c.exists()), None)
        if weights is None:
            raise CheckpointError(f"{folder}: neither model.safetensors nor pytorch_model.bin")
    else:
        weights = path
    config = json.loads(config_path.read_text())
    known = set(ref.module.TTTConfig().to_dict())
    model_config = ref.module.TTTConfig(**{k: v for k, v in config.items() if k in known})
    import transformers
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # upstream's class predates GenerationMixin: a warning per model
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)  # the constructor's draws are all overwritten by the checkpoint
            model = ref.module.TTTForCausalLM(model_config)
    finally:
        transformers.logging.set_verbosity(verbosity)
    state = _read_state_dict(weights)
    if model_config.tie_word_embeddings and "lm_head.weight" not in state and "model.embed_tokens.weight" in state:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]  # save_pretrained drops the tied copy
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{weights}: tensors do not match upstream's TTTForCausalLM for its config.json: "
                              f"missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    return Checkpoint(model.float().eval(), config, weights, sha256_file(weights))


def layer_config(config: dict) -> tuple[LayerConfig, dict]:
    """The fixture's nine config keys from the model's config.json, and the settings that
    change what the model computes around the layer but that the layer does not model
    (pre_conv: a convolution before the layer's input norm), recorded and named in the
    fixture's config as keys outside the contract (`check` names them in a NOTE)."""
    cfg = LayerConfig(hidden_size=int(config["hidden_size"]), num_attention_heads=int(config["num_attention_heads"]),
                      mini_batch_size=int(config.get("mini_batch_size", 16)),
                      rope_theta=float(config.get("rope_theta", 10000.0)),
                      ttt_base_lr=float(config.get("ttt_base_lr", 1.0)), use_gate=bool(config.get("use_gate", False)),
                      share_qk=bool(config.get("share_qk", False)), conv_kernel=int(config.get("conv_kernel", 4)),
                      use_rope=True)
    outside = {"pre_conv": True} if config.get("pre_conv") else {}
    return cfg, outside


def capture_layer_inputs(model: torch.nn.Module, layers: list[int], input_ids: torch.Tensor) -> dict:
    """Runs the whole model on input_ids; returns {layer: (hidden_states, position_ids)} as they
    entered model.layers[layer].seq_modeling_block (after the block's own seq_norm)."""
    captured = {}
    handles = []
    for index in layers:
        block = model.model.layers[index].seq_modeling_block

        def hook(module, args, kwargs, index=index):
            hidden = kwargs["hidden_states"] if "hidden_states" in kwargs else args[0]
            captured[index] = (hidden.detach().clone(), kwargs["position_ids"].detach().clone())

        handles.append(block.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        with torch.no_grad():
            model(input_ids=input_ids)
    finally:
        for h in handles:
            h.remove()
    return captured


def token_ids(spec: str, vocab_size: int, seed: int) -> tuple[torch.Tensor, str]:
    """--tokens: a length (seeded uniform random ids) or a JSON file of ids; [1, L] and how made."""
    if spec.isdigit():
        length = int(spec)
        g = torch.Generator().manual_seed(seed)
        return torch.randint(0, vocab_size, (1, length), generator=g), f"uniform random, seed {seed}"
    ids = json.loads(Path(spec).read_text())
    if not ids or not all(isinstance(i, int) and 0 <= i < vocab_size for i in ids):
        raise CheckpointError(f"{spec}: not a JSON list of token ids below the vocabulary size {vocab_size}")
    return torch.tensor([ids], dtype=torch.long), f"from {Path(spec).name}"


def checkpoint_fixtures(ref: Reference, ckpt: Checkpoint, name: str, layers: list[int], dtypes: list[torch.dtype],
                        input_ids: torch.Tensor, tokens_how: str, seed: int, created_utc: str) -> list[Fixture]:
    for index in layers:
        if not 0 <= index < ckpt.num_layers:
            raise CheckpointError(f"--layers: layer {index} is not in the checkpoint's {ckpt.num_layers} layers")
    cfg, outside = layer_config(ckpt.config)
    layer_type = str(ckpt.config.get("ttt_layer_type", "linear"))
    captured = capture_layer_inputs(ckpt.model, layers, input_ids)
    state = ckpt.model.state_dict()
    fixtures = []
    for index in layers:
        prefix = BLOCK_PREFIX.format(index)
        block = {n[len(prefix):]: t for n, t in state.items() if n.startswith(prefix)}
        hidden, positions = captured[index]
        for dtype in dtypes:
            dtype_name = DTYPE_NAMES[dtype]
            params = {n: t.detach().clone().to(dtype) for n, t in block.items()}
            inputs = {"hidden_states": hidden.to(dtype), "position_ids": positions}
            computed = reference_outputs(ref, layer_type, "prefill", cfg, dtype, params, inputs,
                                         fp64=dtype != torch.float64)
            L = hidden.shape[1]
            case = f"ckpt_{name}_layer{index}_{SHORT_DTYPE[dtype_name]}_b1_l{L}_k{cfg.mini_batch_size}"
            prov = provenance(ref, seed, created_utc)
            prov["checkpoint"] = {"file": ckpt.weights.name, "sha256": ckpt.sha256, "layer_index": index,
                                  "tensor_prefix": prefix, "checkpoint_dtype": str(next(iter(block.values())).dtype),
                                  "tokens": tokens_how, "seq_len": L}
            config = dict(json.loads(cfg.to_json()), **outside)
            fixture = Fixture(attrs={
                "schema_version": SCHEMA_VERSION, "case": case, "layer_type": layer_type, "mode": "prefill",
                "dtype": dtype_name, "config": json.dumps(config), "provenance": json.dumps(prov),
                "description": f"{name}: layer {index}'s TTT layer with the checkpoint's weights ({ckpt.weights.name}) "
                               f"on the input the model fed it for {L} tokens ({tokens_how}), in {dtype_name}",
            })
            add_datasets(fixture, params, inputs, computed)
            fixtures.append(fixture)
    return fixtures
