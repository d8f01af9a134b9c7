#!/usr/bin/env python3
"""Unit tests of the fixture generator that run the upstream ttt.py (ctest
reference.upstream_unittests):

  .venv/bin/python reference/tests/upstream_tests.py

Exit 77 (ctest SKIP_RETURN_CODE: reported as Skipped, never Passed) after a "SKIPPED:" line
when no reference is found (reference/fetch-upstream brings it); a reference that is found but
unusable (another commit, a modified ttt.py) is a failure, exit 1. Not matched by the default
`unittest discover` pattern (test*.py); under plain unittest these tests skip without a
reference."""

from __future__ import annotations

import json
import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tttref import cases, upstream  # noqa: E402

SKIP_RETURN_CODE = 77


def _reference():
    try:
        return upstream.load_reference()
    except upstream.ReferenceNotFound as err:
        raise unittest.SkipTest(f"no upstream reference: {err}")


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



class CheckpointTest(unittest.TestCase):
    """reference/generate.py --checkpoint (tttref/checkpoint.py) on a tiny TTTForCausalLM
    saved here both ways: save_pretrained, and torch.save(state_dict) beside a config.json."""

    @classmethod
    def setUpClass(cls):
        import tempfile

        cls.ref = _reference()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.folder = Path(cls.tmp.name) / "tiny"
        config = cls.ref.module.TTTConfig(vocab_size=32, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                          num_attention_heads=4, ttt_layer_type="mlp", mini_batch_size=8,
                                          use_cache=False)
        torch.manual_seed(3)
        cls.model = cls.ref.module.TTTForCausalLM(config).eval()
        with torch.no_grad():  # trained-looking weights: not the constructor's zeros and ones
            for p in cls.model.parameters():
                p.add_(0.05 * torch.randn_like(p))
        cls.model.save_pretrained(cls.folder, safe_serialization=True)
        cls.state_file = Path(cls.tmp.name) / "plain" / "weights.pt"
        cls.state_file.parent.mkdir()
        torch.save(cls.model.state_dict(), cls.state_file)
        (cls.state_file.parent / "config.json").write_text((cls.folder / "config.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def fixtures(self, path, dtypes=(torch.float32,), layers=(0, 1)):
        from tttref import checkpoint

        ckpt = checkpoint.load_checkpoint(self.ref, path)
        ids, how = checkpoint.token_ids("20", 32, 0)
        return checkpoint.checkpoint_fixtures(self.ref, ckpt, "tiny", list(layers), list(dtypes), ids, how, 0, "t")

    def test_params_are_the_checkpoints_tensors_bit_for_bit(self):
        state = self.model.state_dict()
        for fx in self.fixtures(self.folder):
            index = json.loads(fx.attrs["provenance"])["checkpoint"]["layer_index"]
            prefix = f"model.layers.{index}.seq_modeling_block."
            params = {n[len("/params/"):]: t for n, t in fx.datasets.items() if n.startswith("/params/")}
            self.assertEqual(set(params), {n[len(prefix):] for n in state if n.startswith(prefix)})
            for name, tensor in params.items():
                self.assertTrue(torch.equal(tensor, state[prefix + name]), name)

    def test_the_input_is_what_the_model_fed_the_layer_and_the_output_its_answer(self):
        ids = torch.randint(0, 32, (1, 20), generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            hidden = self.model.model.embed_tokens(ids)
            decoder = self.model.model.layers[0]
            expected_input = decoder.seq_norm(hidden)
            expected_output = decoder.seq_modeling_block(hidden_states=expected_input,
                                                         position_ids=torch.arange(20)[None])
        fx = self.fixtures(self.folder, layers=(0,))[0]
        self.assertTrue(torch.equal(fx.datasets["/inputs/hidden_states"], expected_input))
        self.assertTrue(torch.equal(fx.datasets["/inputs/position_ids"], torch.arange(20)[None]))
        self.assertTrue(torch.equal(fx.datasets["/outputs/output"], expected_output))
        provenance = json.loads(fx.attrs["provenance"])["checkpoint"]
        self.assertEqual(provenance["file"], "model.safetensors")
        self.assertEqual(len(provenance["sha256"]), 64)

    def test_a_torch_save_state_dict_gives_the_same_fixtures(self):
        a, b = self.fixtures(self.folder), self.fixtures(self.state_file)
        for x, y in zip(a, b):
            self.assertEqual(set(x.datasets), set(y.datasets))
            for name in x.datasets:
                self.assertTrue(torch.equal(x.datasets[name], y.datasets[name]), name)

    def test_low_precision_fixtures_carry_float64_twins(self):
        fx = self.fixtures(self.folder, dtypes=(torch.bfloat16,), layers=(1,))[0]
        self.assertEqual(fx.datasets["/outputs/output"].dtype, torch.bfloat16)
        self.assertEqual(fx.datasets["/outputs/output_fp64"].dtype, torch.float64)

    def test_a_checkpoint_that_does_not_fit_is_one_clear_error(self):
        from tttref import checkpoint

        broken = Path(self.tmp.name) / "broken" / "weights.pt"
        broken.parent.mkdir(exist_ok=True)
        state = dict(self.model.state_dict())
        del state["model.layers.1.seq_modeling_block.W1"]
        torch.save(state, broken)
        (broken.parent / "config.json").write_text((self.folder / "config.json").read_text())
        with self.assertRaisesRegex(checkpoint.CheckpointError, r"missing \['model.layers.1.seq_modeling_block.W1'\]"):
            checkpoint.load_checkpoint(self.ref, broken)
        with self.assertRaisesRegex(checkpoint.CheckpointError, "layer 5 is not in the checkpoint's 2 layers"):
            self.fixtures(self.folder, layers=(5,))


def main() -> int:
    try:
        upstream.load_reference()
    except upstream.ReferenceNotFound as err:
        print("SKIPPED: no upstream reference (run reference/fetch-upstream [--from SOURCE])")
        print(err)
        return SKIP_RETURN_CODE
    except upstream.ReferenceError as err:
        print(f"FAIL: the upstream reference is unusable: {err}")
        return 1
    result = unittest.main(module=__name__, exit=False, verbosity=2).result
    if result.skipped:  # the reference was found: nothing may skip silently
        print(f"FAIL: {len(result.skipped)} test(s) skipped although the reference was found")
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
