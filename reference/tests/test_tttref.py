"""Unit tests of the fixture generator that need no upstream reference (ctest
reference.generator_unittests): .venv/bin/python -m unittest discover reference/tests

The tests that run ttt.py are in upstream_tests.py (ctest reference.upstream_unittests)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
from pathlib import Path

import h5py
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tttref import atomic_file, cases, compare, fixture_io, manifest, randomize, upstream  # noqa: E402


class FixtureIoTest(unittest.TestCase):
    def test_bfloat16_round_trips_as_upper_float32_bits(self):
        x = torch.tensor([1.0, -2.5, 3.140625, 1e-3], dtype=torch.float32).to(torch.bfloat16)
        stored, attr = fixture_io.to_stored(x)
        self.assertEqual((stored.dtype, attr), (np.uint16, "bfloat16"))
        upper = (x.float().numpy().view(np.uint32) >> 16).astype(np.uint16)
        np.testing.assert_array_equal(stored, upper)
        self.assertTrue(torch.equal(fixture_io.from_stored(stored, attr, "x"), x))

    def test_write_read_keeps_dtypes_shapes_and_attributes(self):
        fx = fixture_io.Fixture(attrs={"schema_version": 1, "case": "c"}, datasets={
            "/params/a": torch.randn(2, 3, dtype=torch.float64),
            "/params/b": torch.randn(4).to(torch.bfloat16),
            "/inputs/position_ids": torch.arange(5)[None]})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "c.h5"
            fixture_io.write_fixture(fx, path)
            with h5py.File(path) as f:
                self.assertEqual(f["params/b"].attrs["dtype"], "bfloat16")
                self.assertEqual(f["inputs/position_ids"].dtype, np.int64)
            back = fixture_io.read_fixture(path)
            self.assertEqual(back.attrs, fx.attrs)
            for name, t in fx.datasets.items():
                self.assertTrue(torch.equal(back.datasets[name], t), name)

    def test_interrupted_write_leaves_no_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            def fail(tmp_path):
                tmp_path.write_text("half")
                raise KeyboardInterrupt

            with self.assertRaises(KeyboardInterrupt):
                atomic_file.atomic_write(Path(tmp) / "x.h5", fail)
            self.assertEqual(list(Path(tmp).iterdir()), [])


class ManifestTest(unittest.TestCase):
    def test_detects_changed_missing_and_unlisted_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for name in ("b", "a"):
                fixture_io.write_fixture(fixture_io.Fixture(
                    attrs={"case": name, "description": f"case {name}"},
                    datasets={"/x": torch.zeros(1)}), folder / f"{name}.h5")
            written = manifest.write_manifest(folder, "c0ffee")
            self.assertEqual([e["file"] for e in written["files"]], ["a.h5", "b.h5"])
            self.assertEqual(manifest.manifest_problems(folder), [])
            with h5py.File(folder / "a.h5", "r+") as f:
                f["x"][0] = 1.0
            (folder / "b.h5").rename(folder / "c.h5")
            problems = " | ".join(manifest.manifest_problems(folder))
            for expected in ("a.h5: sha256", "b.h5: listed", "c.h5: not listed"):
                self.assertIn(expected, problems)


class CompareTest(unittest.TestCase):
    def test_relative_to_largest_element_and_dtype(self):
        e = torch.tensor([10.0, 1.0], dtype=torch.float64)
        d = compare.diff_tensors("x", e, e + torch.tensor([0.0, 1e-10], dtype=torch.float64),
                                 compare.VERIFY_RTOL)
        self.assertAlmostEqual(d.max_rel, 1e-11)
        self.assertTrue(d.ok)
        self.assertFalse(compare.diff_tensors("x", e, e.float(), compare.VERIFY_RTOL).ok)


class RandomizeTest(unittest.TestCase):
    def test_values_depend_on_seed_and_name_only(self):
        a = randomize.normal(7, "W1", (3,))
        self.assertTrue(torch.equal(a, randomize.normal(7, "W1", (3,))))
        self.assertFalse(torch.equal(a, randomize.normal(7, "W2", (3,))))
        self.assertFalse(torch.equal(a, randomize.normal(8, "W1", (3,))))

    def test_no_two_tensors_of_the_matrix_share_a_stream(self):
        names = ["q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight",
                 "g_proj.weight", "conv_q.weight", "conv_k.weight", "conv_q.bias",
                 "conv_k.bias", "ttt_norm_weight", "ttt_norm_bias", "post_norm.weight",
                 "post_norm.bias", "learnable_ttt_lr_weight", "learnable_ttt_lr_bias",
                 "learnable_token_idx", "learnable_token_idx.clamp", "clamp", "W1", "b1",
                 "W2", "b2", "hidden_states", "grad_output", "prefill_hidden_states",
                 "decode_hidden_states"]
        seeds = [randomize.stream_seed(c.seed, n) for c in cases.MATRIX for n in names]
        self.assertEqual(len(seeds), len(set(seeds)))

    def test_token_idx_clamps_inner_positions_only(self):
        for K in (1, 2, 4, 8, 16):
            values = randomize.learnable_token_idx(K, 5, clamp=True)
            total = 1.0 / torch.arange(1, K + 1, dtype=torch.float64) + values
            clamped = (total < 0).nonzero().flatten().tolist()
            self.assertEqual(clamped, randomize.clamped_token_positions(K, 5))
            self.assertEqual(len(clamped), 0 if K < 3 else (1 if K < 8 else 2))
            self.assertTrue(all(0 < j < K - 1 for j in clamped))
            self.assertTrue((total[total >= 0] > 0.04 / K).all())  # others well above 0


class MatrixCoverageTest(unittest.TestCase):
    """What the committed matrix must cover (reference/README.md, "Case families")."""

    def test_coverage(self):
        m = cases.by_name().values()
        pre = [c for c in m if c.mode == "prefill"]
        dec = [c for c in m if c.mode == "decode"]
        self.assertGreaterEqual(len(m), 24)
        self.assertEqual({c.layer for c in pre}, {"linear", "mlp"})
        self.assertEqual({c.layer for c in dec}, {"linear", "mlp"})
        self.assertEqual({c.dtype for c in pre}, {"float64", "float32", "bfloat16"})
        self.assertEqual({c.config.use_rope for c in pre}, {True, False})
        self.assertTrue(any(c.seq_len % c.config.mini_batch_size == 0 for c in pre))
        self.assertTrue(any(c.seq_len % c.config.mini_batch_size for c in pre))
        starts = [(s, c.config.mini_batch_size) for c in pre for s in c.positions]
        self.assertTrue(any(s == 0 for s, _ in starts))
        self.assertTrue(any(s > 0 and s % k == 0 for s, k in starts))
        self.assertTrue(any(s > 1000 and s % k for s, k in starts))
        self.assertTrue(any(len(c.positions) > 1 for c in pre))
        self.assertTrue({1, 4, 8, 16} <= {c.config.mini_batch_size for c in m})
        self.assertGreater(len({c.config.rope_theta for c in m}), 1)
        self.assertGreater(len({c.config.ttt_base_lr for c in m}), 1)
        self.assertTrue(any(c.config.use_gate for c in m))
        self.assertTrue(any(c.config.share_qk and c.config.conv_kernel != 4 for c in m))
        for layer in ("linear", "mlp"):
            mine = [c for c in dec if c.layer == layer]
            self.assertTrue(any(c.prompt_len % c.config.mini_batch_size == 0 for c in mine))
            self.assertTrue(any(c.prompt_len % c.config.mini_batch_size for c in mine))
            self.assertTrue(any(c.grads and c.dtype == "float64" for c in pre if c.layer == layer))
            for dtype in ("float32", "bfloat16"):  # gradients judged against float64 twins
                self.assertTrue(any(c.grads and c.dtype == dtype for c in pre if c.layer == layer))
        self.assertTrue(any(c.dtype == "float64" and c.config.share_qk for c in dec))
        for dtype in ("float32", "bfloat16"):
            self.assertTrue(any(c.dtype == dtype and not c.config.share_qk for c in dec))
        self.assertTrue(any(c.seq_len >= 2048 and c.dtype in ("float64", "float32") for c in pre))
        self.assertTrue(any(c.config.head_dim == 64 for c in m))
        self.assertEqual({c.batch == 1 for c in m}, {True, False})
        self.assertTrue(any(c.intermediates for c in pre))
        for layer in ("linear", "mlp"):  # rotated Q/K with float64 twins
            for dtype in ("float32", "bfloat16"):
                self.assertTrue(any(c.intermediates and c.layer == layer and c.dtype == dtype
                                    for c in pre))

    def test_rope_off_and_positions_in_every_dtype(self):
        """use_rope off in every dtype, and RoPE positions that do not start at a multiple of
        the mini-batch size in every dtype, for prefill (a start) and for decode (the
        protocol starts the prompt at 0: the tokens start mid-mini-batch when P % K)."""
        m = cases.by_name().values()
        pre = [c for c in m if c.mode == "prefill"]
        dec = [c for c in m if c.mode == "decode"]
        for dtype in ("float64", "float32", "bfloat16"):
            for layer in ("linear", "mlp"):
                self.assertTrue(any(not c.config.use_rope and c.dtype == dtype and c.layer == layer
                                    for c in pre), (dtype, layer))
            self.assertTrue(any(not c.config.use_rope and c.dtype == dtype for c in dec), dtype)
            self.assertTrue(any(c.config.use_rope and c.dtype == dtype and c.config.mini_batch_size > 1
                                and any(s % c.config.mini_batch_size for s in c.positions)
                                for c in pre), dtype)
            self.assertTrue(any(c.config.use_rope and c.dtype == dtype
                                and c.prompt_len % c.config.mini_batch_size for c in dec), dtype)

    def test_k1_cases_are_the_three_kept(self):
        """K = 1 reduces every position to 0; only the cases docs/FIXTURES.md says why are kept."""
        k1 = sorted(c.case for c in cases.by_name().values() if c.config.mini_batch_size == 1)
        self.assertEqual(k1, ["linear_decode_f64_p6_t5_k1", "linear_rope_f64_b2_l21_k1",
                              "mlp_rope_f64_b2_l13_k1"])

    def test_nightly_cases_are_not_in_the_matrix(self):
        matrix = cases.by_name()
        nightly = cases.by_name(nightly=True)
        self.assertEqual(set(nightly) - set(matrix), {c.case for c in cases.NIGHTLY})
        for c in cases.NIGHTLY:
            self.assertEqual((c.config.hidden_size, c.config.num_attention_heads, c.config.head_dim,
                              c.config.mini_batch_size), (2048, 32, 64, 16))

    def test_bfloat16_share_qk_decode_is_refused(self):
        with self.assertRaises(ValueError):
            cases.Case(case="x", layer="linear", mode="decode", dtype="bfloat16", batch=1,
                       config=cases.cfg(sqk=True), seed=1, description="", prompt_len=4,
                       decode_len=2)


class UpstreamLookupTest(unittest.TestCase):
    """Where the reference is looked for, and what is said when it is missing (no ttt.py needed)."""

    def test_search_order_is_env_then_the_fetch_upstream_checkout(self):
        with tempfile.TemporaryDirectory() as tmp:
            checkout = Path(tmp) / "upstream" / "ttt-lm-pytorch"
            with mock.patch.object(upstream, "DEFAULT_CHECKOUT", checkout), \
                    mock.patch.dict(os.environ, {"TTT_REFERENCE": "/elsewhere"}):
                self.assertEqual(upstream.default_reference_path(), Path("/elsewhere"))
            with mock.patch.object(upstream, "DEFAULT_CHECKOUT", checkout), \
                    mock.patch.dict(os.environ, {"TTT_REFERENCE": ""}):
                with self.assertRaises(upstream.ReferenceNotFound) as missing:
                    upstream.default_reference_path()
                checkout.mkdir(parents=True)
                self.assertEqual(upstream.default_reference_path(), checkout)
        for needed in ("reference/fetch-upstream", "--from SOURCE", "--reference PATH",
                       "TTT_REFERENCE", upstream.PINNED_COMMIT):
            self.assertIn(needed, str(missing.exception))

    def test_a_missing_path_is_not_found_not_unusable(self):
        with self.assertRaises(upstream.ReferenceNotFound):
            upstream.load_reference(Path(tempfile.gettempdir()) / "no-such-ttt-reference")

    def test_fetch_upstream_reads_the_pinned_commit_and_url_of_the_package(self):
        script = Path(__file__).resolve().parents[1] / "fetch-upstream"
        done = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                              cwd=tempfile.gettempdir(), check=True)
        self.assertIn(upstream.PINNED_COMMIT, done.stdout)
        self.assertIn(upstream.REFERENCE_URL, done.stdout)
        self.assertIn("--from SOURCE", done.stdout)


if __name__ == "__main__":
    unittest.main()
