"""The GPU tests run side by side under ctest's resource allocation, checked without a GPU.

ctest is run on the build tree with a resource spec of two GPUs (scripts/ctest-gpu-resources
--count 2) on the `gpu` label with -j 2: every GPU test must be given a GPU by ctest, must
say which (CUDA_VISIBLE_DEVICES set from CTEST_RESOURCE_GROUP_0_GPUS) and skip (no CUDA
here), and both GPUs must be handed out. Without the property (the lost-property bug) ctest
runs them with no allocation and this fails.

    python3 ctest_gpu_resources.py --build-dir BUILD --spec-script scripts/ctest-gpu-resources
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", required=True)
    p.add_argument("--spec-script", required=True)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ttt-gpu-spec-") as tmp:
        spec = Path(tmp) / "gpus.json"
        subprocess.run([args.spec_script, str(spec), "--count", "2"], check=True, stdout=subprocess.DEVNULL)
        run = subprocess.run(["ctest", "--test-dir", args.build_dir, "-L", "gpu", "--resource-spec-file", str(spec),
                              "-j", "2", "-V"], capture_output=True, text=True)
    out = run.stdout + run.stderr
    problems = []
    if run.returncode != 0:
        problems.append(f"ctest exited {run.returncode}")
    # Each test's output lines are prefixed by its number under -V.
    allocated: dict[str, set[str]] = {}
    for m in re.finditer(r"^(\d+): .*ctest allocated GPU (\S+): CUDA_VISIBLE_DEVICES=(\S+)\)", out, re.M):
        allocated.setdefault(m.group(1), set()).add(m.group(2))
        if m.group(2) != m.group(3):
            problems.append(f"test {m.group(1)}: allocated GPU {m.group(2)} but CUDA_VISIBLE_DEVICES={m.group(3)}")
    tests = set(re.findall(r"^\s*Start\s+(\d+): ", out, re.M))
    if len(tests) < 5:
        problems.append(f"ctest -L gpu ran {len(tests)} tests, expected the 5 GPU tests")
    missing = sorted(tests - set(allocated))
    if missing:
        problems.append(f"tests {', '.join(missing)} were given no GPU (no RESOURCE_GROUPS \"gpus:1\"?)")
    used = set().union(*allocated.values()) if allocated else set()
    if used != {"0", "1"}:
        problems.append(f"GPUs handed out: {sorted(used)}, expected both 0 and 1")
    for line in problems:
        print("FAIL " + line)
    if problems:
        print(out[-4000:])
        return 1
    print(f"OK {len(tests)} GPU tests, each given one of GPUs {sorted(used)} by ctest and told so")
    return 0


if __name__ == "__main__":
    sys.exit(main())
