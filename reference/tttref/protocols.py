"""The runs a fixture records: prefill, decode through TTTCache, and backward."""

from __future__ import annotations

from types import ModuleType

import torch

from . import patches
from .layer import make_cache


def rotary_table(rotary_emb, mini_batch_size: int, head_dim: int,
                 dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Row 0 of upstream's `rotary_emb(x, arange(K)[None])` for an x of `dtype`: the [K,
    head_dim] cos and sin every position reads through position % K (angles and cos/sin in
    float32, then cast)."""
    x = torch.zeros(1, 1, mini_batch_size, head_dim, dtype=dtype)
    with torch.no_grad():
        cos, sin = rotary_emb(x, torch.arange(mini_batch_size, dtype=torch.long)[None])
    return cos[0].clone(), sin[0].clone()


def rope_table(layer) -> tuple[torch.Tensor, torch.Tensor]:
    """The layer's own RoPE table for residues 0..K-1, exactly as it computes it."""
    return rotary_table(layer.rotary_emb, layer.mini_batch_size, layer.head_dim,
                        layer.learnable_token_idx.dtype)


def prefill(module: ModuleType, layer, hidden_states: torch.Tensor, position_ids: torch.Tensor,
            use_rope: bool, capture: bool = False):
    """One call without cache. Returns (output, intermediates or None)."""
    with torch.no_grad(), patches.rope(module, use_rope):
        if not capture:
            return layer(hidden_states, position_ids=position_ids), None
        with patches.capture_intermediates(module, layer) as captured:
            output = layer(hidden_states, position_ids=position_ids)
        return output, dict(captured)


def decode(module: ModuleType, layer, prefill_hidden_states: torch.Tensor,
           decode_hidden_states: torch.Tensor, use_rope: bool) -> dict[str, torch.Tensor]:
    """Drives the reference's TTTCache exactly as TTTModel.forward does: one prefill call at
    positions 0..P-1, then one call per token, the offset advanced after every call.

    Returns prefill_output, decode_output and state/<name> for every cache entry (the TTT
    parameters and gradients, plus the share_qk conv states where the cache has them).
    """
    B, P = prefill_hidden_states.shape[:2]
    cache = make_cache(module, layer, B)
    outputs = []
    with torch.no_grad(), patches.rope(module, use_rope):
        prefill_output = layer(prefill_hidden_states, position_ids=torch.arange(0, P)[None],
                               cache_params=cache)
        cache.seqlen_offset += P
        for t in range(decode_hidden_states.shape[1]):
            position_ids = torch.tensor([[cache.seqlen_offset]], dtype=torch.long)
            outputs.append(layer(decode_hidden_states[:, t:t + 1], position_ids=position_ids,
                                 cache_params=cache))
            cache.seqlen_offset += 1
    result = {"prefill_output": prefill_output, "decode_output": torch.cat(outputs, dim=1)}
    for name, per_layer in cache.ttt_params_dict.items():
        result[f"state/{name}"] = per_layer[layer.layer_idx].clone()
    for name, per_layer in cache.conv_states_dic.items():
        result[f"state/{name}"] = per_layer[layer.layer_idx].clone()
    return result


def backward(module: ModuleType, layer, hidden_states: torch.Tensor, position_ids: torch.Tensor,
             use_rope: bool, grad_output: torch.Tensor):
    """Gradients of sum(output * grad_output) for every parameter and the input.

    Returns (output, {param name or "hidden_states": gradient})."""
    x = hidden_states.detach().clone().requires_grad_(True)
    layer.zero_grad(set_to_none=True)
    with torch.enable_grad(), patches.rope(module, use_rope):
        output = layer(x, position_ids=position_ids)
        (output * grad_output).sum().backward()
    grads = {}
    for name, param in layer.named_parameters():
        if param.grad is None:
            raise RuntimeError(f"the reference gave no gradient for {name}")
        grads[name] = param.grad.detach().clone()
    grads["hidden_states"] = x.grad.detach().clone()
    layer.zero_grad(set_to_none=True)
    return output.detach(), grads
