"""--verify: rerun fixture files (whoever wrote them) through the upstream reference from
their stored config, parameters and inputs, and compare with their stored outputs."""

from __future__ import annotations

from pathlib import Path

from . import SCHEMA_VERSION
from .compare import VERIFY_RTOL, describe, diff_tensors, summarize
from .fixture_io import read_fixture
from .layer import DTYPES, LAYER_TYPES, LayerConfig
from .manifest import manifest_entry_problem, read_manifest
from .produce import reference_outputs
from .upstream import Reference

REQUIRED = {"prefill": ("outputs/output",),
            "decode": ("outputs/prefill_output", "outputs/decode_output")}


def verify_file(ref: Reference, path: Path) -> tuple[bool, str, list[str]]:
    """(ok, summary, detail lines) for one fixture file."""
    fx = read_fixture(path)
    a = fx.attrs
    if a.get("schema_version") != SCHEMA_VERSION:
        return False, f"schema_version {a.get('schema_version')!r} is not {SCHEMA_VERSION}", []
    layer_type, mode, dtype_name = a.get("layer_type"), a.get("mode"), a.get("dtype")
    if layer_type not in LAYER_TYPES or mode not in REQUIRED or dtype_name not in DTYPES:
        return False, f"bad layer_type/mode/dtype {layer_type!r}/{mode!r}/{dtype_name!r}", []
    cfg = LayerConfig.from_json(a["config"])
    stored = {p.lstrip("/"): t for p, t in fx.datasets.items()}
    inputs = fx.group("inputs")
    if mode == "prefill" and not any(p.startswith("grads/") for p in stored):
        inputs.pop("grad_output", None)  # only rerun backward when there is something to compare
    computed = reference_outputs(
        ref, layer_type, mode, cfg, DTYPES[dtype_name], fx.group("params"), inputs,
        fp64=any(p.startswith("outputs/") and p.endswith("_fp64") for p in stored),
        # The capture (cos, sin, XQ_rope, XK_rope and, with fp64, XQ_rope_fp64 and
        # XK_rope_fp64) only where the file holds some of it, not for the RoPE table alone.
        intermediates=any(p.startswith("intermediates/")
                          and not p.startswith("intermediates/rope_") for p in stored))

    lines, ok = [], True
    required = set(REQUIRED[mode]) | {p for p in computed if p.startswith("state/")
                                      and not p.startswith("state/ttt_conv")
                                      and not p.endswith("_fp64")}
    for name in sorted(required - set(stored)):
        lines.append(f"{name}: missing from the file")
        ok = False
    diffs = [diff_tensors(name, stored[name], computed[name], VERIFY_RTOL)
             for name in sorted(set(stored) & set(computed))]
    not_rerun = sorted(p for p in stored if p not in computed
                       and not p.startswith(("params/", "inputs/")))
    if not_rerun:
        lines.append(f"not rerun (unknown to this verifier): {', '.join(not_rerun)}")
    for d in diffs:
        if not d.ok:
            ok = False
            lines.append(d.line())
    summary = f"rerun {summarize(diffs)}"
    return ok, summary, lines


def run_verify(ref: Reference, files: list[Path]) -> int:
    """Reruns every file; a file whose folder has a MANIFEST.json must also match it."""
    failures = 0
    for path in files:
        try:
            ok, summary, lines = verify_file(ref, path)
        except Exception as err:  # a broken file is a failed verification, not a crash
            ok, summary, lines = False, f"cannot rerun: {type(err).__name__}: {err}", []
        manifest = read_manifest(path.parent)
        if manifest is not None:
            problem = manifest_entry_problem(manifest, path)
            if problem:
                ok = False
                lines.append(problem)
        print(f"{'ok  ' if ok else 'FAIL'} {path.name}: {summary}")
        for line in lines:
            print(f"       {line}")
        failures += not ok
    print(f"verify: {len(files)} file(s), {failures} problem(s); tolerance "
          f"max|diff|/max|expected| <= {describe(VERIFY_RTOL)}")
    return 1 if failures else 0
