"""Run-time patches of the upstream module, each undone when its `with` block ends.

Nothing of the reference is reimplemented here: `no_rope` swaps one module-level
function for the identity, `capture_intermediates` wraps reference functions and
records what they return.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Iterator

import torch


@contextlib.contextmanager
def _swap(module: ModuleType, name: str, replacement) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def _identity_rotary(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    return q, k


@contextlib.contextmanager
def rope(module: ModuleType, use_rope: bool) -> Iterator[None]:
    """use_rope=False: the reference runs with Q and K left unrotated.

    ttt.py has no such flag; TTTBase.forward looks `apply_rotary_pos_emb` up in its
    module globals at call time, so replacing that one function by the identity skips
    the rotation and changes nothing else (permute_qk / undo_permute_qk are inverses).
    """
    if use_rope:
        yield
    else:
        with _swap(module, "apply_rotary_pos_emb", _identity_rotary):
            yield


@contextlib.contextmanager
def capture_intermediates(module: ModuleType, layer: torch.nn.Module) -> Iterator[dict]:
    """Records cos/sin as the layer's rotary_emb returns them (for position_ids % K) and
    XQ/XK after undo_permute_qk (i.e. rotated, in the reference's head layout)."""
    captured: dict[str, torch.Tensor] = {}

    def on_rotary(_mod, _args, output):
        captured["cos"], captured["sin"] = (t.detach().clone() for t in output)

    original_undo = module.undo_permute_qk

    def undo_and_record(q, k):
        q, k = original_undo(q, k)
        captured["XQ_rope"], captured["XK_rope"] = q.detach().clone(), k.detach().clone()
        return q, k

    handle = layer.rotary_emb.register_forward_hook(on_rotary)
    try:
        with _swap(module, "undo_permute_qk", undo_and_record):
            yield captured
    finally:
        handle.remove()
