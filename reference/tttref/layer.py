"""Build an upstream TTT layer (and its decode cache) the way a user of the reference gets it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from types import ModuleType, SimpleNamespace

import torch

DTYPES = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
LAYER_TYPES = ("linear", "mlp")


@dataclass(frozen=True)
class LayerConfig:
    """The fixture's `config` attribute: exactly the 9 keys of docs/FIXTURES.md, in its order."""

    hidden_size: int
    num_attention_heads: int
    mini_batch_size: int
    rope_theta: float
    ttt_base_lr: float
    use_gate: bool
    share_qk: bool
    conv_kernel: int
    use_rope: bool

    def __post_init__(self):
        if self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        if self.head_dim % 2:
            raise ValueError("head_dim must be even (rotary embedding halves it)")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "LayerConfig":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, raw: dict) -> "LayerConfig":
        """The nine keys of a config object (others, such as a port's layer_type, ignored)."""
        return cls(hidden_size=int(raw["hidden_size"]),
                   num_attention_heads=int(raw["num_attention_heads"]),
                   mini_batch_size=int(raw["mini_batch_size"]),
                   rope_theta=float(raw["rope_theta"]),
                   ttt_base_lr=float(raw["ttt_base_lr"]),
                   use_gate=bool(raw["use_gate"]),
                   share_qk=bool(raw["share_qk"]),
                   conv_kernel=int(raw["conv_kernel"]),
                   use_rope=bool(raw["use_rope"]))


def ttt_config(module: ModuleType, layer_type: str, cfg: LayerConfig):
    """The upstream TTTConfig for one layer (use_rope is not an upstream setting)."""
    if layer_type not in LAYER_TYPES:
        raise ValueError(f"unknown layer_type {layer_type!r}")
    return module.TTTConfig(
        hidden_size=cfg.hidden_size,
        num_attention_heads=cfg.num_attention_heads,
        mini_batch_size=cfg.mini_batch_size,
        rope_theta=cfg.rope_theta,
        ttt_base_lr=cfg.ttt_base_lr,
        use_gate=cfg.use_gate,
        share_qk=cfg.share_qk,
        conv_kernel=cfg.conv_kernel,
        ttt_layer_type=layer_type,
        num_hidden_layers=1,
        pre_conv=False,
        scan_checkpoint_group_size=0,
    )


def layer_class(module: ModuleType, layer_type: str) -> type:
    """Upstream's class for a layer type: TTTLinear or TTTMLP."""
    if layer_type not in LAYER_TYPES:
        raise ValueError(f"unknown layer_type {layer_type!r}")
    return module.TTTLinear if layer_type == "linear" else module.TTTMLP


def build_layer(module: ModuleType, layer_type: str, cfg: LayerConfig, dtype: torch.dtype,
                values: dict[str, torch.Tensor] | None = None, cls: type | None = None) -> torch.nn.Module:
    """Constructs TTTLinear/TTTMLP (or `cls`, a subclass of it) in the default float32, moves
    it to `dtype` (which also casts its non-persistent buffers token_idx and rotary inv_freq,
    as for any user of the reference), then copies `values` in by state_dict name (all of
    them, strictly)."""
    if torch.get_default_dtype() != torch.float32:
        raise RuntimeError("the reference must be constructed with the default dtype float32")
    cls = cls or layer_class(module, layer_type)
    # The constructor draws from the global RNG; isolate it so that it neither depends on
    # nor disturbs anything else (every parameter is overwritten by `values` anyway).
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        layer = cls(ttt_config(module, layer_type, cfg), layer_idx=0)
    layer = layer.to(dtype).eval()
    if values is not None:
        load_values(layer, values)
    return layer


def load_values(layer: torch.nn.Module, values: dict[str, torch.Tensor]) -> None:
    expected = layer.state_dict()
    missing = sorted(set(expected) - set(values))
    extra = sorted(set(values) - set(expected))
    if missing or extra:
        raise ValueError(f"parameter names do not match the reference: missing {missing}, "
                         f"unexpected {extra}")
    for name, tensor in values.items():
        if tensor.shape != expected[name].shape or tensor.dtype != expected[name].dtype:
            raise ValueError(f"parameter {name}: got {tuple(tensor.shape)} {tensor.dtype}, the "
                             f"reference has {tuple(expected[name].shape)} {expected[name].dtype}")
    layer.load_state_dict(values, strict=True)


def make_cache(module: ModuleType, layer: torch.nn.Module, batch_size: int, device: torch.device | None = None):
    """The reference's own TTTCache for a one-layer stand-in model, as TTTModel makes it (on
    `device`, the CPU by default, as the model's device would be)."""
    c = layer.config
    stand_in = SimpleNamespace(
        config=SimpleNamespace(mini_batch_size=c.mini_batch_size, ttt_layer_type=c.ttt_layer_type,
                               num_hidden_layers=1, pre_conv=False, share_qk=c.share_qk,
                               hidden_size=c.hidden_size, conv_kernel=c.conv_kernel),
        layers=[SimpleNamespace(seq_modeling_block=layer)],
        device=device if device is not None else torch.device("cpu"),
    )
    return module.TTTCache(stand_in, batch_size)
