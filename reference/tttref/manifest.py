"""fixtures/MANIFEST.json: every .h5 of the folder with its sha256, case id and description."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import h5py

from . import REFERENCE_REPO, SCHEMA_VERSION
from .atomic_file import write_text_atomically

MANIFEST = "MANIFEST.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _case_and_description(path: Path) -> tuple[str, str]:
    with h5py.File(path, "r") as f:
        case = f.attrs.get("case", path.stem)
        description = f.attrs.get("description", "")
    as_str = lambda v: v.decode() if isinstance(v, bytes) else str(v)
    return as_str(case), as_str(description)


def build_manifest(folder: Path, reference_commit: str) -> dict:
    files = []
    for path in sorted(Path(folder).glob("*.h5"), key=lambda p: p.name):
        case, description = _case_and_description(path)
        files.append({"file": path.name, "sha256": sha256_file(path), "case": case,
                      "description": description})
    return {"schema_version": SCHEMA_VERSION, "reference": REFERENCE_REPO,
            "reference_commit": reference_commit, "files": files}


def write_manifest(folder: Path, reference_commit: str) -> dict:
    manifest = build_manifest(folder, reference_commit)
    text = json.dumps(manifest, indent=2) + "\n"
    write_text_atomically(Path(folder) / MANIFEST, text)
    return manifest


def read_manifest(folder: Path) -> dict | None:
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text())


def manifest_entry_problem(manifest: dict, path: Path) -> str:
    """Empty when `path` is listed in `manifest` (of its folder) with its sha256."""
    entry = next((e for e in manifest.get("files", []) if e.get("file") == path.name), None)
    if entry is None:
        return f"{path.name}: not listed in {MANIFEST}"
    actual = sha256_file(path)
    if actual != entry.get("sha256"):
        return f"{path.name}: sha256 {actual} differs from {entry.get('sha256')} in {MANIFEST}"
    return ""


def manifest_problems(folder: Path) -> list[str]:
    """Where MANIFEST.json and the .h5 files of `folder` disagree (empty when they agree)."""
    manifest = read_manifest(folder)
    if manifest is None:
        return [f"{Path(folder) / MANIFEST} is missing"]
    problems = []
    if manifest.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"{MANIFEST}: schema_version {manifest.get('schema_version')!r}")
    listed = {entry["file"]: entry for entry in manifest.get("files", [])}
    names = [entry["file"] for entry in manifest.get("files", [])]
    if names != sorted(names):
        problems.append(f"{MANIFEST}: files are not sorted by name")
    present = {p.name for p in Path(folder).glob("*.h5")}
    for name in sorted(set(listed) - present):
        problems.append(f"{name}: listed in {MANIFEST} but missing")
    for name in sorted(present):
        problem = manifest_entry_problem(manifest, Path(folder) / name)
        if problem:
            problems.append(problem)
    return problems
