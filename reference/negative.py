"""Negative fixtures: files that follow the fixture contract exactly but whose goldens come
from a deliberately broken reference (or whose stored RoPE table is not the reference's), so
that a harness which accepts them is shown to be blind to that breakage. Each must come out
FAIL in `ttt-harness check`.

The reference is broken only at run time, by context managers that patch the imported
upstream module (class attributes of its TTTBase and RotaryEmbedding, or a module-level
function) and restore it afterwards; ttt.py itself is never edited. Everything else --
values, protocols, file writing, manifest -- is the generator's own code (tttref), so a
negative file differs from a good one only in what the broken reference computed.

  .venv/bin/python reference/generate.py --negative [OUT_DIR]        # write them (default suites/golden/negative)
  .venv/bin/python reference/generate.py --negative-check [OUT_DIR]  # regenerate and compare

Root attribute `negative` (an extension, ignored by loaders) says what is broken.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator

import torch

from tttref import cases as cases_mod
from tttref import patches, protocols
from tttref.cases import Case, cfg
from tttref.atomic_file import write_text_atomically
from tttref.check import check_regenerated
from tttref.fixture_io import Fixture, write_fixture
from tttref.manifest import MANIFEST, write_manifest
from tttref.produce import produce
from tttref.upstream import REPO_ROOT, Reference
from tttref.verify import verify_file

DEFAULT_NEGATIVE_DIR = REPO_ROOT / "suites" / "golden" / "negative"
README = "README.md"
NUDGE = 1e-6  # the nudged golden: /outputs/output * (1 + NUDGE)


# ---- broken references (run-time patches, undone when the `with` block ends) ----------

@contextlib.contextmanager
def _swap_attr(owner, name: str, replacement) -> Iterator[None]:
    original = owner.__dict__[name]  # the class's own attribute, never an inherited one
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def _record_positions(module: ModuleType) -> Iterator[list]:
    """Wraps TTTBase.forward (inherited by TTTLinear and TTTMLP) to record the absolute
    position_ids of the call in progress (the last element of the returned stack)."""
    stack: list[torch.Tensor] = []
    original = module.TTTBase.__dict__["forward"]

    def forward(self, hidden_states, attention_mask=None, position_ids=None, cache_params=None):
        stack.append(position_ids)
        try:
            return original(self, hidden_states, attention_mask=attention_mask,
                            position_ids=position_ids, cache_params=cache_params)
        finally:
            stack.pop()

    with _swap_attr(module.TTTBase, "forward", forward):
        yield stack


@contextlib.contextmanager
def no_modulo(module: ModuleType) -> Iterator[None]:
    """RoPE sees the absolute position_ids instead of position_ids % mini_batch_size.

    TTTBase.forward calls `self.rotary_emb(XV, position_ids % self.mini_batch_size)`; the
    patched RotaryEmbedding.forward replaces the reduced positions it is given by the
    absolute ones of the layer call in progress (after checking that they are the same
    modulo K, i.e. that it replaces exactly the upstream's reduction)."""
    original = module.RotaryEmbedding.__dict__["forward"]
    with _record_positions(module) as calls:
        def forward(self, x, position_ids):
            if calls:
                absolute = calls[-1]
                if absolute.shape != position_ids.shape or not torch.equal(
                        absolute % self.max_position_embeddings, position_ids):
                    raise RuntimeError("no_modulo: rotary positions are not the call's "
                                       "position_ids % mini_batch_size")
                position_ids = absolute
            return original(self, x, position_ids)

        with _swap_attr(module.RotaryEmbedding, "forward", forward):
            yield


@contextlib.contextmanager
def rotated_v(module: ModuleType) -> Iterator[None]:
    """V is rotated with the same RoPE as Q and K before the inner loop: the upstream's own
    rotary_emb (positions % K), permute_qk (JAX pair layout), apply_rotary_pos_emb and
    undo_permute_qk, applied to XV as get_qkv_projections returns it."""
    original = module.TTTBase.__dict__["get_qkv_projections"]
    with _record_positions(module) as calls:
        def get_qkv_projections(self, hidden_states, cache_params=None):
            XQ, XK, XV = original(self, hidden_states, cache_params=cache_params)
            B, L = hidden_states.shape[:2]
            v = XV.reshape(B, L, self.num_heads, self.head_dim).transpose(1, 2)
            cos, sin = self.rotary_emb(v, calls[-1] % self.mini_batch_size)
            v, _ = module.permute_qk(v, v)
            v, _ = module.apply_rotary_pos_emb(v, v, cos, sin)
            v, _ = module.undo_permute_qk(v, v)
            return XQ, XK, v.transpose(1, 2).reshape(B, L, -1)

        with _swap_attr(module.TTTBase, "get_qkv_projections", get_qkv_projections):
            yield


@contextlib.contextmanager
def rope_ignored(module: ModuleType) -> Iterator[None]:
    """The rotation is skipped although the config says use_rope: true (a use_rope flag
    that does nothing) -- the generator's own use_rope=False patch, applied regardless."""
    with patches.rope(module, use_rope=False):
        yield


@contextlib.contextmanager
def unbroken(module: ModuleType) -> Iterator[None]:
    yield


# ---- the negative cases ----------------------------------------------------------------

@dataclass(frozen=True)
class Negative:
    case: Case  # what is generated (its id starts with neg_)
    broken: str  # root attribute `negative`: what is wrong with the golden
    how: str  # how the reference was patched (README)
    patch: Callable[[ModuleType], contextlib.AbstractContextManager] = unbroken
    nudge_output: bool = False  # multiply /outputs/output by (1 + NUDGE) afterwards
    # replaces the stored RoPE table afterwards: (reference, case, cos, sin) -> (cos, sin)
    table_edit: Callable | None = None
    counterpart: str = ""  # the good case of fixtures/ with the same values, if any

    def __post_init__(self):
        if not self.case.case.startswith("neg_"):
            raise ValueError(f"{self.case.case}: negative case ids start with neg_")
        if self.case.dtype != "float64":
            raise ValueError(f"{self.case.case}: negative cases are float64 (the tight bound)")


def _from_matrix(name: str, **changes) -> Case:
    return dataclasses.replace(cases_mod.by_name()[name], **changes)


_P = cases_mod._prefill
_D = cases_mod._decode
F64 = cases_mod.F64

NO_MODULO = ("rope rotates by the absolute position_ids, not position_ids % mini_batch_size")
NO_MODULO_HOW = ("`RotaryEmbedding.forward` patched to replace the `position_ids % K` it is "
                 "given by the layer call's absolute position_ids (recorded by a wrapper of "
                 "`TTTBase.forward`)")
ROTATED_V = ("V is rotated with the same RoPE as Q and K (JAX pair layout, positions % K) "
             "before the inner loop")
ROTATED_V_HOW = ("`TTTBase.get_qkv_projections` wrapped: XV goes through the upstream's "
                 "`rotary_emb(XV, position_ids % K)`, `permute_qk`, `apply_rotary_pos_emb`, "
                 "`undo_permute_qk`")
ROPE_IGNORED = ("config says use_rope: true but the golden comes from a reference that "
                "skipped the rotation (a use_rope flag that does nothing)")
ROPE_IGNORED_HOW = ("module-level `apply_rotary_pos_emb` replaced by the identity "
                    "(`patches.rope(use_rope=False)`), config left at use_rope: true")
NUDGED = f"/outputs/output multiplied by (1 + {NUDGE:g}) (one part in a million)"
NUDGED_HOW = ("unpatched reference; the stored output scaled afterwards, everything else "
              "identical to the good case")

OTHER_THETA = 500.0


def table_of_other_theta(ref: Reference, case: Case, cos, sin):
    """The upstream table for rope_theta 500 instead of the config's (outputs untouched)."""
    f, K = case.config.head_dim, case.config.mini_batch_size
    other = ref.module.RotaryEmbedding(f, max_position_embeddings=K, base=OTHER_THETA)
    return protocols.rotary_table(other, K, f, cos.dtype)


def table_rolled_by_one(ref: Reference, case: Case, cos, sin):
    """Row r holds residue r - 1's angles (an off-by-one in the table's index)."""
    return torch.roll(cos, 1, 0), torch.roll(sin, 1, 0)


TABLE_THETA = (f"/intermediates/rope_cos, rope_sin hold the table of rope_theta {OTHER_THETA:g}, "
               "not the config's; the outputs are right")
TABLE_ROLLED = ("/intermediates/rope_cos, rope_sin rolled by one residue (row r holds "
                "residue r - 1); the outputs are right")
TABLE_HOW = ("unpatched reference; the stored RoPE table replaced afterwards, everything "
             "else identical to the good case")

NEGATIVES: tuple[Negative, ...] = (
    Negative(_from_matrix("linear_rope_f64_b1_l45_k8_pos1037",
                          case="neg_nomod_linear_f64_b1_l45_k8_pos1037", intermediates=False,
                          description="NEGATIVE: TTT-Linear, positions from 1037, rope without "
                                      "the position modulo"),
             NO_MODULO, NO_MODULO_HOW, no_modulo,
             counterpart="linear_rope_f64_b1_l45_k8_pos1037"),
    Negative(_P("neg_nomod_mlp_f64_b2_l40_k16_pos1037", "mlp", F64, 2, 40, cfg(K=16), 902,
                "NEGATIVE: TTT-MLP, positions from 1037, rope without the position modulo",
                positions=(1037,)),
             NO_MODULO, NO_MODULO_HOW, no_modulo),
    Negative(_D("neg_nomod_mlp_decode_f64_p21_t11_k8", "mlp", F64, 2, 21, 11, cfg(K=8), 903,
                "NEGATIVE: TTT-MLP decode through the cache (positions 0..31), rope without "
                "the position modulo"),
             NO_MODULO, NO_MODULO_HOW, no_modulo),
    Negative(_from_matrix("linear_rope_f64_b2_l64_k16", case="neg_vrot_linear_f64_b2_l64_k16",
                          grads=False, intermediates=False,
                          description="NEGATIVE: TTT-Linear with V rotated like Q and K"),
             ROTATED_V, ROTATED_V_HOW, rotated_v, counterpart="linear_rope_f64_b2_l64_k16"),
    Negative(_P("neg_vrot_mlp_f64_b2_l50_k8_pos1037", "mlp", F64, 2, 50, cfg(K=8), 905,
                "NEGATIVE: TTT-MLP, positions from 1037, V rotated like Q and K",
                positions=(1037,)),
             ROTATED_V, ROTATED_V_HOW, rotated_v),
    Negative(_from_matrix("linear_rope_f64_b2_l75_k16", case="neg_nudged_linear_rope_f64_b2_l75_k16",
                          description="NEGATIVE: linear_rope_f64_b2_l75_k16 with its output "
                                      "golden nudged by one part in a million"),
             NUDGED, NUDGED_HOW, nudge_output=True, counterpart="linear_rope_f64_b2_l75_k16"),
    Negative(_P("neg_ropeignored_linear_f64_b2_l48_k16", "linear", F64, 2, 48, cfg(), 907,
                "NEGATIVE: TTT-Linear, use_rope: true, golden without the rotation"),
             ROPE_IGNORED, ROPE_IGNORED_HOW, rope_ignored),
    Negative(_D("neg_ropeignored_mlp_decode_f64_p19_t10_k8", "mlp", F64, 2, 19, 10, cfg(K=8), 908,
                "NEGATIVE: TTT-MLP decode, use_rope: true, golden without the rotation"),
             ROPE_IGNORED, ROPE_IGNORED_HOW, rope_ignored),
    Negative(_from_matrix("linear_rope_f64_b1_l45_k8_pos1037",
                          case="neg_ropetable_theta_linear_f64_b1_l45_k8_pos1037", intermediates=False,
                          description="NEGATIVE: right outputs, RoPE table of another rope_theta"),
             TABLE_THETA, TABLE_HOW, table_edit=table_of_other_theta,
             counterpart="linear_rope_f64_b1_l45_k8_pos1037"),
    Negative(_from_matrix("mlp_decode_f64_p37_t12_k16",
                          case="neg_ropetable_rolled_mlp_decode_f64_p37_t12_k16",
                          description="NEGATIVE: right outputs, RoPE table rolled by one residue"),
             TABLE_ROLLED, TABLE_HOW, table_edit=table_rolled_by_one,
             counterpart="mlp_decode_f64_p37_t12_k16"),
)


def by_name() -> dict[str, Negative]:
    return {n.case.case: n for n in NEGATIVES}


def produce_negative(ref: Reference, neg: Negative, created_utc: str) -> Fixture:
    """The fixture a correct generator writes for neg.case, computed by the broken reference."""
    with neg.patch(ref.module):
        fixture = produce(ref, neg.case, created_utc)
    if neg.nudge_output:
        fixture.datasets["/outputs/output"] = fixture.datasets["/outputs/output"] * (1 + NUDGE)
    if neg.table_edit is not None:
        cos, sin = (fixture.datasets[f"/intermediates/rope_{n}"] for n in ("cos", "sin"))
        fixture.datasets["/intermediates/rope_cos"], fixture.datasets["/intermediates/rope_sin"] = \
            neg.table_edit(ref, neg.case, cos, sin)
    fixture.attrs["negative"] = neg.broken  # extension: what is broken
    return fixture


def readme_text() -> str:
    lines = [
        "# Negative fixtures",
        "",
        "Generated by `reference/generate.py --negative` (`reference/negative.py`); do not edit.",
        "Each file follows the fixture contract (`docs/FIXTURES.md`, schema 1) exactly, but its",
        "golden comes from a deliberately broken reference, patched at run time and restored",
        "afterwards (ttt.py is never edited), or its stored RoPE table (`/intermediates/rope_cos`,",
        "`rope_sin`) is not the reference's. `ttt-harness check` must report every one as",
        "`FAIL` (not `ERROR`, not `PASS`); `suites/golden/negative_test.cpp` (label `golden`) and",
        "`suites/cli/` (label `cli`) hold it to that. The root attribute `negative` says what is",
        "broken. `generate.py --negative-check` regenerates them, compares, and reruns each",
        "through the unbroken reference to show that it differs.",
        "",
        "| file | what is broken | how the reference was patched | good counterpart (same values) |",
        "|---|---|---|---|",
    ]
    for n in NEGATIVES:
        counterpart = f"`fixtures/{n.counterpart}.h5`" if n.counterpart else "-"
        lines.append(f"| `{n.case.case}.h5` | {n.broken} | {n.how} | {counterpart} |")
    return "\n".join(lines) + "\n"


def write_negatives(ref: Reference, out_dir: Path, created_utc: str, quiet: bool = False) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for neg in NEGATIVES:
        path = out_dir / f"{neg.case.case}.h5"
        write_fixture(produce_negative(ref, neg, created_utc), path)
        if not quiet:
            print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): {neg.broken}", flush=True)
    names = by_name()
    for stale in sorted(p for p in out_dir.glob("*.h5") if p.stem not in names):
        print(f"warning: {stale} is not a negative case (listed in the manifest anyway)")
    text = readme_text()
    write_text_atomically(out_dir / README, text)
    return write_manifest(out_dir, ref.commit)


def generate_negatives(ref: Reference, out_dir: Path, created_utc: str) -> int:
    manifest = write_negatives(ref, out_dir, created_utc)
    print(f"wrote {Path(out_dir) / MANIFEST}: {len(manifest['files'])} files")
    return 0


def check_negatives(ref: Reference, committed: Path, created_utc: str) -> int:
    """Like --check for the negative folder (tttref.check.check_regenerated): regenerate into a
    temporary folder and compare every dataset and attribute (bar created_utc), the manifest
    and the README; then rerun every committed negative file through the unbroken reference
    (--verify), which must report it as differing -- otherwise the breakage did not change
    the golden."""
    committed = Path(committed)

    def unbroken_reference(path: Path, summary: str) -> tuple[str, list[str]]:
        honest_ok, honest, _ = verify_file(ref, path)
        extra = ["the unbroken reference reproduces this file: it is not negative"]
        return f"regenerated {summary}; unbroken reference: {honest}", extra if honest_ok else []

    def readme_problems(fresh: Path) -> list[str]:
        readme = committed / README
        if not readme.exists() or readme.read_text() != (fresh / README).read_text():
            return [f"{README} differs from the regenerated one"]
        return []

    return check_regenerated(
        committed, ref.commit, lambda fresh: write_negatives(ref, fresh, created_utc, quiet=True),
        title="negative-check", noun="negative cases", tmp_prefix="ttt-negative-check-",
        per_file=unbroken_reference, folder_problems=readme_problems, worst_first=False)
