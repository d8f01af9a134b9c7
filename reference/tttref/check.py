"""--check: regenerate the whole matrix into a temporary folder and compare it with the
committed fixtures and their MANIFEST.json."""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import cases as cases_mod
from .compare import CHECK_RTOL, compare_fixtures, describe, summarize
from .fixture_io import read_fixture
from .manifest import build_manifest, manifest_problems, read_manifest
from .produce import write_cases
from .upstream import Reference

MAX_DETAILS = 8  # mismatch lines printed per case, worst first


def run_check(ref: Reference, committed: Path, created_utc: str) -> int:
    committed = Path(committed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ttt-fixtures-check-") as tmp:
        fresh = Path(tmp)
        write_cases(ref, cases_mod.MATRIX, fresh, created_utc, quiet=True)
        fresh_names = {p.name for p in fresh.glob("*.h5")}
        committed_names = {p.name for p in committed.glob("*.h5")}
        for name in sorted(fresh_names | committed_names):
            if name not in committed_names:
                print(f"FAIL {name[:-3]}: missing from {committed}")
                failures += 1
                continue
            if name not in fresh_names:
                print(f"FAIL {name[:-3]}: extra file in {committed} (not in the case matrix)")
                failures += 1
                continue
            diffs, problems = compare_fixtures(read_fixture(fresh / name),
                                               read_fixture(committed / name), CHECK_RTOL)
            bad = [d for d in diffs if not d.ok]
            status = "ok  " if not bad and not problems else "FAIL"
            print(f"{status} {name[:-3]}: {summarize(diffs)}")
            details = problems + [d.line() for d in sorted(bad, key=lambda d: -d.max_rel)]
            for line in details[:MAX_DETAILS]:
                print(f"       {line}")
            if len(details) > MAX_DETAILS:
                print(f"       ... and {len(details) - MAX_DETAILS} more")
            failures += bool(bad or problems)
        problems = manifest_problems(committed)  # sha256, missing and unlisted files
        if _without_sha256(read_manifest(committed) or {}) != _without_sha256(
                build_manifest(fresh, ref.commit)):
            problems.append("MANIFEST.json differs from the regenerated one in more than sha256 "
                            "(schema_version, reference, reference_commit, files, case ids or "
                            "descriptions)")
        for line in problems:
            print(f"FAIL manifest: {line}")
        failures += len(problems)
    print(f"check: {len(fresh_names)} cases regenerated, {failures} problem(s); tolerance "
          f"max|diff|/max|expected| <= {describe(CHECK_RTOL)}")
    return 1 if failures else 0



def _without_sha256(manifest: dict) -> dict:
    files = [{k: v for k, v in entry.items() if k != "sha256"}
             for entry in manifest.get("files", [])]
    return {**manifest, "files": files}
