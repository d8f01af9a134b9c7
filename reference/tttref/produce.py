"""One case -> one in-memory fixture; and the reference outputs for given values, which
both the generator and --verify use (so a rerun goes through exactly the same code)."""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import h5py
import numpy as np
import torch
import transformers

from . import REFERENCE_REPO, SCHEMA_VERSION, protocols, randomize
from .cases import Case
from .fixture_io import Fixture, write_fixture
from .layer import DTYPES, LayerConfig, build_layer
from .upstream import Reference

GENERATOR = "ttt-harness reference/generate.py"


def reference_outputs(ref: Reference, layer_type: str, mode: str, cfg: LayerConfig,
                      dtype: torch.dtype, params: dict[str, torch.Tensor],
                      inputs: dict[str, torch.Tensor], *, fp64: bool = False,
                      intermediates: bool = False, rope_table: bool = True) -> dict[str, torch.Tensor]:
    """Runs the upstream layer built from `params` on `inputs` (names as in /inputs).

    Returns datasets by path below the root ("outputs/output", "state/W1_states",
    "grads/W1", "intermediates/cos", ...). `inputs["grad_output"]` (prefill) asks for the
    backward run; `fp64` adds the float64 rerun from the upcast values (with grad_output,
    also its gradients, grads/<name>_fp64; with `intermediates`, its rotated Q and K,
    intermediates/XQ_rope_fp64 and XK_rope_fp64); `rope_table` the layer's RoPE table for
    residues 0..K-1 (intermediates/rope_cos, rope_sin), which lets a checker on another
    torch build or device pin the float32 cos/sin this one computed. The extensions of the
    contract among these are listed in docs/FIXTURES.md, section 10.
    """
    module = ref.module
    layer = build_layer(module, layer_type, cfg, dtype, params)
    out: dict[str, torch.Tensor] = {}
    if rope_table:
        out["intermediates/rope_cos"], out["intermediates/rope_sin"] = protocols.rope_table(layer)
    if mode == "prefill":
        x, pos = inputs["hidden_states"], inputs["position_ids"]
        out["outputs/output"], captured = protocols.prefill(module, layer, x, pos, cfg.use_rope,
                                                            capture=intermediates)
        for name, tensor in (captured or {}).items():
            out[f"intermediates/{name}"] = tensor
        if "grad_output" in inputs:
            grad_run_output, grads = protocols.backward(module, layer, x, pos, cfg.use_rope,
                                                        inputs["grad_output"])
            if not torch.equal(grad_run_output, out["outputs/output"]):
                warnings.warn("the reference's output with autograd on differs from the "
                              "no-grad output")
            out.update({f"grads/{name}": g for name, g in grads.items()})
        if fp64:
            layer64 = build_layer(module, layer_type, cfg, torch.float64, _upcast(params))
            out["outputs/output_fp64"], captured64 = protocols.prefill(
                module, layer64, x.double(), pos, cfg.use_rope, capture=intermediates)
            if intermediates:
                # The rotated Q and K's float64 twins, intermediates/XQ_rope_fp64 and
                # XK_rope_fp64 (an extension of the contract, like the grads/<name>_fp64 and
                # state/<name>_fp64 twins): they are what a RoPE precision bug (angles or
                # cos/sin rounded to the layer dtype, rotation done in it) corrupts, before
                # the TTT update smears it into the output, so the port's low-precision Q/K
                # are judged against the reference's own error, not a flat bound. Only those
                # two: the float64 layer's cos/sin are float32 values upcast (ttt.py computes
                # them in float32), which the RoPE table already pins.
                out.update({f"intermediates/{name}_fp64": captured64[name]
                            for name in ("XQ_rope", "XK_rope")})
            if "grad_output" in inputs:
                # The gradients' float64 twins, grads/<name>_fp64 (an extension of the
                # contract, like the state/<name>_fp64 twins of low-precision decode): the
                # backward run of the same float64 layer from the upcast input and
                # grad_output, so low-precision gradients are judged against the
                # reference's own error, not a flat bound.
                _, grads64 = protocols.backward(module, layer64, x.double(), pos, cfg.use_rope,
                                                inputs["grad_output"].double())
                out.update({f"grads/{name}_fp64": g for name, g in grads64.items()})
    else:
        xp, xd = inputs["prefill_hidden_states"], inputs["decode_hidden_states"]
        result = protocols.decode(module, layer, xp, xd, cfg.use_rope)
        out["outputs/prefill_output"] = result.pop("prefill_output")
        out["outputs/decode_output"] = result.pop("decode_output")
        out.update(result)  # state/<name>
        if fp64:
            layer64 = build_layer(module, layer_type, cfg, torch.float64, _upcast(params))
            result64 = protocols.decode(module, layer64, xp.double(), xd.double(), cfg.use_rope)
            out["outputs/prefill_output_fp64"] = result64["prefill_output"]
            out["outputs/decode_output_fp64"] = result64["decode_output"]
            # The cache's float64 twin (an extension of the contract): low-precision state is
            # then judged against the reference's own error, like the outputs, not a flat
            # bound that another torch build's rounding can exceed. Conv windows are float32
            # in every layer dtype, so they have no twin.
            out.update({f"{name}_fp64": t for name, t in result64.items()
                        if name.startswith("state/") and not name.startswith("state/ttt_conv")})
    return out


def _upcast(params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: t.to(torch.float64) for name, t in params.items()}


def provenance(ref: Reference, seed: int, created_utc: str) -> dict:
    return {
        "reference": REFERENCE_REPO,
        "reference_commit": ref.commit,
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "seed": seed,
        "device": "cpu",
        "created_utc": created_utc,
        # extensions
        "transformers_version": transformers.__version__,
        "numpy_version": np.__version__,
        "h5py_version": h5py.__version__,
        "torch_num_threads": torch.get_num_threads(),
    }


def case_values(ref: Reference, case: Case) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The case's parameters and inputs, drawn in float64 and cast to the case dtype."""
    dtype = DTYPES[case.dtype]
    shapes = {name: t.shape for name, t in
              build_layer(ref.module, case.layer, case.config, dtype).state_dict().items()}
    values = randomize.parameter_values(shapes, case.seed, hidden_size=case.config.hidden_size,
                                        clamp_token_idx=case.clamp_token_idx)
    params = {name: v.to(dtype) for name, v in values.items()}
    C, B, s = case.config.hidden_size, case.batch, case.seed
    if case.mode == "prefill":
        inputs = {"hidden_states": randomize.normal(s, "hidden_states", (B, case.seq_len, C)).to(dtype),
                  "position_ids": case.position_ids()}
        if case.grads:
            inputs["grad_output"] = randomize.normal(s, "grad_output", (B, case.seq_len, C)).to(dtype)
    else:
        inputs = {
            "prefill_hidden_states":
                randomize.normal(s, "prefill_hidden_states", (B, case.prompt_len, C)).to(dtype),
            "decode_hidden_states":
                randomize.normal(s, "decode_hidden_states", (B, case.decode_len, C)).to(dtype),
        }
    return params, inputs


def produce(ref: Reference, case: Case, created_utc: str, rope_table: bool = True) -> Fixture:
    params, inputs = case_values(ref, case)
    computed = reference_outputs(ref, case.layer, case.mode, case.config, DTYPES[case.dtype],
                                 params, inputs, fp64=case.low_precision,
                                 intermediates=case.intermediates, rope_table=rope_table)
    fixture = Fixture(attrs={
        "schema_version": SCHEMA_VERSION,
        "case": case.case,
        "layer_type": case.layer,
        "mode": case.mode,
        "dtype": case.dtype,
        "config": case.config.to_json(),
        "provenance": json.dumps(provenance(ref, case.seed, created_utc)),
        "description": case.description,  # extension
    })
    add_datasets(fixture, params, inputs, computed)
    return fixture


def add_datasets(fixture: Fixture, params: dict, inputs: dict, computed: dict) -> None:
    """/params, /inputs and the computed datasets into `fixture`; every float one must be finite."""
    fixture.datasets.update({f"/params/{n}": t for n, t in params.items()})
    fixture.datasets.update({f"/inputs/{n}": t for n, t in inputs.items()})
    fixture.datasets.update({f"/{p}": t for p, t in computed.items()})
    for path, tensor in fixture.datasets.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise RuntimeError(f"{fixture.attrs['case']}: {path} is not finite")


def write_cases(ref: Reference, cases, out_dir: Path, created_utc: str, quiet: bool = False,
                rope_table: bool = True) -> None:
    """Produces and atomically writes `<case>.h5` for every case into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for case in cases:
        path = out_dir / f"{case.case}.h5"
        write_fixture(produce(ref, case, created_utc, rope_table=rope_table), path)
        if not quiet:
            print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)", flush=True)
