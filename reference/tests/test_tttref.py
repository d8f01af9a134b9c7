"""Unit tests of the fixture generator: .venv/bin/python -m unittest discover reference/tests

Most tests need no reference; those that run ttt.py skip when none can be found."""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tttref import atomic_file, cases, compare, fixture_io, manifest, randomize, upstream  # noqa: E402


def _reference():
    try:
        return upstream.load_reference()
    except upstream.ReferenceError as err:
        raise unittest.SkipTest(f"no upstream reference: {err}")


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

    def test_bfloat16_share_qk_decode_is_refused(self):
        with self.assertRaises(ValueError):
            cases.Case(case="x", layer="linear", mode="decode", dtype="bfloat16", batch=1,
                       config=cases.cfg(sqk=True), seed=1, description="", prompt_len=4,
                       decode_len=2)


class ReferenceTest(unittest.TestCase):
    def test_no_rope_patch_is_undone_and_changes_the_output(self):
        from tttref import patches, produce

        ref = _reference()
        original = ref.module.apply_rotary_pos_emb
        case = cases.by_name()["linear_rope_f64_b1_l5_k16"]
        params, inputs = produce.case_values(ref, case)
        run = lambda rope: produce.reference_outputs(
            ref, "linear", "prefill", case.config.__class__(**{**case.config.__dict__,
                                                                "use_rope": rope}),
            torch.float64, params, inputs)["outputs/output"]
        on, off = run(True), run(False)
        self.assertIs(ref.module.apply_rotary_pos_emb, original)
        self.assertGreater((on - off).abs().max().item(), 1e-3)
        with self.assertRaises(RuntimeError), patches.rope(ref.module, False):
            raise RuntimeError
        self.assertIs(ref.module.apply_rotary_pos_emb, original)

    def test_produce_is_deterministic(self):
        from tttref import produce

        ref = _reference()
        case = cases.by_name()["mlp_decode_norope_f64_p9_t8_k4"]
        a, b = produce.produce(ref, case, "t"), produce.produce(ref, case, "t")
        self.assertEqual(a.attrs, b.attrs)
        for name in a.datasets:
            self.assertTrue(torch.equal(a.datasets[name], b.datasets[name]), name)

    def test_rope_table_is_the_one_every_position_reads(self):
        """/intermediates/rope_cos, rope_sin [K, f] indexed by position_ids % K are the cos and
        sin the layer rotated with (captured from its rotary_emb during the run)."""
        from tttref import produce

        ref = _reference()
        case = cases.by_name()["linear_rope_f64_b1_l45_k8_pos1037"]
        fx = produce.produce(ref, case, "t")
        K, f = case.config.mini_batch_size, case.config.head_dim
        table_cos, table_sin = fx.datasets["/intermediates/rope_cos"], fx.datasets["/intermediates/rope_sin"]
        self.assertEqual((tuple(table_cos.shape), table_cos.dtype), ((K, f), torch.float64))
        residues = fx.datasets["/inputs/position_ids"][0] % K
        self.assertTrue(torch.equal(table_cos[residues], fx.datasets["/intermediates/cos"][0]))
        self.assertTrue(torch.equal(table_sin[residues], fx.datasets["/intermediates/sin"][0]))
        self.assertTrue(torch.equal(table_cos[:, : f // 2], table_cos[:, f // 2:]))

    def test_low_precision_gradients_have_float64_twins(self):
        """grads/<name>_fp64: float64, the shape of the parameter (or input), one per gradient,
        from the float64 layer's backward run; the low-precision gradient is near it."""
        from tttref import produce

        ref = _reference()
        case = cases.by_name()["linear_rope_bf16_b2_l75_k16"]
        fx = produce.produce(ref, case, "t")
        grads = fx.group("grads")
        twins = {n[:-5]: t for n, t in grads.items() if n.endswith("_fp64")}
        plain = {n: t for n, t in grads.items() if not n.endswith("_fp64")}
        self.assertEqual(set(twins), set(plain))
        self.assertEqual(set(plain), set(fx.group("params")) | {"hidden_states"})
        sources = {**fx.group("params"), "hidden_states": fx.datasets["/inputs/hidden_states"]}
        for name, twin in twins.items():
            self.assertEqual((twin.dtype, twin.shape), (torch.float64, sources[name].shape), name)
            self.assertEqual((plain[name].dtype, plain[name].shape),
                             (torch.bfloat16, sources[name].shape), name)
        g, g64 = plain["hidden_states"].double(), twins["hidden_states"]
        self.assertLess(((g - g64).abs().max() / g64.abs().max()).item(), 0.1)

    def test_low_precision_rotated_qk_have_float64_twins(self):
        """intermediates/XQ_rope_fp64, XK_rope_fp64: float64, the shape of XQ_rope, from the
        float64 layer's run; the only twins among the intermediates; the bf16 Q/K near them."""
        from tttref import produce

        ref = _reference()
        case = cases.by_name()["mlp_rope_bf16_b2_l50_k8"]
        fx = produce.produce(ref, case, "t")
        inter = fx.group("intermediates")
        self.assertEqual({n for n in inter if n.endswith("_fp64")},
                         {"XQ_rope_fp64", "XK_rope_fp64"})
        for name in ("XQ_rope", "XK_rope"):
            plain, twin = inter[name], inter[f"{name}_fp64"]
            self.assertEqual(plain.dtype, torch.bfloat16)
            self.assertEqual((twin.dtype, twin.shape), (torch.float64, inter["XQ_rope"].shape))
            rel = (plain.double() - twin).abs().max() / twin.abs().max()
            self.assertLess(rel.item(), 0.05, name)

    def test_bfloat16_rope_table_uses_the_bf16_rounded_frequencies(self):
        """upstream's inv_freq buffer is rounded by .to(bfloat16); the table is built from it."""
        from tttref import produce

        ref = _reference()
        case = cases.by_name()["mlp_rope_bf16_b2_l50_k8"]
        fx = produce.produce(ref, case, "t")
        K, f = case.config.mini_batch_size, case.config.head_dim
        inv = 1.0 / (case.config.rope_theta ** (torch.arange(0, f, 2).float() / f))
        angles = torch.arange(K).float()[:, None] * inv.to(torch.bfloat16).float()[None]
        want = torch.cat([angles.cos(), angles.cos()], 1).to(torch.bfloat16)
        self.assertTrue(torch.equal(fx.datasets["/intermediates/rope_cos"], want))


if __name__ == "__main__":
    unittest.main()
