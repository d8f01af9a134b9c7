"""bench/run's targets: each computed from the same run's limit, and a target the run did not
measure is listed as not measured, never as met or missed (python3 -m unittest discover
bench/tests)."""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import run  # noqa: E402  (bench/run.py)


def result(name, impl, tokens_per_s, **extra):
    kind, layer_type, dtype, device = name.split("/")[:4]
    r = {"name": name, "impl": impl, "kind": kind, "layer_type": layer_type, "dtype": dtype, "device": device,
         "tokens_per_s": tokens_per_s, "tokens_per_s_best": tokens_per_s * 1.1, "threads": 1}
    r.update(extra)
    return r


class Targets(unittest.TestCase):
    def setUp(self):
        stream_seconds = 268435456 / 1e10  # 10 GB/s
        self.results = [
            result("prefill/linear/float32/cpu/B:1/L:2048/threads:1", "cpp", 8000, matmul_fraction=0.85,
                   matmul_fraction_best=0.9),
            result("prefill/mlp/float32/cpu/B:1/L:2048/threads:1", "cpp", 3000, matmul_fraction=0.5,
                   matmul_fraction_best=0.55),
            result("decode/linear/float32/cpu/B:16/P:2048/threads:1", "cpp", 6000),
            result("decode/linear/float32/cpu/B:16/P:2048/threads:1", "reference", 1000),
            result("decode/mlp/float32/cpu/B:16/P:2048/threads:1", "cpp", 500),  # no reference side
            # 1 ms per token; 1e7 bytes per token: the floor at 10 GB/s is 1 ms
            result("decode/linear/float32/cpu/B:1/P:2048/threads:1", "cpp", 1000, tokens_per_iteration=16,
                   bytes_per_iteration=16e7),
            result("stream/none/float32/cpu/MiB:256/threads:1", "cpp", 1 / stream_seconds, seconds=stream_seconds,
                   seconds_best=stream_seconds / 1.1, bytes_per_iteration=268435456),
        ]
        self.matmul = {("cpu", "float32", 1): (1e11, 1.2e11)}
        self.scaling = [{"impl": "cpp", "layer_type": "linear", "dtype": "float32", "device": "cpu", "threads": 1,
                         "per_token_us": {"2048": 100.0, "131072": 120.0}, "from_len": 2048, "to_len": 131072,
                         "ratio": 1.2, "ratio_best": 1.05}]
        self.memory = [{"impl": "cpp", "layer_type": "mlp", "threads": 1,
                        "forward_kib_per_token": {"2048": 40.0, "131072": 4.0}}]

    def targets(self):
        rows = run.targets_summary(self.results, self.scaling, self.memory, self.matmul, [1])
        return {r["what"]: r for r in rows}

    def test_each_target_against_its_limit(self):
        t = self.targets()
        linear = t["prefill linear L=2048 FLOP/s / matmul rate (1 thread)"]
        self.assertEqual((linear["value"], linear["met"]), (0.85, True))
        self.assertIn("matmul 100.00GFLOP/s median", linear["limit"])
        mlp = t["prefill mlp L=2048 FLOP/s / matmul rate (1 thread)"]
        self.assertEqual((mlp["value"], mlp["met"]), (0.5, False))
        long = t["prefill linear per-token time L=131072 / L=2048 (1 thread(s))"]
        self.assertEqual((long["value"], long["met"], long["met_best"]), (1.2, False, True))
        memory = t["prefill mlp memory per token L=131072 / L=2048"]
        self.assertAlmostEqual(memory["value"], 0.1)
        self.assertTrue(memory["met"])
        batched = t["decode linear B=16 C++/reference tokens/s (1 thread(s))"]
        self.assertEqual((batched["value"], batched["met"]), (6.0, True))
        floor = t["decode linear B=1 per-token time / memory floor (1 thread(s))"]
        self.assertAlmostEqual(floor["value"], 1.0)
        self.assertTrue(floor["met"])
        self.assertIn("10.0 GB/s", floor["limit"])

    def test_what_the_run_did_not_measure_is_neither_met_nor_missed(self):
        t = self.targets()
        for what in ("decode mlp B=16 C++/reference tokens/s (1 thread(s))",
                     "decode mlp B=1 per-token time / memory floor (1 thread(s))",
                     "prefill linear L=2048 tokens/s 2 threads / 1 thread",
                     "prefill mlp L=2048 tokens/s 2 threads / 1 thread"):
            self.assertIsNone(t[what]["value"], what)
            self.assertIsNone(t[what]["met"], what)
            self.assertIn("not measured", t[what]["limit"], what)

    def test_two_threads_against_one(self):
        self.results.append(result("prefill/linear/float32/cpu/B:1/L:2048/threads:2", "cpp", 12000))
        two = self.targets()["prefill linear L=2048 tokens/s 2 threads / 1 thread"]
        self.assertEqual((two["value"], two["met"]), (1.5, False))
        self.assertIn("1 thread: 8.00k tokens/s", two["limit"])


if __name__ == "__main__":
    unittest.main()
