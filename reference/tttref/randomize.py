"""Seeded values for every parameter and input of a case, drawn in float64.

Every parameter is moved away from its default initialisation (zero biases, unit norm
weights, zero learnable_token_idx / learnable_ttt_lr_bias ...) so that a port that ignores
any one of them fails. Scales keep the computation well conditioned: inputs ~ N(0,1),
projections ~ N(0, 1/C), norm weights 1 +- 0.2, biases ~ 0.1.

Each tensor has its own generator, seeded from (case seed, tensor name), so adding a
tensor to a case never changes the values of the others.
"""

from __future__ import annotations

import hashlib
import math

import torch


def stream_seed(seed: int, name: str) -> int:
    """32 bits from (case seed, tensor name): torch's CPU generator (mt19937) only uses the
    low 32 bits of a seed, so the two must be hashed together, not placed side by side."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def generator(seed: int, name: str) -> torch.Generator:
    return torch.Generator().manual_seed(stream_seed(seed, name))


def normal(seed: int, name: str, shape, std: float = 1.0, mean: float = 0.0) -> torch.Tensor:
    return mean + std * torch.randn(*shape, generator=generator(seed, name), dtype=torch.float64)


def uniform(seed: int, name: str, shape, low: float, high: float) -> torch.Tensor:
    u = torch.rand(*shape, generator=generator(seed, name), dtype=torch.float64)
    return low + (high - low) * u


def clamped_token_positions(mini_batch_size: int, seed: int) -> list[int]:
    """Positions j of learnable_token_idx pushed so far negative that the reference's
    clamp_min(token_idx + learnable_token_idx, 0) clamps them: one for K >= 3, two for
    K >= 8, never the first or the last position (the last one carries the weights from one
    mini-batch to the next; clamping it would freeze them)."""
    if mini_batch_size < 3:
        return []
    count = 2 if mini_batch_size >= 8 else 1
    perm = torch.randperm(mini_batch_size - 2, generator=generator(seed, "clamp"))
    return sorted(1 + int(i) for i in perm[:count])


def learnable_token_idx(mini_batch_size: int, seed: int, clamp: bool) -> torch.Tensor:
    """The reference adds this to token_idx = 1/(j+1). Unclamped entries move token_idx by
    up to +-50 %; clamped ones end 0.05..0.5 below zero."""
    base = 1.0 / torch.arange(1, mini_batch_size + 1, dtype=torch.float64)
    values = base * uniform(seed, "learnable_token_idx", (mini_batch_size,), -0.5, 0.5)
    if clamp:
        margin = uniform(seed, "learnable_token_idx.clamp", (mini_batch_size,), 0.05, 0.5)
        for j in clamped_token_positions(mini_batch_size, seed):
            values[j] = -base[j] - margin[j]
    return values


def parameter_values(shapes: dict[str, torch.Size], seed: int, *, hidden_size: int,
                     clamp_token_idx: bool) -> dict[str, torch.Tensor]:
    """float64 values for every parameter named in `shapes` (the layer's state_dict)."""
    C = hidden_size
    values = {}
    for name, shape in shapes.items():
        if name in ("q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight",
                    "g_proj.weight"):
            v = normal(seed, name, shape, std=1.0 / math.sqrt(C))
        elif name in ("conv_q.weight", "conv_k.weight"):  # [C, 1, kernel], depthwise
            v = normal(seed, name, shape, std=1.0 / math.sqrt(shape[-1]))
        elif name in ("conv_q.bias", "conv_k.bias", "ttt_norm_bias", "post_norm.bias",
                      "b1", "b2"):
            v = normal(seed, name, shape, std=0.1)
        elif name in ("ttt_norm_weight", "post_norm.weight"):
            v = uniform(seed, name, shape, 0.8, 1.2)
        elif name == "learnable_ttt_lr_weight":  # [H, 1, C]: sigmoid logits of std ~0.5
            v = normal(seed, name, shape, std=0.5 / math.sqrt(C))
        elif name == "learnable_ttt_lr_bias":  # [H, 1], default zeros
            v = normal(seed, name, shape, std=0.5)
        elif name == "learnable_token_idx":  # [K], default zeros
            v = learnable_token_idx(shape[0], seed, clamp_token_idx)
        elif name in ("W1", "W2"):  # [H, fan_in, fan_out]
            std = min(0.1, max(0.02, 0.5 / math.sqrt(shape[-2])))
            v = normal(seed, name, shape, std=std)
        else:
            raise ValueError(f"no randomisation rule for reference parameter {name!r}; "
                             "add one so it does not keep its default value")
        values[name] = v
    return values
