"""Ports that misbehave, for the conformance suite's fault-isolation tests (test-only).

Each wraps the example port (example_port/audio_ttt.py), correct in everything else, and
misbehaves in one way on some cases only, so that a test sees the misbehaving case become one
ERROR line while the cases around it still pass:

    raises_on_mlp         raises a Python exception in forward for TTT-MLP layers
    aborts_on_mlp         abort()s the interpreter (SIGABRT) in forward for TTT-MLP layers
    segfaults_on_mlp      dereferences a null pointer (SIGSEGV) in forward for TTT-MLP layers
    hangs_on_mlp          never returns from forward for TTT-MLP layers
    prints_everywhere     prints to standard output and error on every call, and is correct
    fp8_activations       rounds Q, K and V to float8 in low-precision runs (a precision loss)
    factory_raises        its factory raises for every config
    upcasts_output        returns its output in float64 whatever the case's dtype
    live_flip_ignored     honours use_rope as built, ignores it set on the live module
    stream_restarts       each streaming call starts again from the initial fast weights
    drifts_with_position  in low precision, an error that grows with the position (x 1e-4 per mini-batch)
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "example_port"))
import audio_ttt  # noqa: E402

PORT_NAME = "faulty test port"


def _with(config: dict, name: str, wrap) -> torch.nn.Module:
    """The example port's layer with its method `name` replaced by wrap(layer, original)."""
    layer = audio_ttt.make_layer(config)
    setattr(layer, name, wrap(layer, getattr(layer, name)))
    return layer


def _misbehaving(config: dict, misbehave) -> torch.nn.Module:
    def wrap(layer, original):
        def forward(hidden_states, position_ids):
            if config["layer_type"] == "mlp":
                misbehave()
            return original(hidden_states, position_ids)
        return forward
    return _with(config, "forward", wrap)


def raises_on_mlp(config):
    def misbehave():
        raise ValueError("this port raises on TTT-MLP layers, on purpose")
    return _misbehaving(config, misbehave)


def aborts_on_mlp(config):
    return _misbehaving(config, os.abort)


def segfaults_on_mlp(config):
    return _misbehaving(config, lambda: ctypes.string_at(0))


def hangs_on_mlp(config):
    return _misbehaving(config, lambda: time.sleep(10 ** 6))


def prints_everywhere(config):
    def wrap(layer, original):
        def forward(hidden_states, position_ids):
            print("a port's own progress line on standard output", flush=True)
            print('{"ok": true, "tensors": []}', flush=True)  # even one that looks like the protocol
            print("and one on standard error", file=sys.stderr, flush=True)
            return original(hidden_states, position_ids)
        return forward
    return _with(config, "forward", wrap)


def fp8_activations(config):
    def wrap(layer, project):
        def rounded(*args, **kwargs):
            XQ, XK, XV, window = project(*args, **kwargs)
            if XQ.dtype in (torch.bfloat16, torch.float32):
                XQ, XK, XV = (t.to(torch.float8_e4m3fn).to(t.dtype) for t in (XQ, XK, XV))
            return XQ, XK, XV, window
        return rounded
    return _with(config, "_project", wrap)


def upcasts_output(config):
    return _with(config, "forward", lambda layer, original:
                 lambda hidden_states, position_ids: original(hidden_states, position_ids).double())


def live_flip_ignored(config):
    def wrap(layer, original):
        as_built = layer.use_rope

        def forward(hidden_states, position_ids):
            layer.use_rope = as_built  # whatever was set since
            return original(hidden_states, position_ids)
        return forward
    return _with(config, "forward", wrap)


def stream_restarts(config):
    # Each call from the initial fast weights: the state it is given is dropped.
    return _with(config, "forward_stream", lambda layer, original:
                 lambda hidden_states, position_ids, state: original(hidden_states, position_ids, None))


def drifts_with_position(config):
    K = config["mini_batch_size"]

    def wrap(layer, original):
        def forward(hidden_states, position_ids):
            out = original(hidden_states, position_ids)
            if out.dtype == torch.float64:
                return out
            drift = 1 + 1e-4 * (torch.arange(out.shape[1], dtype=torch.float32) // K)
            return (out.float() * drift[None, :, None]).to(out.dtype)
        return forward
    return _with(config, "forward", wrap)


def factory_raises(config):
    raise RuntimeError("this port cannot build any layer, on purpose")
