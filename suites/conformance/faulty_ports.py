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


def _misbehaving(config: dict, misbehave) -> torch.nn.Module:
    layer = audio_ttt.make_layer(config)
    original = layer.forward

    def forward(hidden_states, position_ids):
        if config["layer_type"] == "mlp":
            misbehave()
        return original(hidden_states, position_ids)

    layer.forward = forward
    return layer


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
    layer = audio_ttt.make_layer(config)
    original = layer.forward

    def forward(hidden_states, position_ids):
        print("a port's own progress line on standard output", flush=True)
        print('{"ok": true, "tensors": []}', flush=True)  # even one that looks like the protocol
        print("and one on standard error", file=sys.stderr, flush=True)
        return original(hidden_states, position_ids)

    layer.forward = forward
    return layer


def fp8_activations(config):
    layer = audio_ttt.make_layer(config)
    project = layer._project

    def rounded(*args, **kwargs):
        XQ, XK, XV, window = project(*args, **kwargs)
        if XQ.dtype in (torch.bfloat16, torch.float32):
            XQ, XK, XV = (t.to(torch.float8_e4m3fn).to(t.dtype) for t in (XQ, XK, XV))
        return XQ, XK, XV, window

    layer._project = rounded
    return layer


def upcasts_output(config):
    layer = audio_ttt.make_layer(config)
    original = layer.forward

    def forward(hidden_states, position_ids):
        return original(hidden_states, position_ids).double()

    layer.forward = forward
    return layer


def live_flip_ignored(config):
    layer = audio_ttt.make_layer(config)
    as_built = layer.use_rope
    original = layer.forward

    def forward(hidden_states, position_ids):
        layer.use_rope = as_built  # whatever was set since
        return original(hidden_states, position_ids)

    layer.forward = forward
    return layer


def stream_restarts(config):
    layer = audio_ttt.make_layer(config)
    original = layer.forward_stream

    def forward_stream(hidden_states, position_ids, state):
        out, carried = original(hidden_states, position_ids, None)
        return out, carried

    layer.forward_stream = forward_stream
    return layer


def drifts_with_position(config):
    layer = audio_ttt.make_layer(config)
    original = layer.forward

    def forward(hidden_states, position_ids):
        out = original(hidden_states, position_ids)
        if out.dtype == torch.float64:
            return out
        K = config["mini_batch_size"]
        drift = 1 + 1e-4 * (torch.arange(out.shape[1], dtype=torch.float32) // K)
        return (out.float() * drift[None, :, None]).to(out.dtype)

    layer.forward = forward
    return layer


def factory_raises(config):
    raise RuntimeError("this port cannot build any layer, on purpose")
