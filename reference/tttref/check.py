"""--check: regenerate the whole matrix into a temporary folder and compare it with the
committed fixtures and their MANIFEST.json (check_regenerated, shared with --negative-check)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from . import cases as cases_mod
from .compare import CHECK_RTOL, compare_fixtures, describe, summarize
from .fixture_io import read_fixture
from .manifest import MANIFEST, build_manifest, manifest_problems, read_manifest
from .produce import write_cases
from .upstream import Reference

MAX_DETAILS = 8  # problem lines printed under a failing case


def run_check(ref: Reference, committed: Path, created_utc: str) -> int:
    return check_regenerated(
        committed, ref.commit,
        lambda fresh: write_cases(ref, cases_mod.MATRIX, fresh, created_utc, quiet=True),
        title="check", noun="cases", tmp_prefix="ttt-fixtures-check-",
        unlisted_note=" (not in the case matrix)",
        manifest_note=" (schema_version, reference, reference_commit, files, case ids or "
                      "descriptions)")


def _summary_only(committed_file: Path, summary: str) -> tuple[str, list[str]]:
    return summary, []


def _no_folder_problems(fresh: Path) -> list[str]:
    return []


def check_regenerated(committed: Path, commit: str, regenerate: Callable[[Path], object], *,
                      title: str, noun: str, tmp_prefix: str, unlisted_note: str = "",
                      manifest_note: str = "",
                      per_file: Callable[[Path, str], tuple[str, list[str]]] = _summary_only,
                      folder_problems: Callable[[Path], list[str]] = _no_folder_problems,
                      worst_first: bool = True) -> int:
    """Shared by --check and --negative-check: regenerate(folder) writes the fixtures and
    MANIFEST.json into a temporary folder, which is compared with `committed`: every .h5 file
    (every dataset and attribute but created_utc, CHECK_RTOL), then the committed manifest's
    own problems (sha256, missing and unlisted files), the manifest without sha256 against the
    regenerated one (against reference `commit`), and folder_problems(fresh).

    per_file(committed_file, summary of the diffs) -> (text after "<case>: ", extra problems)
    adds a caller's own check of each file. Prints one line per file, then at most
    MAX_DETAILS problem lines under it: with worst_first, mismatches worst first and a count of
    the lines left out (--check); without, in dataset order and cut silently (--negative-check,
    as it always printed). Then "FAIL manifest: ..." lines and "<title>: N <noun> regenerated,
    F problem(s); tolerance ..."; returns 1 if anything failed, else 0."""
    committed = Path(committed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix=tmp_prefix) as tmp:
        fresh = Path(tmp)
        regenerate(fresh)
        fresh_names = {p.name for p in fresh.glob("*.h5")}
        committed_names = {p.name for p in committed.glob("*.h5")}
        for name in sorted(fresh_names | committed_names):
            if name not in committed_names:
                print(f"FAIL {name[:-3]}: missing from {committed}")
                failures += 1
                continue
            if name not in fresh_names:
                print(f"FAIL {name[:-3]}: extra file in {committed}{unlisted_note}")
                failures += 1
                continue
            diffs, problems = compare_fixtures(read_fixture(fresh / name),
                                               read_fixture(committed / name), CHECK_RTOL)
            bad = [d for d in diffs if not d.ok]
            text, extra = per_file(committed / name, summarize(diffs))
            if worst_first:
                bad.sort(key=lambda d: -d.max_rel)
            details = problems + [d.line() for d in bad] + extra
            print(f"{'FAIL' if details else 'ok  '} {name[:-3]}: {text}")
            for line in details[:MAX_DETAILS]:
                print(f"       {line}")
            if worst_first and len(details) > MAX_DETAILS:
                print(f"       ... and {len(details) - MAX_DETAILS} more")
            failures += bool(details)
        problems = manifest_problems(committed)  # sha256, missing and unlisted files
        if _without_sha256(read_manifest(committed) or {}) != _without_sha256(
                build_manifest(fresh, commit)):
            problems.append(f"{MANIFEST} differs from the regenerated one in more than sha256"
                            f"{manifest_note}")
        problems += folder_problems(fresh)
        for line in problems:
            print(f"FAIL manifest: {line}")
        failures += len(problems)
    print(f"{title}: {len(fresh_names)} {noun} regenerated, {failures} problem(s); tolerance "
          f"max|diff|/max|expected| <= {describe(CHECK_RTOL)}")
    return 1 if failures else 0


def _without_sha256(manifest: dict) -> dict:
    files = [{k: v for k, v in entry.items() if k != "sha256"}
             for entry in manifest.get("files", [])]
    return {**manifest, "files": files}
