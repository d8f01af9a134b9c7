#!/usr/bin/env python3
"""Every ctest label the README names must select at least one test, as ctest itself sees
the tests (`ctest --show-only=json-v1`), not as CMake was told. A label list once lost all
but its first label on the way through gtest_discover_tests, so `ctest -L gpu` found nothing
and the nightly never ran the CUDA placement tests.

  ctest_labels.py --readme README.md --build-dir build/default [--expect gpu=5]
  ctest_labels.py ... --first-label-only   # replays that bug: must then fail

Exit 0 when every label selects a test (and every --expect count holds), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path


def readme_labels(readme: Path) -> list[str]:
    """The labels of the README's "What is checked" table: `label` and `(+ `extra`)`."""
    labels: list[str] = []
    for line in readme.read_text().splitlines():
        match = re.match(r"^\|\s*`([a-z0-9_]+)`(?:\s*\(\+\s*`([a-z0-9_]+)`\))?\s*\|", line)
        if match:
            labels += [label for label in match.groups() if label and label not in labels]
    return labels


def ctest_labels(build_dir: Path, first_label_only: bool) -> dict[str, int]:
    """Tests per label, from ctest's own listing of the build tree."""
    done = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build_dir, check=True,
                          capture_output=True, text=True)
    counts: dict[str, int] = {}
    for test in json.loads(done.stdout)["tests"]:
        labels = next((p["value"] for p in test.get("properties", []) if p["name"] == "LABELS"), [])
        for label in labels[:1] if first_label_only else labels:
            counts[label] = counts.get(label, 0) + 1
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--readme", type=Path, required=True)
    p.add_argument("--build-dir", type=Path, required=True)
    p.add_argument("--expect", action="append", default=[], metavar="LABEL=N",
                   help="the label must select exactly N tests")
    p.add_argument("--first-label-only", action="store_true",
                   help="keep only each test's first label as ctest lists them (sorted), "
                        "which replays the old bug for the device GPU tests, to show this check fails")
    args = p.parse_args(argv)

    wanted = readme_labels(args.readme)
    if not wanted:
        print(f"FAIL {args.readme}: no labels found in its 'What is checked' table")
        return 1
    counts = ctest_labels(args.build_dir, args.first_label_only)
    failures = 0
    for label in wanted:
        n = counts.get(label, 0)
        print(f"{'PASS' if n else 'FAIL'} label {label}: {n} test(s)")
        failures += n == 0
    for item in args.expect:
        label, _, n = item.partition("=")
        ok = counts.get(label, 0) == int(n)
        print(f"{'PASS' if ok else 'FAIL'} label {label}: expected {n} test(s), ctest lists {counts.get(label, 0)}")
        failures += not ok
    print(f"{len(wanted) + len(args.expect) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
