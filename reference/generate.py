#!/usr/bin/env python3
"""Golden fixtures for ttt-harness from the upstream ttt-lm-pytorch reference (ttt.py).

  .venv/bin/python reference/generate.py --out fixtures          # write the case matrix
  .venv/bin/python reference/generate.py --check                 # regenerate and compare
  .venv/bin/python reference/generate.py --verify [FILE.h5 ...]  # rerun stored fixtures
  .venv/bin/python reference/generate.py --negative [DIR]        # negative fixtures (negative.py)
  .venv/bin/python reference/generate.py --checkpoint DIR --layers 0,1 --tokens 256 --name NAME
                                      # goldens from a checkpoint's layers (tttref/checkpoint.py)

See reference/README.md and docs/FIXTURES.md (schema version 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import torch

from tttref import PINNED_COMMIT, cases as cases_mod, checkpoint as checkpoint_mod
from tttref.fixture_io import write_fixture
from tttref.layer import DTYPES
from tttref.check import run_check
from tttref.manifest import write_manifest
from tttref.produce import write_cases
from tttref.upstream import REPO_ROOT, ReferenceError, load_reference
from tttref.verify import run_verify
from negative import DEFAULT_NEGATIVE_DIR, check_negatives, generate_negatives

DEFAULT_OUT = REPO_ROOT / "fixtures"
DEFAULT_CHECKPOINT_OUT = REPO_ROOT / "fixtures" / "checkpoint"


def created_utc() -> str:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
            else dt.datetime.now(dt.timezone.utc))
    return when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Generate, check or verify the golden HDF5 fixtures of ttt-harness by "
                    "running the upstream ttt-lm-pytorch reference (ttt.py).",
        epilog="The reference is looked for in --reference, else $TTT_REFERENCE, else "
               "upstream/ttt-lm-pytorch, which reference/fetch-upstream fills (a checkout of "
               "the pinned commit; --from SOURCE clones from a git URL, local clone or bare "
               "mirror instead of GitHub).")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="regenerate every case into a temporary folder and compare with "
                           "--out (every dataset and attribute but provenance.created_utc); "
                           "exit 1 on any mismatch, missing or extra file")
    mode.add_argument("--verify", nargs="*", metavar="FILE", type=Path,
                      help="rerun fixture files (default: every .h5 in --out) through the "
                           "reference from their stored parameters and inputs and compare "
                           "with their stored outputs")
    mode.add_argument("--list", action="store_true", help="print the case matrix (Markdown table) and exit")
    mode.add_argument("--negative", nargs="?", type=Path, const=DEFAULT_NEGATIVE_DIR, metavar="OUT_DIR",
                      help="write the negative fixtures (goldens from deliberately broken "
                           "references, see reference/negative.py) + MANIFEST.json + README.md "
                           f"into OUT_DIR (default: {DEFAULT_NEGATIVE_DIR.relative_to(REPO_ROOT)})")
    mode.add_argument("--negative-check", nargs="?", type=Path, const=DEFAULT_NEGATIVE_DIR,
                      metavar="DIR",
                      help="regenerate the negative fixtures and compare with DIR (default: "
                           f"{DEFAULT_NEGATIVE_DIR.relative_to(REPO_ROOT)}); also rerun each "
                           "through the unbroken reference, which must disagree with it")
    mode.add_argument("--checkpoint", type=Path, metavar="PATH",
                      help="goldens from a checkpoint: a save_pretrained folder of upstream's "
                           "TTTForCausalLM (config.json + model.safetensors), or a torch.save "
                           "state_dict with a config.json beside it; one fixture per --layers x "
                           "--dtypes, into --out (default: "
                           f"{DEFAULT_CHECKPOINT_OUT.relative_to(REPO_ROOT)}), and its MANIFEST.json")
    p.add_argument("--layers", default="0", help="--checkpoint: layer indices, e.g. 0,5,11 (default 0)")
    p.add_argument("--tokens", default="256",
                   help="--checkpoint: a length L (seeded uniform random token ids) or a JSON file "
                        "of token ids (default 256)")
    p.add_argument("--dtypes", default="bfloat16,float32",
                   help="--checkpoint: fixture dtypes (default bfloat16,float32)")
    p.add_argument("--name", default=None,
                   help="--checkpoint: the name in the case ids (default: the checkpoint folder's)")
    p.add_argument("--seed", type=int, default=0, help="--checkpoint: seed of random --tokens (default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help=f"fixture folder (default: {DEFAULT_OUT.relative_to(REPO_ROOT)})")
    p.add_argument("--reference", type=Path, default=None,
                   help="upstream checkout holding ttt.py, or a bare git directory of it")
    p.add_argument("--reference-commit", default=None,
                   help=f"commit to take ttt.py from in a bare git directory (default: "
                        f"the pinned {PINNED_COMMIT[:12]})")
    p.add_argument("--allow-other-commit", action="store_true",
                   help="accept a reference at a commit other than the pinned one")
    p.add_argument("--cases", nargs="+", metavar="CASE",
                   help="generate only these case ids, of the matrix or the nightly tier's real-shape "
                        "layers (cases.NIGHTLY); the manifest still lists every .h5")
    p.add_argument("--no-rope-tables", action="store_true",
                   help="leave out /intermediates/rope_cos and rope_sin (files as a generator "
                        "that predates them writes: the checker then judges float64 RoPE "
                        "cases at the portable bound)")
    p.add_argument("--prune", action="store_true",
                   help="delete .h5 files in --out that are not in the case matrix")
    args = p.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_CHECKPOINT_OUT if args.checkpoint else DEFAULT_OUT
    return args


def generate_from_checkpoint(args, ref) -> int:
    try:
        layers = [int(i) for i in args.layers.split(",")]
        dtypes = [DTYPES[d] for d in args.dtypes.split(",")]
    except (ValueError, KeyError) as err:
        print(f"error: --layers is a list of integers, --dtypes of {', '.join(DTYPES)} ({err})", file=sys.stderr)
        return 2
    try:
        ckpt = checkpoint_mod.load_checkpoint(ref, args.checkpoint)
        input_ids, how = checkpoint_mod.token_ids(args.tokens, int(ckpt.config["vocab_size"]), args.seed)
        name = args.name or (args.checkpoint if args.checkpoint.is_dir() else args.checkpoint.parent).name
        fixtures = checkpoint_mod.checkpoint_fixtures(ref, ckpt, name.replace("-", "_"), layers, dtypes, input_ids,
                                                      how, args.seed, created_utc())
    except (checkpoint_mod.CheckpointError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for fixture in fixtures:
        path = args.out / f"{fixture.attrs['case']}.h5"
        write_fixture(fixture, path, compress=True)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)", flush=True)
    manifest = write_manifest(args.out, ref.commit)
    total = sum((args.out / e["file"]).stat().st_size for e in manifest["files"])
    print(f"wrote {args.out / 'MANIFEST.json'}: {len(manifest['files'])} files, {total / 1e6:.2f} MB")
    return 0


def list_matrix() -> None:
    """The case matrix as a Markdown table (the one in reference/README.md)."""
    print("| case | layer | mode | dtype | B | L or P+T | K | C/H | rope | theta | lr | gate "
          "| share_qk (conv) | position start | grads | extra |")
    print("|" + "---|" * 16)
    for c in cases_mod.MATRIX:
        k = c.config
        size = f"{c.seq_len}" if c.mode == "prefill" else f"{c.prompt_len}+{c.decode_len}"
        start = ", ".join(map(str, c.positions)) if c.mode == "prefill" else "0 (protocol)"
        if c.mode == "prefill" and len(c.positions) > 1:
            start += " (per row)"
        extra = ", ".join(x for x, on in (("output_fp64", c.low_precision),
                                          ("intermediates", c.intermediates)) if on)
        print(f"| `{c.case}` | {c.layer} | {c.mode} | {c.dtype} | {c.batch} | {size} | "
              f"{k.mini_batch_size} | {k.hidden_size}/{k.num_attention_heads} | "
              f"{'on' if k.use_rope else 'off'} | {k.rope_theta:g} | {k.ttt_base_lr:g} | "
              f"{'yes' if k.use_gate else '-'} | "
              f"{f'yes ({k.conv_kernel})' if k.share_qk else '-'} | {start} | "
              f"{'yes' if c.grads else '-'} | {extra} |")


def generate(args, ref) -> int:
    matrix = cases_mod.by_name()
    if args.cases:
        known = cases_mod.by_name(nightly=True)  # the nightly tier's cases by name only
        unknown = [c for c in args.cases if c not in known]
        if unknown:
            print(f"unknown case id(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        selected = [known[c] for c in args.cases]
        matrix = {**matrix, **{c.case: c for c in selected}}
    else:
        selected = list(matrix.values())
    write_cases(ref, selected, args.out, created_utc(), rope_table=not args.no_rope_tables)
    for stale in sorted(p for p in args.out.glob("*.h5") if p.stem not in matrix):
        if args.prune:
            stale.unlink()
            print(f"removed {stale} (not in the case matrix)")
        else:
            print(f"warning: {stale} is not in the case matrix (listed in the manifest "
                  "anyway; --prune removes it)", file=sys.stderr)
    manifest = write_manifest(args.out, ref.commit)
    total = sum((args.out / e["file"]).stat().st_size for e in manifest["files"])
    print(f"wrote {args.out / 'MANIFEST.json'}: {len(manifest['files'])} files, "
          f"{total / 1e6:.2f} MB")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        list_matrix()
        return 0
    # One thread: the reference's results then do not depend on the machine's core count.
    torch.set_num_threads(1)
    try:
        ref = load_reference(args.reference, commit=args.reference_commit,
                             allow_other_commit=args.allow_other_commit)
    except ReferenceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"reference: {ref.source}", flush=True)
    if args.check:
        return run_check(ref, args.out, created_utc())
    if args.negative is not None:
        return generate_negatives(ref, args.negative, created_utc())
    if args.negative_check is not None:
        return check_negatives(ref, args.negative_check, created_utc())
    if args.checkpoint is not None:
        return generate_from_checkpoint(args, ref)
    if args.verify is not None:
        files = args.verify or sorted(args.out.glob("*.h5"))
        if not files:
            print(f"error: no fixture files given and none in {args.out}", file=sys.stderr)
            return 2
        return run_verify(ref, files)
    return generate(args, ref)


if __name__ == "__main__":
    sys.exit(main())
