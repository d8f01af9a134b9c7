#!/usr/bin/env python3
"""Times the upstream reference (ttt-lm-pytorch ttt.py) on the cases of bench/ttt-bench.

Same case names, shapes, dtype and thread count as the C++ benchmarks, so that bench/run can
put the two side by side (docs/PERFORMANCE.md):

  prefill/<linear|mlp>/<dtype>/<device>/B:1/L:<L>/threads:<N>   TTTLinear/TTTMLP(x, position_ids), no cache
  decode/<linear|mlp>/<dtype>/<device>/B:<B>/P:<P>/threads:<N>  the reference's TTTCache: a P-token prompt,
                                                                then one mini-batch cycle of single tokens
  rope/none/<dtype>/<device>/B:1/L:2048/threads:<N>             rotary_emb + permute_qk + apply_rotary_pos_emb
                                                                + undo_permute_qk, as TTTBase.forward does
  gemm/none/float32/<device>/M:2048/K:768/N:768/threads:<N>     torch.mm of the projection's shape

The layer is the 125M model's (hidden 768, 12 heads, mini_batch_size 16, batch 1), built
with reference/tttref (ttt.py imported by path from the pinned commit, never copied), its
parameters drawn by tttref.randomize. Every call runs under torch.inference_mode(); the first
call of each case is a warm-up and is not timed.

  .venv/bin/python reference/bench_reference.py --threads 1 --json out/bench_reference.json
  .venv/bin/python reference/bench_reference.py --peak-rss mlp:2048    # one prefill's memory, as JSON
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from tttref.atomic_file import write_text_atomically  # noqa: E402
from tttref.layer import DTYPES, LayerConfig, build_layer, make_cache  # noqa: E402
from tttref.randomize import parameter_values  # noqa: E402
from tttref.upstream import ReferenceError, load_reference  # noqa: E402

SCHEMA_VERSION = 1
BATCH = 1
SEED = 20240611
ROPE_LENGTH = 2048
GEMM = (2048, 768, 768)  # M, K, N
MODEL_125M = LayerConfig(hidden_size=768, num_attention_heads=12, mini_batch_size=16, rope_theta=10000.0,
                         ttt_base_lr=1.0, use_gate=False, share_qk=False, conv_kernel=4, use_rope=True)


# ------------------------------------------------------------------------------------------
def make_layer(module, layer_type: str, dtype: torch.dtype, device: torch.device):
    """The upstream layer with every parameter moved away from its default (tttref.randomize)."""
    shapes = {name: t.shape for name, t in build_layer(module, layer_type, MODEL_125M, dtype).state_dict().items()}
    values = parameter_values(shapes, SEED, hidden_size=MODEL_125M.hidden_size, clamp_token_idx=True)
    layer = build_layer(module, layer_type, MODEL_125M, dtype, {k: v.to(dtype) for k, v in values.items()})
    return layer.to(device)


def hidden(length: int, dtype: torch.dtype, device: torch.device, seed: int, batch: int = BATCH) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, length, MODEL_125M.hidden_size, generator=g).to(device=device, dtype=dtype)


def synchronizer(device: torch.device):
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def measure(step, sync, min_time: float, repetitions: int, prepare=None) -> dict:
    """Google Benchmark's protocol in small: one untimed warm-up call, then per repetition
    as many timed iterations as it takes to pass min_time (at least one); `prepare` runs
    before each iteration, untimed. Returns the median wall seconds per iteration, and the
    median process CPU seconds (all threads) per iteration."""
    if prepare:
        prepare()
    step()
    sync()
    per_rep, cpu_per_rep, total_iters = [], [], 0
    for _ in range(repetitions):
        iters, elapsed, cpu = 0, 0.0, 0.0
        while iters == 0 or elapsed < min_time:
            if prepare:
                prepare()
            sync()
            start, cpu_start = time.perf_counter(), time.process_time()
            step()
            sync()
            elapsed += time.perf_counter() - start
            cpu += time.process_time() - cpu_start
            iters += 1
        per_rep.append(elapsed / iters)
        cpu_per_rep.append(cpu / iters)
        total_iters += iters
    return {"seconds": statistics.median(per_rep), "cpu_seconds": statistics.median(cpu_per_rep),
            "iterations": total_iters, "repetitions": repetitions, "seconds_all": per_rep,
            "cpu_seconds_all": cpu_per_rep}


# ------------------------------------------------------------------------------------------
class Cases:
    def __init__(self, ref, args):
        self.module = ref.module
        self.args = args
        self.threads = args.threads

    def name(self, kind, layer, dtype, device, keys):
        return f"{kind}/{layer}/{dtype}/{device.type}/{keys}/threads:{self.threads}"

    def entry(self, name, kind, layer_type, dtype, device, seq_len, tokens, timing, batch=BATCH):
        return {"name": name, "impl": "reference", "kind": kind, "layer_type": layer_type, "dtype": dtype,
                "device": device.type, "batch": batch, "seq_len": seq_len,
                "tokens_per_s": tokens / timing["seconds"], "seconds": timing["seconds"],
                "cpu_seconds": timing["cpu_seconds"], "tokens_per_cpu_s": tokens / timing["cpu_seconds"],
                "seconds_all": timing["seconds_all"], "cpu_seconds_all": timing["cpu_seconds_all"],
                "iterations": timing["iterations"], "repetitions": timing["repetitions"],
                "tokens_per_iteration": tokens, "threads": self.threads}

    def plan(self):
        """(name, thunk) for every case, in the C++ binary's order."""
        out = []
        targets = [(torch.device("cpu"), "float32")]
        if torch.cuda.is_available() and not self.args.no_cuda:
            targets += [(torch.device("cuda", 0), "float32"), (torch.device("cuda", 0), "bfloat16")]
        M, K, N = GEMM
        for device, dtype in targets:
            out.append((self.name("gemm", "none", dtype, device, f"M:{M}/K:{K}/N:{N}"),
                        lambda n, d=device, t=dtype: self.gemm(n, d, t)))
            for layer_type in ("linear", "mlp"):
                for length in self.args.lengths:
                    out.append((self.name("prefill", layer_type, dtype, device, f"B:{BATCH}/L:{length}"),
                                lambda n, lt=layer_type, d=device, t=dtype, L=length: self.prefill(n, lt, d, t, L)))
            for layer_type in ("linear", "mlp"):
                for batch in self.args.decode_batches:
                    out.append((self.name("decode", layer_type, dtype, device, f"B:{batch}/P:{self.args.decode_prompt}"),
                                lambda n, lt=layer_type, d=device, t=dtype, b=batch: self.decode(n, lt, d, t, b)))
            out.append((self.name("rope", "none", dtype, device, f"B:{BATCH}/L:{ROPE_LENGTH}"),
                        lambda n, d=device, t=dtype: self.rope(n, d, t)))
        return out

    def timing(self, step, device, prepare=None):
        return measure(step, synchronizer(device), self.args.min_time, self.args.repetitions, prepare)

    def gemm(self, name, device, dtype_name):
        dtype = DTYPES[dtype_name]
        M, K, N = GEMM
        a = hidden(M, dtype, device, 7)[0, :, :K]
        b = hidden(K, dtype, device, 8)[0, :, :N]
        with torch.inference_mode():
            t = self.timing(lambda: torch.mm(a, b), device)
        e = self.entry(name, "gemm", "none", dtype_name, device, M, M, t)
        e["flops_per_s"] = 2.0 * M * K * N / t["seconds"]
        return e

    def prefill(self, name, layer_type, device, dtype_name, length):
        dtype = DTYPES[dtype_name]
        layer = make_layer(self.module, layer_type, dtype, device)
        x = hidden(length, dtype, device, 7)
        position_ids = torch.arange(length, device=device)[None]
        with torch.inference_mode():
            t = self.timing(lambda: layer(x, position_ids=position_ids), device)
        return self.entry(name, "prefill", layer_type, dtype_name, device, length, BATCH * length, t)

    def decode(self, name, layer_type, device, dtype_name, batch):
        """The reference's decode protocol (TTTModel.forward with a TTTCache): prompt at
        positions 0..P-1, offset += P; then single tokens at [[offset]], offset += 1. Each
        iteration decodes one whole mini-batch cycle (offsets P..P+K-1, the last one completes
        the mini-batch) after the cache is put back to its post-prompt state (untimed)."""
        dtype = DTYPES[dtype_name]
        P, K = self.args.decode_prompt, MODEL_125M.mini_batch_size
        if P % K:
            raise SystemExit(f"--decode-prompt must be a multiple of the mini-batch size {K}")
        layer = make_layer(self.module, layer_type, dtype, device)
        cache = make_cache(self.module, layer, batch)
        for per_layer in cache.ttt_params_dict.values():  # the stand-in model says cpu
            per_layer[layer.layer_idx] = per_layer[layer.layer_idx].to(device)
        tokens = hidden(K, dtype, device, 8, batch)
        with torch.inference_mode():
            layer(hidden(P, dtype, device, 7, batch), position_ids=torch.arange(P, device=device)[None], cache_params=cache)
            cache.seqlen_offset += P
            saved = {n: per_layer[layer.layer_idx].clone() for n, per_layer in cache.ttt_params_dict.items()}

            def restore():
                for n, per_layer in cache.ttt_params_dict.items():
                    per_layer[layer.layer_idx].copy_(saved[n])
                cache.seqlen_offset = P

            def cycle():
                for i in range(K):
                    position_ids = torch.tensor([[cache.seqlen_offset]], dtype=torch.long, device=device)
                    layer(tokens[:, i:i + 1], position_ids=position_ids, cache_params=cache)
                    cache.seqlen_offset += 1

            t = self.timing(cycle, device, prepare=restore)
        e = self.entry(name, "decode", layer_type, dtype_name, device, P, batch * K, t, batch)
        return e

    def rope(self, name, device, dtype_name):
        dtype = DTYPES[dtype_name]
        m = self.module
        layer = make_layer(m, "linear", dtype, device)
        L, H = ROPE_LENGTH, MODEL_125M.num_attention_heads
        f = MODEL_125M.head_dim

        def split(seed):  # [B, L, C] -> [B, H, L, f] views, as TTTBase.forward hands them on
            return hidden(L, dtype, device, seed).reshape(BATCH, L, H, f).transpose(1, 2)

        XQ, XK, XV = split(7), split(8), split(9)
        position_ids = torch.arange(L, device=device)[None]

        def step():
            cos, sin = layer.rotary_emb(XV, position_ids % layer.mini_batch_size)
            q, k = m.permute_qk(XQ, XK)
            q, k = m.apply_rotary_pos_emb(q, k, cos, sin)
            return m.undo_permute_qk(q, k)

        with torch.inference_mode():
            t = self.timing(step, device)
        return self.entry(name, "rope", "none", dtype_name, device, L, BATCH * L, t)


# ------------------------------------------------------------------------------------------
def status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def peak_rss(ref, spec: str, threads: int) -> dict:
    """One prefill in this (fresh) process: RSS before, high-water mark during, in MiB."""
    import resource
    layer_type, _, length = spec.partition(":")
    length = int(length)
    layer = make_layer(ref.module, layer_type, torch.float32, torch.device("cpu"))
    x = hidden(length, torch.float32, torch.device("cpu"), 7)
    position_ids = torch.arange(length)[None]
    try:  # give the heap's free pages back, so that the call's allocations show in RSS
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    before_peak = status_mib("VmHWM")
    baseline = status_mib("VmRSS")
    with torch.inference_mode():
        out = layer(x, position_ids=position_ids)
    peak = status_mib("VmHWM")
    return {"impl": "reference", "layer_type": layer_type, "dtype": "float32", "device": "cpu", "batch": BATCH,
            "seq_len": length, "threads": threads, "baseline_rss_mib": baseline, "peak_rss_mib": peak,
            "forward_mib": peak - baseline,
            "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "hwm_reset": reset and before_peak <= baseline + 1.0, "output_checksum": float(out.sum())}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(ref, threads: int) -> dict:
    cuda = torch.cuda.is_available()
    return {"impl": "reference", "cpu_model": cpu_model(), "threads": threads, "nproc": os.cpu_count(),
            "torch_version": torch.__version__, "python_version": platform.python_version(),
            "reference_commit": ref.commit, "host": socket.gethostname(), "cuda_available": cuda,
            "device": "cpu+cuda" if cuda else "cpu",
            "device_name": torch.cuda.get_device_name(0) if cuda else cpu_model(),
            "torch_parallel": torch.__config__.parallel_info().splitlines()[:6]}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                epilog="Run by bench/run; see docs/PERFORMANCE.md.")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--lengths", default="512,2048,8192", help="prefill lengths (default 512,2048,8192)")
    p.add_argument("--decode-prompt", type=int, default=2048, help="decode prompt length (default 2048)")
    p.add_argument("--decode-batches", default="1", help="decode batch sizes (default 1)")
    p.add_argument("--repetitions", type=int, default=5, help="timed repetitions per case; the median is kept")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds each repetition runs at least")
    p.add_argument("--filter", default="", help="regular expression on case names (re.search)")
    p.add_argument("--no-cuda", action="store_true", help="CPU cases only, even with a GPU")
    p.add_argument("--json", type=Path, help="write the results here (atomically)")
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    p.add_argument("--peak-rss", metavar="TYPE:L", help="one float32 CPU prefill's memory as JSON, then exit")
    p.add_argument("--reference", type=Path, default=None,
                   help="upstream checkout or bare git directory (default: as reference/generate.py)")
    args = p.parse_args(argv)
    args.lengths = [int(x) for x in args.lengths.split(",") if x]
    args.decode_batches = [int(x) for x in args.decode_batches.split(",") if x]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        ref = load_reference(args.reference)
    except ReferenceError as err:
        print(f"bench_reference: {err}", file=sys.stderr)
        return 2
    if args.peak_rss:
        print(json.dumps(peak_rss(ref, args.peak_rss, args.threads)))
        return 0
    cases = Cases(ref, args)
    pattern = re.compile(args.filter) if args.filter else None
    plan = [(n, fn) for n, fn in cases.plan() if pattern is None or pattern.search(n)]
    if args.list:
        print("\n".join(n for n, _ in plan))
        return 0
    results = []
    for name, fn in plan:
        entry = fn(name)
        results.append(entry)
        print(f"{name:58s} {entry['seconds'] * 1e3:10.3f} ms/it {entry['tokens_per_s']:12.1f} tokens/s", flush=True)
    doc = {"schema_version": SCHEMA_VERSION, "environment": environment(ref, args.threads), "results": results}
    if args.json:
        write_text_atomically(args.json, json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
