"""Locate the upstream reference, pin its commit and import its ttt.py by file path."""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import PINNED_COMMIT, REFERENCE_URL

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKOUT = REPO_ROOT / "upstream" / "ttt-lm-pytorch"  # where reference/fetch-upstream puts it

HOW_TO_GET = (
    "get the reference with:\n"
    f"  reference/fetch-upstream                 # {REFERENCE_URL} at the pinned commit "
    f"{PINNED_COMMIT}, into upstream/ttt-lm-pytorch\n"
    "  reference/fetch-upstream --from SOURCE   # without GitHub access: from a git URL, "
    "a local clone or a bare mirror\n"
    "or pass --reference PATH (a checkout holding ttt.py, or a bare git directory), "
    "or set TTT_REFERENCE=PATH"
)


class ReferenceError(RuntimeError):
    pass


class ReferenceNotFound(ReferenceError):
    """No reference where one was looked for (nothing to use, as opposed to an unusable one)."""


@dataclass
class Reference:
    module: ModuleType  # the imported ttt.py
    commit: str  # the commit ttt.py came from
    source: str  # human-readable description (never written into fixtures)


def default_reference_path() -> Path:
    """$TTT_REFERENCE when set, else upstream/ttt-lm-pytorch (reference/fetch-upstream)."""
    env = os.environ.get("TTT_REFERENCE")
    if env:
        return Path(env)
    if DEFAULT_CHECKOUT.exists():
        return DEFAULT_CHECKOUT
    raise ReferenceNotFound("no upstream reference found (no --reference, $TTT_REFERENCE "
                            f"unset, no {DEFAULT_CHECKOUT}); {HOW_TO_GET}")


def _git(args: list[str]) -> str:
    try:
        done = subprocess.run(["git", *args], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as err:
        raise ReferenceError(f"git {' '.join(args)} failed: {err.stderr.strip()}") from err
    return done.stdout


def _is_git_dir(path: Path) -> bool:
    """A git directory itself (bare, or a mirror without work tree), not a checkout."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _check_commit(commit: str, allow_other: bool, where: str) -> None:
    if commit != PINNED_COMMIT and not allow_other:
        raise ReferenceError(f"{where} is at commit {commit}, not the pinned {PINNED_COMMIT}; "
                             "check out the pinned commit (reference/fetch-upstream does so for "
                             "upstream/ttt-lm-pytorch) or pass --allow-other-commit")


def _resolve_checkout(path: Path, allow_other: bool) -> tuple[Path, str]:
    ttt_py = path / "ttt.py"
    if not ttt_py.is_file():
        raise ReferenceError(f"{path} has no ttt.py; {HOW_TO_GET}")
    if not (path / ".git").exists():
        if not allow_other:
            raise ReferenceError(f"{path} is not a git checkout, so its commit cannot be "
                                 "recorded; pass --allow-other-commit to use it anyway")
        return ttt_py, "unknown"
    commit = _git(["-C", str(path), "rev-parse", "HEAD"]).strip()
    _check_commit(commit, allow_other, str(path))
    if _git(["-C", str(path), "status", "--porcelain", "--", "ttt.py"]).strip():
        if not allow_other:
            raise ReferenceError(f"{ttt_py} has local modifications; restore it or pass "
                                 "--allow-other-commit")
        commit += "-dirty"  # recorded as such: not what the commit holds
    return ttt_py, commit


def _resolve_bare(path: Path, commit: str | None, allow_other: bool) -> tuple[Path, str]:
    want = commit or PINNED_COMMIT
    full = _git(["--git-dir", str(path), "rev-parse", "--verify", f"{want}^{{commit}}"]).strip()
    _check_commit(full, allow_other, f"{path} (requested {want})")
    tmp = Path(tempfile.mkdtemp(prefix="ttt-reference-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    ttt_py = tmp / "ttt.py"
    ttt_py.write_text(_git(["--git-dir", str(path), "show", f"{full}:ttt.py"]))
    return ttt_py, full


_import_counter = itertools.count()


def import_by_path(ttt_py: Path) -> ModuleType:
    """Imports ttt.py from its path under a module name no other import uses."""
    name = f"_ttt_reference_{os.getpid()}_{next(_import_counter)}"
    spec = importlib.util.spec_from_file_location(name, ttt_py)
    if spec is None or spec.loader is None:
        raise ReferenceError(f"cannot import {ttt_py}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module through sys.modules
    try:
        spec.loader.exec_module(module)
    except Exception:
        del sys.modules[name]
        raise
    return module


def load_reference(path: str | Path | None = None, *, commit: str | None = None,
                   allow_other_commit: bool = False) -> Reference:
    """Imports the upstream ttt.py from a checkout or a bare git directory.

    `commit` only applies to a bare git directory (default: the pinned commit); a
    checkout is used at its HEAD, which must be the pinned commit unless
    `allow_other_commit`.
    """
    path = Path(path) if path is not None else default_reference_path()
    if not path.exists():
        raise ReferenceNotFound(f"reference path {path} does not exist; {HOW_TO_GET}")
    if path.is_file() and path.name == "ttt.py":
        path = path.parent
    if not (path / "ttt.py").is_file() and _is_git_dir(path):
        ttt_py, full = _resolve_bare(path, commit, allow_other_commit)
        source = f"{path} (bare git directory, {full})"
    else:
        if commit is not None:
            raise ReferenceError("--reference-commit applies to a bare git directory only")
        ttt_py, full = _resolve_checkout(path, allow_other_commit)
        source = f"{path} (checkout at {full})"
    return Reference(module=import_by_path(ttt_py), commit=full, source=source)
