"""Upstream ttt.py (test-time-training/ttt-lm-pytorch at the pinned commit) as a port: the
control that every other port is measured against, run through the same protocol.

    ttt-harness conform --port python:ports/upstream/upstream_port.py:make_layer

The reference is found as the fixture generator finds it ($TTT_REFERENCE, else
upstream/ttt-lm-pytorch, which reference/fetch-upstream brings); without it the port cannot
start (the conformance suite then reports its test as skipped). No upstream code is copied:
ttt.py is imported from that checkout at run time, and its own TTTLinear / TTTMLP run, with
what a user of the reference adds around them:
  - use_rope: ttt.py always rotates; as the generator does (reference/tttref/patches.py),
    `use_rope = False` replaces its apply_rotary_pos_emb by the identity for the call;
  - forward_stream: upstream's own TTTCache, driven as its TTTModel drives it (the offset
    advanced after every call); the cache's tensors are reported under its own names.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "reference"))

from tttref.layer import LayerConfig, build_layer, layer_class, make_cache  # noqa: E402
from tttref import patches  # noqa: E402
from tttref.upstream import load_reference  # noqa: E402

_REFERENCE = load_reference()
PORT_NAME = "upstream ttt.py"
PORT_VERSION = _REFERENCE.commit


def _port_class(base: type) -> type:
    class UpstreamPort(base):
        use_rope = True

        def forward(self, hidden_states, position_ids=None, attention_mask=None, cache_params=None):
            with patches.rope(_REFERENCE.module, self.use_rope):
                return super().forward(hidden_states, attention_mask=attention_mask, position_ids=position_ids,
                                       cache_params=cache_params)

        def forward_stream(self, hidden_states, position_ids, state):
            if state is None:
                device = next(self.parameters()).device
                state = {"cache": make_cache(_REFERENCE.module, self, hidden_states.shape[0], device)}
            cache = state["cache"]
            output = self.forward(hidden_states, position_ids=position_ids, cache_params=cache)
            cache.seqlen_offset += hidden_states.shape[1]
            tensors = {name: per_layer[self.layer_idx].clone() for name, per_layer in cache.ttt_params_dict.items()}
            tensors.update({name: per_layer[self.layer_idx].clone()
                            for name, per_layer in cache.conv_states_dic.items()})
            return output, dict(tensors, cache=cache)

    UpstreamPort.__name__ = f"Upstream{base.__name__}"
    return UpstreamPort


def make_layer(config: dict) -> torch.nn.Module:
    cfg = LayerConfig.from_dict(config)
    module = _REFERENCE.module
    layer = build_layer(module, config["layer_type"], cfg, torch.float32,
                        cls=_port_class(layer_class(module, config["layer_type"])))
    layer.use_rope = cfg.use_rope
    return layer
