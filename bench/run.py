"""bench/run: the C++ layer against the upstream reference, on one machine, in one run.

Runs, for each thread count asked for:
  1. bench/ttt-bench (Google Benchmark; the C++ layer, float32 CPU, plus CUDA float32 and
     bfloat16 cases when a GPU is there), JSON out;
  2. reference/bench_reference.py (the upstream ttt.py through reference/tttref) on the
     very same case names;
then the peak-memory probe, one fresh process per (implementation, layer type, L); and
writes one JSON document (schema_version, environment, results, plus matmul, scaling,
memory and targets summaries) atomically, and prints the comparison table.

Standard library only: it orchestrates, it does not import torch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "reference"))
from tttref.atomic_file import write_text_atomically  # noqa: E402  (standard library only, like this file)
SCHEMA_VERSION = 1
FULL_LENGTHS = [512, 2048, 8192]
QUICK_LENGTHS = [512, 2048]
FULL_LONG_LENGTHS = [131072]  # C++ only: one iteration takes tens of seconds, the reference's minutes
FULL_DECODE_BATCHES = [1, 8, 16]
QUICK_DECODE_BATCHES = [1]
BASE_LENGTH = 2048  # the length the other prefill lengths are compared with
# The performance targets, each against a limit measured in the same run on the same machine
# (docs/PERFORMANCE.md "Targets"). CPU, float32, 1 thread unless said otherwise.
MATMUL_FRACTION_TARGET = {"linear": 0.80, "mlp": 0.70}  # prefill L=2048 FLOP/s / matmul rate
LONG_TARGET = 1.10          # per-token prefill time at the longest L / at L=2048
MEMORY_TARGET = 1.10        # prefill memory per token at the longest L / at L=2048 (linear or better)
DECODE_BATCH = 16
DECODE_BATCH_TARGET = 5.0   # decode B=16 per token: C++ >= 5x the reference
DECODE_FLOOR_TARGET = 1.3   # decode B=1 per-token time / the memory floor
THREADS_TARGET = 1.7        # prefill L=2048 tokens/s with 2 threads / with 1
GPU_BF16_PREFILL_TARGET = 10.0  # CUDA bfloat16 prefill, L=2048: C++ >= 10x the eager reference
# Google Benchmark appends these to a case's name; they are not part of our names.
GBENCH_SUFFIX = re.compile(r"^(real_time|process_time|manual_time|min_time:.*|min_warmup_time:.*|"
                           r"repeats:.*|iterations:.*)$")


def int_list(text: str) -> list[int]:
    """'512,2048' -> [512, 2048]; '' -> []."""
    return [int(x) for x in text.split(",") if x]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Time the C++ TTT layer and the upstream Python reference on the same cases, "
                    "print the comparison and write one JSON file (docs/PERFORMANCE.md).")
    p.add_argument("--quick", action="store_true",
                   help="under a minute on 2 cores: L=512,2048, one short repetition, C++ memory only")
    p.add_argument("--json", type=Path, default=ROOT / "out" / "bench.json",
                   help="output file, written atomically (default out/bench.json)")
    p.add_argument("--threads", default="1",
                   help="comma-separated intra-op thread counts, each run on both sides (default 1; "
                        "'1,2' for both figures)")
    p.add_argument("--lengths", default=None, help="prefill lengths (default 512,2048,8192; quick 512,2048)")
    p.add_argument("--long-lengths", default=None,
                   help="C++-only prefill lengths, one iteration per repetition (default 131072; quick none; "
                        "'' for none)")
    p.add_argument("--decode-prompt", type=int, default=2048, help="decode prompt length (default 2048)")
    p.add_argument("--decode-batches", default=None, help="decode batch sizes (default 1,8,16; quick 1)")
    p.add_argument("--repetitions", type=int, default=None, help="repetitions per case and round (default 5; quick 1)")
    p.add_argument("--rounds", type=int, default=None,
                   help="C++ then reference, this many times in turn, samples pooled (default 2; quick 1)")
    p.add_argument("--min-time", type=float, default=None,
                   help="seconds each repetition runs at least (default 0.2; quick 0.05)")
    p.add_argument("--filter", default="", help="regular expression on case names, both sides")
    p.add_argument("--build-dir", type=Path, default=ROOT / "build" / "default",
                   help="CMake build tree holding bench/ttt-bench (default build/default, the 'default' preset)")
    p.add_argument("--no-build", action="store_true", help="use the ttt-bench already built")
    p.add_argument("--no-reference", action="store_true", help="C++ side only")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probe")
    p.add_argument("--reference-memory", action="store_true",
                   help="probe the reference's memory in --quick mode too (always done otherwise)")
    p.add_argument("--no-cuda", action="store_true", help="CPU cases only, even with a GPU")
    p.add_argument("--aten-scan", action="store_true",
                   help="the C++ layer on its ATen path instead of the fused CPU scan (TTTOptions::fused_cpu_scan)")
    p.add_argument("--glibc-malloc-defaults", action="store_true",
                   help="time with glibc's default mmap and trim thresholds (default: both sides keep freed memory)")
    p.add_argument("--reference", default=None, help="upstream checkout or bare git directory (see reference/README.md)")
    args = p.parse_args(argv)
    args.threads = int_list(args.threads)
    if not args.threads or min(args.threads) < 1:
        p.error("--threads needs positive integers")
    if args.lengths:
        args.lengths = int_list(args.lengths)
    else:
        args.lengths = QUICK_LENGTHS if args.quick else FULL_LENGTHS
    if args.long_lengths is None:
        args.long_lengths = [] if args.quick else FULL_LONG_LENGTHS
    else:
        args.long_lengths = int_list(args.long_lengths)
    if args.decode_batches is None:
        args.decode_batches = QUICK_DECODE_BATCHES if args.quick else FULL_DECODE_BATCHES
    else:
        args.decode_batches = int_list(args.decode_batches)
    if args.repetitions is None:
        args.repetitions = 1 if args.quick else 5
    if args.min_time is None:
        args.min_time = 0.05 if args.quick else 0.2
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    if args.repetitions < 1 or args.rounds < 1:
        p.error("--repetitions and --rounds must be at least 1")
    return args


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
def build(args) -> Path:
    binary = args.build_dir / "bench" / "ttt-bench"
    if args.no_build:
        if not binary.exists():
            sys.exit(f"bench/run: {binary} does not exist; drop --no-build or build it")
        return binary
    env = dict(os.environ)
    env.setdefault("CCACHE_SLOPPINESS", "pch_defines,time_macros,include_file_mtime,include_file_ctime")
    if not (args.build_dir / "build.ninja").exists():
        if args.build_dir.resolve() != (ROOT / "build" / "default").resolve():
            sys.exit(f"bench/run: {args.build_dir} is not a configured build tree")
        log("bench/run: configuring the 'default' preset")
        subprocess.run(["cmake", "--preset", "default"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    log("bench/run: building ttt-bench")
    subprocess.run(["cmake", "--build", str(args.build_dir), "--target", "ttt-bench"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return binary


# glibc serves blocks above its mmap threshold (128 KiB, raised up to 32 MiB as blocks are
# freed) with fresh mappings and trims the heap's top: every [L, 768] float32 temporary of a
# prefill then comes back as new pages, about 25k page faults per L = 2048 forward, 10 % of
# its time and most of its run-to-run spread (measured: 259-383 ms over 5 repetitions against
# 264-281 ms with these). The timing runs of both sides keep freed memory instead, as a
# long-running process would; the memory probe keeps glibc's defaults.
RETAIN_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(1 << 32), "MALLOC_TRIM_THRESHOLD_": str(1 << 34)}


def thread_env(threads: int, retain_freed_memory: bool = False) -> dict:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    if retain_freed_memory:
        env.update(RETAIN_FREED_MEMORY)
    return env


def run_cpp(binary: Path, args, threads: int, workdir: Path, long: bool = False) -> tuple[list[dict], dict]:
    """The C++ cases; long: only the CPU prefills at --long-lengths, two repetitions of one
    iteration each (a 131072-token prefill takes seconds to tens of seconds)."""
    out = workdir / f"cpp-{threads}{'-long' if long else ''}.json"
    lengths = args.long_lengths if long else args.lengths
    repetitions = 2 if long else args.repetitions
    cmd = [str(binary), f"--ttt_threads={threads}", "--ttt_lengths=" + ",".join(map(str, lengths)),
           f"--ttt_decode_prompt={args.decode_prompt}",
           "--ttt_decode_batches=" + ",".join(map(str, args.decode_batches)),
           f"--benchmark_out={out}", "--benchmark_out_format=json",
           f"--benchmark_min_time={1e-3 if long else args.min_time}", f"--benchmark_repetitions={repetitions}",
           "--benchmark_counters_tabular=true"]
    if repetitions > 1:
        cmd.append("--benchmark_display_aggregates_only=true")
    if long:
        cmd.append("--benchmark_filter=^prefill/[a-z]+/float32/cpu/B:1/L:(" + "|".join(map(str, lengths)) + ")/")
    elif args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    if args.no_cuda:
        cmd.append("--ttt_no_cuda")
    if args.aten_scan:
        cmd.append("--ttt_aten_scan")
    log(f"bench/run: C++, {threads} thread(s): {' '.join(cmd)}")
    subprocess.run(cmd, cwd=ROOT, env=thread_env(threads, not args.glibc_malloc_defaults), check=True,
                   stdout=sys.stderr)
    doc = json.loads(out.read_text())
    context = doc.get("context", {})
    env = json.loads(context["ttt_environment"]) if "ttt_environment" in context else {}
    env["gbench_context"] = {k: v for k, v in context.items() if k not in ("ttt_environment", "caches")}
    return cpp_results(doc, args.repetitions, threads), env


def base_name(name: str) -> str:
    parts = name.split("/")
    while parts and GBENCH_SUFFIX.match(parts[-1]):
        parts.pop()
    return "/".join(parts)


def to_seconds(value: float, unit: str) -> float:
    return value * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def cpp_results(doc: dict, repetitions: int, threads: int) -> list[dict]:
    """Google Benchmark's JSON -> one entry per case, with every repetition's wall and CPU
    seconds per iteration as `samples` (merge_rounds turns them into the figures)."""
    runs: dict[str, dict] = {}
    errors: dict[str, str] = {}
    for b in doc.get("benchmarks", []):
        name = base_name(b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("run_type") == "aggregate":
            continue
        unit = b.get("time_unit", "ns")
        entry = runs.get(name)
        if entry is None:
            kind, layer_type, dtype, device = name.split("/")[:4]
            entry = runs[name] = {
                "name": name, "impl": "cpp", "kind": kind, "layer_type": layer_type, "dtype": dtype,
                "device": device, "batch": int(b.get("batch", 1)), "seq_len": int(b.get("seq_len", 0)),
                "tokens_per_iteration": int(b.get("tokens", 0)), "threads": threads, "samples": []}
            if b.get("flops", 0) > 0:
                entry["flops_per_iteration"] = b["flops"]
            if b.get("bytes", 0) > 0:
                entry["bytes_per_iteration"] = b["bytes"]
            if "fixtures" in b:
                entry["fixtures"] = int(b["fixtures"])
        entry["samples"].append({"seconds": to_seconds(b["real_time"], unit),
                                 "cpu_seconds": to_seconds(b["cpu_time"], unit),
                                 "iterations": int(b.get("iterations", 0))})
    results = list(runs.values())
    for name, message in errors.items():
        log(f"bench/run: C++ case {name} failed: {message}")
        kind, layer_type, dtype, device = name.split("/")[:4]
        results.append({"name": name, "impl": "cpp", "kind": kind, "layer_type": layer_type, "dtype": dtype,
                        "device": device, "batch": 1, "seq_len": 0, "tokens_per_s": 0.0, "error": message,
                        "threads": threads, "samples": []})
    return results


def merge_rounds(entries: list[dict]) -> list[dict]:
    """Entries of the same (name, impl) from every round -> one result: `tokens_per_s` from
    the median seconds per iteration over all repetitions of all rounds; `tokens_per_s_best`
    from the fastest repetition (on a shared machine, interference only ever slows a run
    down: the best is the closest to an idle machine); the same from CPU time."""
    merged: dict[tuple, dict] = {}
    for e in entries:
        key = (e["name"], e["impl"])
        if key not in merged:
            merged[key] = {k: v for k, v in e.items() if k != "samples"}
            merged[key]["samples"] = []
        merged[key]["samples"] += e.get("samples", [])
        if "error" in e:
            merged[key]["error"] = e["error"]
    out = []
    for r in merged.values():
        samples = r.pop("samples")
        tokens = r.get("tokens_per_iteration", 0)
        if samples and "error" not in r:
            wall = [x["seconds"] for x in samples]
            cpu = [x["cpu_seconds"] for x in samples if x.get("cpu_seconds")]
            r["seconds"] = statistics.median(wall)
            r["seconds_best"] = min(wall)
            r["tokens_per_s"] = tokens / r["seconds"] if r["seconds"] > 0 else 0.0
            r["tokens_per_s_best"] = tokens / r["seconds_best"] if r["seconds_best"] > 0 else 0.0
            if cpu:
                r["cpu_seconds"] = statistics.median(cpu)
                r["tokens_per_cpu_s"] = tokens / r["cpu_seconds"]
            r["iterations"] = sum(x.get("iterations", 1) for x in samples)
            r["repetitions"] = len(samples)
            r["seconds_all"] = wall
            r["rounds_all"] = [x.get("round", 0) for x in samples]
        else:
            r.setdefault("tokens_per_s", 0.0)
        out.append(r)
    return out


def reference_python() -> str:
    """The project's .venv (the pinned torch the C++ side links); where there is none (the GPU
    machine of scripts/device-check), the interpreter running this script, whose torch the
    C++ side was built against there."""
    venv_python = ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def run_reference(args, threads: int, workdir: Path) -> tuple[list[dict], dict]:
    out = workdir / f"reference-{threads}.json"
    cmd = [reference_python(), str(ROOT / "reference" / "bench_reference.py"),
           f"--threads={threads}", "--lengths=" + ",".join(map(str, args.lengths)),
           f"--decode-prompt={args.decode_prompt}", "--decode-batches=" + ",".join(map(str, args.decode_batches)),
           f"--repetitions={args.repetitions}",
           f"--min-time={args.min_time}", f"--json={out}"]
    if args.filter:
        cmd.append(f"--filter={args.filter}")
    if args.no_cuda:
        cmd.append("--no-cuda")
    if args.reference:
        cmd.append(f"--reference={args.reference}")
    log(f"bench/run: reference, {threads} thread(s)")
    subprocess.run(cmd, cwd=ROOT, env=thread_env(threads, not args.glibc_malloc_defaults), check=True,
                   stdout=sys.stderr)
    doc = json.loads(out.read_text())
    for r in doc["results"]:
        r["samples"] = [{"seconds": w, "cpu_seconds": c, "iterations": 1}
                        for w, c in zip(r.pop("seconds_all"), r.pop("cpu_seconds_all"))]
        for k in ("seconds", "cpu_seconds", "tokens_per_s", "tokens_per_cpu_s", "iterations", "repetitions"):
            r.pop(k, None)
    return doc["results"], doc["environment"]


def run_memory(binary: Path, args, threads: int, with_reference: bool) -> list[dict]:
    """One fresh process per (impl, layer type, L): peak RSS of a single first prefill."""
    rows = []
    impls = ["cpp"] + (["reference"] if with_reference else [])
    for impl in impls:
        for layer_type in ("linear", "mlp"):
            for length in args.lengths + (args.long_lengths if impl == "cpp" else []):
                spec = f"{layer_type}:{length}"
                if impl == "cpp":
                    cmd = [str(binary), f"--ttt_threads={threads}", f"--ttt_peak_rss={spec}"]
                    if args.aten_scan:
                        cmd.append("--ttt_aten_scan")
                else:
                    cmd = [reference_python(), str(ROOT / "reference" / "bench_reference.py"),
                           f"--threads={threads}", f"--peak-rss={spec}"]
                    if args.reference:
                        cmd.append(f"--reference={args.reference}")
                done = subprocess.run(cmd, cwd=ROOT, env=thread_env(threads), check=True, capture_output=True,
                                      text=True)
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                r = rows[-1]
                log(f"bench/run: memory {impl:9s} {spec:12s} forward {r['forward_mib']:8.1f} MiB "
                    f"(peak {r['peak_rss_mib']:.1f}, baseline {r['baseline_rss_mib']:.1f})")
    return rows


# ------------------------------------------------------------------------------------------
def attach_flops(results: list[dict]) -> None:
    """FLOP/s from the C++ analytic count (bench/flops.cpp). The reference does the same
    arithmetic on the same case, so its FLOP/s use the count of the same-named C++ case."""
    flops = {r["name"]: r["flops_per_iteration"] for r in results if r["impl"] == "cpp" and "flops_per_iteration" in r}
    for r in results:
        if r["name"] in flops and r.get("seconds"):
            r["flops_per_iteration"] = flops[r["name"]]
            r["flops_per_s"] = flops[r["name"]] / r["seconds"]
            r["flops_per_s_best"] = flops[r["name"]] / r["seconds_best"]


def matmul_summary(results: list[dict]) -> tuple[list[dict], dict]:
    """The gemm cases leave `results` for environment.matmul. The machine's matmul rate per
    (device, dtype, threads): the better of the two sides' measurements, median and best."""
    rows, rate = [], {}
    for r in results:
        if r["kind"] != "gemm" or "flops_per_s" not in r:
            continue
        m = re.search(r"M:(\d+)/K:(\d+)/N:(\d+)", r["name"])
        rows.append({"impl": r["impl"], "device": r["device"], "dtype": r["dtype"], "threads": r["threads"],
                     "m": int(m[1]), "k": int(m[2]), "n": int(m[3]), "flops_per_s": r["flops_per_s"],
                     "flops_per_s_best": r["flops_per_s_best"], "seconds": r.get("seconds")})
        key = (r["device"], r["dtype"], r["threads"])
        median, best = rate.get(key, (0.0, 0.0))
        rate[key] = (max(median, r["flops_per_s"]), max(best, r["flops_per_s_best"]))
    for r in results:
        key = (r["device"], r["dtype"], r["threads"])
        if key in rate and "flops_per_s" in r and r["kind"] != "gemm":
            r["matmul_fraction"] = r["flops_per_s"] / rate[key][0]
            r["matmul_fraction_best"] = r["flops_per_s_best"] / rate[key][1]
    return rows, rate


def scaling_summary(results: list[dict]) -> list[dict]:
    rows = []
    groups: dict[tuple, dict[int, dict]] = {}
    for r in results:
        if r["kind"] == "prefill" and r.get("tokens_per_s"):
            groups.setdefault((r["impl"], r["layer_type"], r["dtype"], r["device"], r["threads"]), {})[r["seq_len"]] = r
    for (impl, layer_type, dtype, device, threads), by_len in sorted(groups.items()):
        lengths = sorted(by_len)
        median = {L: 1.0 / by_len[L]["tokens_per_s"] for L in lengths}
        best = {L: 1.0 / by_len[L]["tokens_per_s_best"] for L in lengths}
        row = {"impl": impl, "layer_type": layer_type, "dtype": dtype, "device": device, "threads": threads,
               "per_token_us": {str(L): median[L] * 1e6 for L in lengths},
               "per_token_us_best": {str(L): best[L] * 1e6 for L in lengths}}
        base = BASE_LENGTH if BASE_LENGTH in lengths else lengths[0]
        if lengths[-1] != base:
            hi = lengths[-1]
            row.update({"from_len": base, "to_len": hi, "ratio": median[hi] / median[base],
                        "ratio_best": best[hi] / best[base], "target": LONG_TARGET})
        rows.append(row)
    return rows


def memory_summary(rows: list[dict]) -> list[dict]:
    """Per (impl, layer type): MiB per L, the slope between successive lengths, and how far
    the slopes agree (1.0 = memory exactly affine in L)."""
    out = []
    groups: dict[tuple, dict[int, dict]] = {}
    for r in rows:
        groups.setdefault((r["impl"], r["layer_type"], r["threads"]), {})[r["seq_len"]] = r
    for (impl, layer_type, threads), by_len in sorted(groups.items()):
        lengths = sorted(by_len)
        row = {"impl": impl, "layer_type": layer_type, "threads": threads,
               "forward_mib": {str(L): by_len[L]["forward_mib"] for L in lengths},
               "peak_rss_mib": {str(L): by_len[L]["peak_rss_mib"] for L in lengths},
               "forward_kib_per_token": {str(L): by_len[L]["forward_mib"] * 1024 / L for L in lengths}}
        slopes = [(by_len[b]["forward_mib"] - by_len[a]["forward_mib"]) / (b - a) * 1024
                  for a, b in zip(lengths, lengths[1:])]
        if slopes:
            row["slope_kib_per_token"] = slopes
        if len(slopes) >= 2 and slopes[0] > 0:
            row["slope_ratio_last_first"] = slopes[-1] / slopes[0]
        out.append(row)
    return out


def target_row(what: str, value, target: str, met, limit: str, **extra) -> dict:
    """One target: what is measured, its value (None: not measured in this run, and `limit`
    says why), the target, met or not, and the limit it is held to with that limit's value."""
    row = {"what": what, "value": value, "target": target, "met": met, "limit": limit}
    row.update({k: v for k, v in extra.items() if v is not None})
    return row


def ratio_or_none(a, b):
    return a / b if a and b else None


def targets_summary(results: list[dict], scaling: list[dict], memory: list[dict], matmul: dict,
                    thread_counts: list[int]) -> list[dict]:
    """Every target of docs/PERFORMANCE.md, each with its measured value and the limit it is
    held to, measured in this run: the matmul rate, the L=2048 figure, the reference, the
    memory floor (bytes a decode step must read / the read rate at that size), one thread."""
    by = {(r["name"], r["impl"]): r for r in results}
    one = thread_counts[0]
    rows = []

    def cpp(name):
        return by.get((name, "cpp"), {})

    def decode_case(layer_type, batch):  # whatever its prompt length
        return next((n for (n, impl) in by if impl == "cpp" and n.startswith(f"decode/{layer_type}/float32/cpu/B:{batch}/")
                     and n.endswith(f"/threads:{one}")), None)

    for layer_type, goal in MATMUL_FRACTION_TARGET.items():
        name = f"prefill/{layer_type}/float32/cpu/B:1/L:{BASE_LENGTH}/threads:1"
        r = cpp(name)
        rate = matmul.get(("cpu", "float32", 1))
        limit = (f"matmul {fmt_rate(rate[0])}FLOP/s median, {fmt_rate(rate[1])}FLOP/s best "
                 "(2048x768 @ 768x768, same run)") if rate else "matmul rate not measured (filtered out, or not 1 thread)"
        rows.append(target_row(f"prefill {layer_type} L={BASE_LENGTH} FLOP/s / matmul rate (1 thread)",
                               r.get("matmul_fraction"), f">= {goal:.0%}",
                               r.get("matmul_fraction", 0) >= goal if "matmul_fraction" in r else None, limit,
                               name=name, value_best=r.get("matmul_fraction_best"),
                               met_best=(r["matmul_fraction_best"] >= goal) if "matmul_fraction_best" in r else None))
    for sc in scaling:
        if (sc["impl"] != "cpp" or sc["device"] != "cpu" or sc["dtype"] != "float32" or "ratio" not in sc
                or sc["threads"] != one):  # the long lengths run at the first thread count only
            continue
        base = sc["per_token_us"][str(sc["from_len"])]
        rows.append(target_row(f"prefill {sc['layer_type']} per-token time L={sc['to_len']} / L={sc['from_len']} "
                               f"({sc['threads']} thread(s))", sc["ratio"], f"<= {LONG_TARGET:.2f}",
                               sc["ratio"] <= LONG_TARGET, f"L={sc['from_len']}: {base:.1f} us/token (same run)",
                               value_best=sc["ratio_best"], met_best=sc["ratio_best"] <= LONG_TARGET))
    for m in memory:
        per = {int(L): v for L, v in m["forward_kib_per_token"].items()}
        if m["impl"] != "cpp" or BASE_LENGTH not in per or max(per) == BASE_LENGTH:
            continue
        hi = max(per)
        value = per[hi] / per[BASE_LENGTH]
        rows.append(target_row(f"prefill {m['layer_type']} memory per token L={hi} / L={BASE_LENGTH}", value,
                               f"<= {MEMORY_TARGET:.2f} (linear in L or better)", value <= MEMORY_TARGET,
                               f"L={BASE_LENGTH}: {per[BASE_LENGTH]:.1f} KiB/token (same run)",
                               kib_per_token={str(L): v for L, v in sorted(per.items())}))
    for layer_type in ("linear", "mlp"):
        name = decode_case(layer_type, DECODE_BATCH)
        r, ref = cpp(name), by.get((name, "reference"), {})
        value = ratio_or_none(r.get("tokens_per_s"), ref.get("tokens_per_s"))
        limit = (f"reference {fmt_rate(ref['tokens_per_s'])} tokens/s (same run)" if ref.get("tokens_per_s")
                 else f"not measured: needs decode B={DECODE_BATCH} on both sides (bench/run --decode-batches)")
        rows.append(target_row(f"decode {layer_type} B={DECODE_BATCH} C++/reference tokens/s ({one} thread(s))",
                               value, f">= {DECODE_BATCH_TARGET}", None if value is None else value >= DECODE_BATCH_TARGET,
                               limit, name=name,
                               value_best=ratio_or_none(r.get("tokens_per_s_best"), ref.get("tokens_per_s_best"))))
    stream = cpp(f"stream/none/float32/cpu/MiB:256/threads:{one}")
    for layer_type in ("linear", "mlp"):
        name = decode_case(layer_type, 1)
        r, in_cache = cpp(name), cpp(f"stream/{layer_type}/float32/cpu/B:1/threads:{one}")
        per_token = 1 / r["tokens_per_s"] if r.get("tokens_per_s") else None
        value = value_best = value_in_cache = None
        if stream.get("seconds") and r.get("bytes_per_iteration"):
            # the floor: the bytes one token must read, at the machine's streaming rate (a read of
            # 256 MiB, far beyond every cache); per token, the decode case's bytes / its tokens
            step_bytes = r["bytes_per_iteration"] / r["tokens_per_iteration"]
            bandwidth = stream["bytes_per_iteration"] / stream["seconds"]
            floor = step_bytes / bandwidth
            value = per_token / floor
            value_best = (1 / r["tokens_per_s_best"]) / (step_bytes / (stream["bytes_per_iteration"] / stream["seconds_best"]))
            limit = (f"memory floor {floor * 1e6:.0f} us/token: {step_bytes / 1e6:.2f} MB a token must read at the "
                     f"streaming rate {bandwidth / 1e9:.1f} GB/s (256 MiB read, same run)")
            if in_cache.get("seconds"):
                # the same bytes read again and again stay in cache: the floor if nothing else ran
                value_in_cache = per_token / in_cache["seconds"]
                limit += (f"; in cache {in_cache['seconds'] * 1e6:.0f} us/token "
                          f"({in_cache['bytes_per_iteration'] / in_cache['seconds'] / 1e9:.1f} GB/s), ratio {value_in_cache:.2f}")
        else:
            limit = "memory floor not measured (the decode or stream case was filtered out)"
        rows.append(target_row(f"decode {layer_type} B=1 per-token time / memory floor ({one} thread(s))", value,
                               f"<= {DECODE_FLOOR_TARGET}", None if value is None else value <= DECODE_FLOOR_TARGET,
                               limit, name=name, value_best=value_best,
                               met_best=None if value_best is None else value_best <= DECODE_FLOOR_TARGET,
                               value_in_cache=value_in_cache))
    for layer_type in ("linear", "mlp"):
        r1 = cpp(f"prefill/{layer_type}/float32/cpu/B:1/L:{BASE_LENGTH}/threads:1")
        r2 = cpp(f"prefill/{layer_type}/float32/cpu/B:1/L:{BASE_LENGTH}/threads:2")
        value = ratio_or_none(r2.get("tokens_per_s"), r1.get("tokens_per_s"))
        limit = (f"1 thread: {fmt_rate(r1['tokens_per_s'])} tokens/s (same run)" if value is not None
                 else "not measured: run bench/run --threads 1,2 on an otherwise idle machine")
        rows.append(target_row(f"prefill {layer_type} L={BASE_LENGTH} tokens/s 2 threads / 1 thread", value,
                               f">= {THREADS_TARGET}", None if value is None else value >= THREADS_TARGET, limit,
                               value_best=ratio_or_none(r2.get("tokens_per_s_best"), r1.get("tokens_per_s_best"))))
    for r in results:
        ref = by.get((r["name"], "reference"), {})
        if (r["impl"] == "cpp" and r["device"] == "cuda" and r["dtype"] == "bfloat16" and r["kind"] == "prefill"
                and r["seq_len"] == BASE_LENGTH and ref.get("tokens_per_s")):
            value = r["tokens_per_s"] / ref["tokens_per_s"]
            rows.append(target_row(f"prefill {r['layer_type']} bfloat16 cuda C++/reference tokens/s", value,
                                   f">= {GPU_BF16_PREFILL_TARGET}", value >= GPU_BF16_PREFILL_TARGET,
                                   f"reference {fmt_rate(ref['tokens_per_s'])} tokens/s (same run)", name=r["name"]))
    return rows


# ------------------------------------------------------------------------------------------
def fmt_rate(x):
    if x is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f}{unit}"
    return f"{x:.1f}"


def ratio_text(a, b) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def print_table(results: list[dict], matmul: dict, scaling, memory, targets) -> None:
    by = {(r["name"], r["impl"]): r for r in results}
    names = []
    for r in results:
        if r["name"] not in names:
            names.append(r["name"])
    print()
    print(f"{'':58s} {'---------- median ----------':>28s} {'----------- best -----------':>28s} {'CPU t':>6s} "
          f"{'-- of matmul --':>15s}")
    print(f"{'case':58s} {'C++ tok/s':>10s} {'ref tok/s':>10s} {'ratio':>6s} {'C++ tok/s':>10s} {'ref tok/s':>10s} "
          f"{'ratio':>6s} {'ratio':>6s} {'C++':>7s} {'ref':>7s}")
    for name in names:
        c, ref = by.get((name, "cpp"), {}), by.get((name, "reference"), {})
        cm = f"{c['matmul_fraction_best']:.1%}" if "matmul_fraction_best" in c else "-"
        rm = f"{ref['matmul_fraction_best']:.1%}" if "matmul_fraction_best" in ref else "-"
        print(f"{name:58s} {fmt_rate(c.get('tokens_per_s')):>10s} {fmt_rate(ref.get('tokens_per_s')):>10s} "
              f"{ratio_text(c.get('tokens_per_s'), ref.get('tokens_per_s')):>6s} "
              f"{fmt_rate(c.get('tokens_per_s_best')):>10s} {fmt_rate(ref.get('tokens_per_s_best')):>10s} "
              f"{ratio_text(c.get('tokens_per_s_best'), ref.get('tokens_per_s_best')):>6s} "
              f"{ratio_text(c.get('tokens_per_cpu_s'), ref.get('tokens_per_cpu_s')):>6s} {cm:>7s} {rm:>7s}")
    print("(median: of all repetitions of all rounds, what tokens_per_s reports; best: the fastest repetition, "
          "the closest to an idle machine; CPU t: ratio of process CPU time per token; of matmul: best FLOP/s "
          "as a fraction of the best matmul rate below)")
    print()
    for (device, dtype, threads), (median, best) in sorted(matmul.items()):
        print(f"matmul {device} {dtype} {threads} thread(s), 2048x768 @ 768x768: {fmt_rate(median)}FLOP/s median, "
              f"{fmt_rate(best)}FLOP/s best")
    if scaling:
        print(f"\nscaling: per-token time (us) by L (best repetition), and its ratio longest / L={BASE_LENGTH}")
        for s in scaling:
            per = "  ".join(f"L={L}: {v:.1f}" for L, v in s["per_token_us_best"].items())
            extra = ""
            if "ratio_best" in s:
                extra = f"  ratio {s['ratio_best']:.2f} (median {s['ratio']:.2f})"
            print(f"  {s['impl']:9s} {s['layer_type']:6s} {s['device']} {s['threads']}t  {per}{extra}")
    if memory:
        print("\nmemory of one prefill (MiB above the RSS before the call; fresh process per L)")
        for m in memory:
            per = "  ".join(f"L={L}: {v:.1f}" for L, v in m["forward_mib"].items())
            slopes = ", ".join(f"{s:.1f}" for s in m.get("slope_kib_per_token", []))
            print(f"  {m['impl']:9s} {m['layer_type']:6s} {per}   slope KiB/token: {slopes}")
    if targets:
        print("\ntargets (value from the medians, best-of beside it; each held to a limit measured in this run)")
        for t in targets:
            verdict = "----" if t["met"] is None else ("MET " if t["met"] else "MISS")
            value = "not measured" if t["value"] is None else f"{t['value']:.2f}"
            best = f" (best-of {t['value_best']:.2f})" if t.get("value_best") is not None else ""
            print(f"  {verdict} {t['what']}: {value}{best}, target {t['target']}; limit: {t['limit']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.time()
    binary = build(args)
    load_before = os.getloadavg()
    results, cpp_env, ref_env = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="ttt-bench-") as tmp:
        workdir = Path(tmp)
        # C++ and reference alternate, round after round, so that both see the same load
        for threads in args.threads:
            for round_index in range(args.rounds):
                if args.rounds > 1:
                    log(f"bench/run: round {round_index + 1} of {args.rounds}, {threads} thread(s)")
                rows, cpp_env = run_cpp(binary, args, threads, workdir)
                if not args.no_reference:
                    ref_rows, ref_env = run_reference(args, threads, workdir)
                    rows += ref_rows
                for row in rows:  # which round each sample came from: C++ and reference pair by round
                    for sample in row.get("samples", []):
                        sample["round"] = round_index
                results += rows
        if args.long_lengths and (not args.filter or any(
                re.search(args.filter, f"prefill/{t}/float32/cpu/B:1/L:{L}/threads:{n}")
                for t in ("linear", "mlp") for L in args.long_lengths for n in args.threads)):
            rows, _ = run_cpp(binary, args, args.threads[0], workdir, long=True)
            results += [r for r in rows if not args.filter or re.search(args.filter, r["name"])]
    results = merge_rounds(results)
    memory_rows = []
    if not args.no_memory:
        memory_rows = run_memory(binary, args, args.threads[0],
                                 with_reference=not args.no_reference and (not args.quick or args.reference_memory))
    load_after = os.getloadavg()

    attach_flops(results)
    matmul_rows, matmul_rate = matmul_summary(results)
    results = [r for r in results if r["kind"] != "gemm"]
    scaling = scaling_summary(results)
    memory = memory_summary(memory_rows)
    targets = targets_summary(results, scaling, memory, matmul_rate, args.threads)

    environment = {
        "cpu_model": cpp_env.get("cpu_model") or ref_env.get("cpu_model"),
        "threads": args.threads[0],
        "thread_counts": args.threads,
        "nproc": os.cpu_count(),
        "libtorch_version": cpp_env.get("libtorch_version"),
        "torch_python_version": ref_env.get("torch_version"),
        "device": cpp_env.get("device", "cpu"),
        "device_name": cpp_env.get("device_name"),
        "cuda_available": cpp_env.get("cuda_available"),
        "git_commit": cpp_env.get("git_commit"),
        "git_dirty": cpp_env.get("git_dirty"),
        "host": cpp_env.get("host"),
        "reference_commit": ref_env.get("reference_commit"),
        "load_average_before": list(load_before),
        "load_average_after": list(load_after),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "malloc_env": {} if args.glibc_malloc_defaults else RETAIN_FREED_MEMORY,
        "quick": args.quick,
        "cpp_inner_scan": "aten" if args.aten_scan else "fused",
        "repetitions": args.repetitions,
        "min_time_s": args.min_time,
        "created_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wall_s": round(time.time() - started, 1),
        "matmul": matmul_rows,
        "matmul_flops_per_s": {f"{d}/{t}/threads:{n}": v[0] for (d, t, n), v in sorted(matmul_rate.items())},
        "matmul_flops_per_s_best": {f"{d}/{t}/threads:{n}": v[1] for (d, t, n), v in sorted(matmul_rate.items())},
        "cpp": cpp_env,
        "reference": ref_env,
    }
    doc = {"schema_version": SCHEMA_VERSION, "environment": environment, "results": results,
           "scaling": scaling, "memory": memory, "memory_runs": memory_rows, "targets": targets}
    print_table(results, matmul_rate, scaling, memory, targets)
    write_text_atomically(args.json, json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {args.json} ({len(results)} results, {environment['wall_s']} s; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
