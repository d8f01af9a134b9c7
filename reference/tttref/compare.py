"""Numeric comparison of fixtures, with the tolerances of --check and --verify."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import torch

from .fixture_io import Fixture

# max|actual - expected| / max|expected| allowed, by the dtype of the stored dataset.
# Both --check (regenerate) and --verify (rerun from stored values) get bit-identical
# results on one machine; the tolerances only absorb a BLAS that rounds differently:
# float64 to 1e-12 (--check) and to 1e-9 as the contract asks (--verify), float32 to
# 1e-6 (about 8 ulp of the largest element), bfloat16 to 2^-8 (at most 1 ulp of it).
CHECK_RTOL = {torch.float64: 1e-12, torch.float32: 1e-6, torch.bfloat16: 2.0**-8}
VERIFY_RTOL = {torch.float64: 1e-9, torch.float32: 1e-6, torch.bfloat16: 2.0**-8}

def describe(rtol_by_dtype: dict) -> str:
    names = {torch.float64: "float64", torch.float32: "float32", torch.bfloat16: "bfloat16"}
    return ", ".join(f"{names[d]} {t:.3g}" for d, t in rtol_by_dtype.items())


@dataclass
class Diff:
    name: str
    max_abs: float  # inf when shapes or dtypes differ
    max_rel: float  # max_abs / max|expected|
    rtol: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.max_rel <= self.rtol

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        extra = f" ({self.detail})" if self.detail else ""
        return (f"{self.name}: max|diff| {self.max_abs:.3e}, relative {self.max_rel:.3e}, "
                f"tolerance {self.rtol:.0e}: {verdict}{extra}")


def diff_tensors(name: str, expected: torch.Tensor, actual: torch.Tensor,
                 rtol_by_dtype: dict) -> Diff:
    if expected.dtype != actual.dtype or expected.shape != actual.shape:
        return Diff(name, math.inf, math.inf, 0.0,
                    f"expected {expected.dtype} {tuple(expected.shape)}, "
                    f"got {actual.dtype} {tuple(actual.shape)}")
    if not expected.is_floating_point():
        same = torch.equal(expected, actual)
        return Diff(name, 0.0 if same else math.inf, 0.0 if same else math.inf, 0.0,
                    "" if same else "integer values differ")
    e, a = expected.double(), actual.double()
    max_abs = (a - e).abs().max().item() if e.numel() else 0.0
    if math.isnan(max_abs):
        max_abs = math.inf
    scale = e.abs().max().item() if e.numel() else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    return Diff(name, max_abs, max_rel, rtol_by_dtype[expected.dtype])


def _comparable_attrs(attrs: dict) -> dict:
    out = dict(attrs)
    for key in ("config", "provenance"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    if isinstance(out.get("provenance"), dict):
        out["provenance"].pop("created_utc", None)
    return out


def summarize(diffs: list[Diff]) -> str:
    if not diffs:
        return "nothing compared"
    worst = max(diffs, key=lambda d: d.max_rel)
    if worst.max_abs == 0:
        return f"{len(diffs)} datasets, bit-identical"
    return (f"{len(diffs)} datasets, max|diff| {max(d.max_abs for d in diffs):.3e}, "
            f"worst relative {worst.max_rel:.3e} ({worst.name})")


def compare_fixtures(expected: Fixture, actual: Fixture, rtol_by_dtype: dict) -> tuple[list[Diff], list[str]]:
    """Every dataset and every root attribute (except provenance.created_utc).

    Returns (per-dataset diffs, problems with attributes or the set of datasets)."""
    problems = []
    ea, aa = _comparable_attrs(expected.attrs), _comparable_attrs(actual.attrs)
    for key in sorted(set(ea) | set(aa)):
        if ea.get(key) != aa.get(key):
            problems.append(f"attribute {key}: expected {ea.get(key)!r}, got {aa.get(key)!r}")
    for name in sorted(set(expected.datasets) ^ set(actual.datasets)):
        where = "missing" if name in expected.datasets else "unexpected"
        problems.append(f"dataset {name} {where}")
    diffs = [diff_tensors(name, expected.datasets[name], actual.datasets[name], rtol_by_dtype)
             for name in sorted(set(expected.datasets) & set(actual.datasets))]
    return diffs, problems
