"""The committed case matrix: one Case per fixture file `<case>.h5`."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .layer import DTYPES, LAYER_TYPES, LayerConfig


@dataclass(frozen=True)
class Case:
    case: str
    layer: str  # "linear" | "mlp"
    mode: str  # "prefill" | "decode"
    dtype: str  # "float64" | "float32" | "bfloat16"
    batch: int
    config: LayerConfig
    seed: int
    description: str
    seq_len: int = 0  # prefill: L
    positions: tuple[int, ...] = (0,)  # prefill: start of each row; one start -> [1,L]
    prompt_len: int = 0  # decode: P
    decode_len: int = 0  # decode: T
    grads: bool = False  # prefill: /inputs/grad_output, /grads/*
    intermediates: bool = False  # prefill: /intermediates/cos, sin, XQ_rope, XK_rope
    clamp_token_idx: bool = True  # push some token_idx entries below the clamp at 0

    def __post_init__(self):
        if self.layer not in LAYER_TYPES or self.mode not in ("prefill", "decode"):
            raise ValueError(f"{self.case}: bad layer/mode")
        if self.dtype not in DTYPES:
            raise ValueError(f"{self.case}: bad dtype {self.dtype}")
        if self.mode == "prefill":
            if self.seq_len < 1 or self.prompt_len or self.decode_len:
                raise ValueError(f"{self.case}: prefill needs seq_len only")
            if len(self.positions) not in (1, self.batch):
                raise ValueError(f"{self.case}: positions needs 1 or B starts")
            if self.intermediates and (len(self.positions) != 1 or not self.config.use_rope):
                raise ValueError(f"{self.case}: intermediates need [1,L] positions and rope")
        else:
            if self.prompt_len < 1 or self.decode_len < 1 or self.seq_len:
                raise ValueError(f"{self.case}: decode needs prompt_len >= 1 and decode_len >= 1")
            if self.grads or self.intermediates or self.positions != (0,):
                raise ValueError(f"{self.case}: decode cases have fixed positions, no grads")
            if self.dtype == "bfloat16" and self.config.share_qk:
                # TTTCache keeps share_qk conv states in float32 whatever the layer dtype;
                # the reference then fails in a float32 x bfloat16 matmul.
                raise ValueError(f"{self.case}: bfloat16 + share_qk decode crashes the reference")

    @property
    def low_precision(self) -> bool:
        return self.dtype != "float64"

    def position_ids(self) -> torch.Tensor:
        """int64 [1,L] or [B,L]: arange(start, start + L) per row."""
        return torch.stack([torch.arange(s, s + self.seq_len, dtype=torch.long)
                            for s in self.positions])


def cfg(C=64, H=4, K=16, theta=10000.0, lr=1.0, gate=False, sqk=False, ck=4, rope=True):
    return LayerConfig(hidden_size=C, num_attention_heads=H, mini_batch_size=K,
                       rope_theta=float(theta), ttt_base_lr=float(lr), use_gate=gate,
                       share_qk=sqk, conv_kernel=ck, use_rope=rope)


def _prefill(case, layer, dtype, B, L, config, seed, description, **kw):
    return Case(case=case, layer=layer, mode="prefill", dtype=dtype, batch=B, seq_len=L,
                config=config, seed=seed, description=description, **kw)


def _decode(case, layer, dtype, B, P, T, config, seed, description, **kw):
    return Case(case=case, layer=layer, mode="decode", dtype=dtype, batch=B, prompt_len=P,
                decode_len=T, config=config, seed=seed, description=description, **kw)


F64, F32, BF16 = "float64", "float32", "bfloat16"

MATRIX: tuple[Case, ...] = (
    # ---- TTT-Linear, prefill ------------------------------------------------------------
    _prefill("linear_rope_f64_b2_l64_k16", "linear", F64, 2, 64, cfg(), 101,
             "TTT-Linear baseline: whole mini-batches in dual form from position 0; "
             "gradients of every parameter; rope intermediates",
             grads=True, intermediates=True),
    _prefill("linear_rope_f64_b2_l75_k16", "linear", F64, 2, 75, cfg(), 102,
             "L % K = 11: remainder mini-batch continues from the last full one's weights",
             intermediates=True),
    _prefill("linear_rope_f64_b1_l40_k8_pos16_theta500", "linear", F64, 1, 40,
             cfg(K=8, theta=500, lr=0.5), 103,
             "positions start at 16 (a multiple of K); rope_theta 500; ttt_base_lr 0.5",
             positions=(16,)),
    _prefill("linear_rope_f64_b1_l45_k8_pos1037", "linear", F64, 1, 45, cfg(K=8), 104,
             "positions start at 1037 (not a multiple of K): rope uses position_ids % K, "
             "mini-batches still split at token 0 of the call", positions=(1037,),
             intermediates=True),
    _prefill("linear_rope_f64_b3_l37_k4_rowpos", "linear", F64, 3, 37, cfg(C=48, H=3, K=4), 105,
             "per-row position_ids [B,L] with starts 0, 12 and 1029", positions=(0, 12, 1029)),
    _prefill("linear_norope_f64_b2_l48_k16", "linear", F64, 2, 48, cfg(rope=False), 106,
             "use_rope off: Q and K not rotated, everything else unchanged"),
    _prefill("linear_rope_f64_b2_l21_k1", "linear", F64, 2, 21, cfg(C=32, H=4, K=1, lr=0.3), 107,
             "mini_batch_size 1 (head_dim 8): every token is its own mini-batch; rope angle 0"),
    _prefill("linear_rope_f64_b1_l5_k16", "linear", F64, 1, 5, cfg(), 108,
             "L < K: no full mini-batch, only the remainder from the initial weights"),
    _prefill("linear_gate_f64_b2_l50_k8_theta1e6", "linear", F64, 2, 50,
             cfg(K=8, theta=1e6, lr=2.0, gate=True), 109,
             "use_gate (tanh-GELU gate on g_proj); rope_theta 1e6; ttt_base_lr 2.0"),
    _prefill("linear_sqk3_gate_f64_b2_l44_k8", "linear", F64, 2, 44,
             cfg(K=8, gate=True, sqk=True, ck=3), 110,
             "share_qk with causal depthwise convs (conv_kernel 3) and gate; gradients incl. "
             "conv and gate parameters", grads=True),
    _prefill("linear_sqk5_f64_b1_l29_k4_pos1030", "linear", F64, 1, 29,
             cfg(K=4, sqk=True, ck=5), 111,
             "share_qk, conv_kernel 5 (longer than some mini-batches); positions from 1030",
             positions=(1030,)),
    _prefill("linear_rope_f64_b2_l96_k16_hd64", "linear", F64, 2, 96, cfg(C=128, H=2), 112,
             "head_dim 64 (hidden 128, 2 heads)"),
    _prefill("linear_long_f64_b1_l2048_k16", "linear", F64, 1, 2048, cfg(C=32, H=2), 113,
             "long sequence: 128 mini-batches of state carried forward"),
    _prefill("linear_rope_f32_b2_l75_k16", "linear", F32, 2, 75, cfg(), 114,
             "float32 with remainder; output_fp64 from the same values; gradients with "
             "their float64 twins; rotated Q/K with float64 twins", grads=True,
             intermediates=True),
    _prefill("linear_norope_f32_b1_l33_k8_pos1005", "linear", F32, 1, 33, cfg(K=8, rope=False),
             115, "float32, use_rope off, positions from 1005", positions=(1005,)),
    _prefill("linear_rope_bf16_b2_l75_k16", "linear", BF16, 2, 75, cfg(), 116,
             "bfloat16 (token_idx and rotary inv_freq buffers rounded to bf16 by .to()); "
             "output_fp64; gradients with their float64 twins; rotated Q/K with float64 "
             "twins", grads=True, intermediates=True),
    _prefill("linear_sqk4_gate_bf16_b2_l40_k8", "linear", BF16, 2, 40,
             cfg(K=8, gate=True, sqk=True, ck=4), 117,
             "bfloat16 share_qk (conv_kernel 4) with gate, no cache; output_fp64"),
    _prefill("linear_norope_bf16_b1_l29_k8", "linear", BF16, 1, 29, cfg(C=32, H=2, K=8, rope=False), 118,
             "bfloat16, use_rope off: the bf16 path with no rotation at all (no layer table judged); "
             "output_fp64"),
    _prefill("linear_rope_f32_b1_l29_k8_pos1013", "linear", F32, 1, 29, cfg(C=32, H=2, K=8), 119,
             "float32 rope from position 1013 (1013 % 8 = 5): residues start mid-table while the "
             "mini-batches still split at token 0; output_fp64", positions=(1013,)),
    _prefill("linear_rope_bf16_b2_l27_k8_rowpos", "linear", BF16, 2, 27, cfg(C=32, H=2, K=8), 120,
             "bfloat16 per-row position_ids [B,L] with starts 3 and 1029, neither a multiple of K; "
             "output_fp64", positions=(3, 1029)),
    # ---- TTT-MLP, prefill ---------------------------------------------------------------
    _prefill("mlp_rope_f64_b2_l64_k16", "mlp", F64, 2, 64, cfg(), 201,
             "TTT-MLP baseline: whole mini-batches in dual form; gradients of every "
             "parameter; rope intermediates", grads=True, intermediates=True),
    _prefill("mlp_rope_f64_b2_l75_k16_pos32", "mlp", F64, 2, 75, cfg(), 202,
             "TTT-MLP remainder (L % K = 11), positions from 32 (a multiple of K)",
             positions=(32,)),
    _prefill("mlp_norope_f64_b1_l37_k4_pos1234", "mlp", F64, 1, 37, cfg(K=4, rope=False), 203,
             "TTT-MLP use_rope off, positions from 1234", positions=(1234,)),
    _prefill("mlp_sqk5_gate_f64_b2_l40_k8", "mlp", F64, 2, 40,
             cfg(K=8, lr=0.5, gate=True, sqk=True, ck=5), 204,
             "TTT-MLP share_qk (conv_kernel 5) with gate; gradients incl. conv and gate",
             grads=True),
    _prefill("mlp_rope_f64_b1_l80_k16_hd64_theta500", "mlp", F64, 1, 80,
             cfg(C=128, H=2, theta=500), 205, "TTT-MLP head_dim 64; rope_theta 500"),
    _prefill("mlp_rope_f64_b2_l13_k1", "mlp", F64, 2, 13, cfg(C=32, H=2, K=1, lr=0.3), 206,
             "TTT-MLP mini_batch_size 1"),
    _prefill("mlp_rope_f64_b2_l30_k8_rowpos", "mlp", F64, 2, 30, cfg(C=32, H=2, K=8), 207,
             "TTT-MLP per-row position_ids [B,L] with starts 5 and 1003", positions=(5, 1003)),
    _prefill("mlp_rope_f32_b2_l50_k8", "mlp", F32, 2, 50, cfg(K=8), 208,
             "TTT-MLP float32 with remainder; output_fp64; gradients with their float64 "
             "twins; rotated Q/K with float64 twins", grads=True, intermediates=True),
    _prefill("mlp_rope_bf16_b2_l50_k8", "mlp", BF16, 2, 50, cfg(K=8, lr=0.5), 209,
             "TTT-MLP bfloat16 with remainder; output_fp64; gradients with their float64 "
             "twins; rotated Q/K with float64 twins", grads=True, intermediates=True),
    _prefill("mlp_long_f32_b1_l2048_k16", "mlp", F32, 1, 2048, cfg(C=32, H=2), 210,
             "TTT-MLP long float32 sequence; output_fp64 shows the reference's own drift"),
    _prefill("mlp_norope_f32_b1_l29_k8", "mlp", F32, 1, 29, cfg(C=32, H=2, K=8, rope=False), 211,
             "TTT-MLP float32, use_rope off; output_fp64"),
    _prefill("mlp_norope_bf16_b1_l29_k8", "mlp", BF16, 1, 29, cfg(C=32, H=2, K=8, rope=False), 212,
             "TTT-MLP bfloat16, use_rope off; output_fp64"),
    _prefill("mlp_rope_f32_b1_l27_k4_pos1030", "mlp", F32, 1, 27, cfg(C=32, H=2, K=4), 213,
             "TTT-MLP float32 rope from position 1030 (1030 % 4 = 2); output_fp64", positions=(1030,)),
    _prefill("mlp_rope_bf16_b1_l29_k8_pos1005", "mlp", BF16, 1, 29, cfg(C=32, H=2, K=8), 214,
             "TTT-MLP bfloat16 rope from position 1005 (1005 % 8 = 5); output_fp64", positions=(1005,)),
    # ---- decode through TTTCache ----------------------------------------------------------
    _decode("linear_decode_f64_p32_t12_k16", "linear", F64, 2, 32, 12, cfg(), 301,
            "decode after a prompt of whole mini-batches; tokens 32..43 in primal form"),
    _decode("linear_decode_f64_p37_t12_k16", "linear", F64, 2, 37, 12, cfg(), 302,
            "prompt with remainder 5: cache keeps the remainder's gradients; decode "
            "crosses the mini-batch boundary at 48"),
    _decode("linear_decode_f64_p5_t14_k8", "linear", F64, 1, 5, 14, cfg(K=8, lr=0.5), 303,
            "prompt shorter than a mini-batch; decode crosses boundaries at 8 and 16"),
    _decode("linear_decode_f64_p6_t5_k1", "linear", F64, 2, 6, 5, cfg(C=32, H=4, K=1), 304,
            "mini_batch_size 1: every decode token is a full mini-batch (dual form)"),
    _decode("linear_decode_sqk2_f64_p13_t9_k4", "linear", F64, 2, 13, 9,
            cfg(K=4, sqk=True, ck=2), 305,
            "share_qk decode, conv_kernel 2: conv states kept by TTTCache in float32"),
    _decode("linear_decode_sqk5_f64_p3_t7_k4", "linear", F64, 1, 3, 7,
            cfg(K=4, sqk=True, ck=5, gate=True), 306,
            "share_qk decode with a prompt shorter than conv_kernel 5 (zero-padded "
            "conv state); gate"),
    _decode("linear_decode_f32_p21_t11_k8", "linear", F32, 2, 21, 11, cfg(K=8), 307,
            "float32 decode; output_fp64 for both phases"),
    _decode("linear_decode_sqk3_f32_p10_t6_k4", "linear", F32, 1, 10, 6,
            cfg(K=4, sqk=True, ck=3), 308, "float32 share_qk decode; output_fp64"),
    _decode("linear_decode_bf16_p13_t7_k8", "linear", BF16, 1, 13, 7, cfg(C=32, H=2, K=8), 309,
            "bfloat16 decode from position 13 (13 % 8 = 5), crossing the boundary at 16; "
            "output_fp64 for both phases"),
    _decode("linear_decode_norope_bf16_p10_t6_k4", "linear", BF16, 1, 10, 6,
            cfg(C=32, H=2, K=4, rope=False), 310,
            "bfloat16 decode with use_rope off; output_fp64 for both phases"),
    _decode("mlp_decode_f64_p32_t12_k16", "mlp", F64, 2, 32, 12, cfg(), 401,
            "TTT-MLP decode after whole mini-batches"),
    _decode("mlp_decode_f64_p37_t12_k16", "mlp", F64, 2, 37, 12, cfg(), 402,
            "TTT-MLP decode after a prompt with remainder 5, crossing the boundary at 48"),
    _decode("mlp_decode_sqk3_gate_f64_p19_t10_k8", "mlp", F64, 2, 19, 10,
            cfg(K=8, gate=True, sqk=True, ck=3), 403,
            "TTT-MLP share_qk (conv_kernel 3) + gate decode; float32 conv states"),
    _decode("mlp_decode_norope_f64_p9_t8_k4", "mlp", F64, 1, 9, 8, cfg(K=4, rope=False), 404,
            "TTT-MLP decode with use_rope off"),
    _decode("mlp_decode_bf16_p20_t10_k8", "mlp", BF16, 2, 20, 10, cfg(K=8), 405,
            "TTT-MLP bfloat16 decode; output_fp64 for both phases"),
    _decode("mlp_decode_f32_p11_t7_k4", "mlp", F32, 1, 11, 7, cfg(C=32, H=2, K=4), 406,
            "TTT-MLP float32 decode from position 11 (11 % 4 = 3), crossing the boundaries at 12 "
            "and 16; output_fp64 for both phases"),
    _decode("mlp_decode_norope_f32_p10_t6_k4", "mlp", F32, 1, 10, 6, cfg(C=32, H=2, K=4, rope=False), 407,
            "TTT-MLP float32 decode with use_rope off; output_fp64 for both phases"),
)


# The nightly tier's real-shape layers, never committed (scripts/nightly-real-shape generates
# them into out/ wherever the reference is, docs/NIGHTLY.md): the 1.3B model's layer (upstream's
# "1b" config: hidden 2048, 32 heads, head_dim 64, mini-batch 16; 34 MB of bfloat16 weights), with
# random weights (no 1.3B checkpoint is to be had here) and a short sequence, so that it takes
# minutes on two cores. Generated only by name (--cases); --check and --list leave them out.
NIGHTLY: tuple[Case, ...] = (
    _prefill("linear_1b_bf16_b1_l256_k16", "linear", BF16, 1, 256, cfg(C=2048, H=32, K=16), 901,
             "the 1.3B model's TTT-Linear layer shape (hidden 2048, 32 heads, head_dim 64), random "
             "weights, L = 256; output_fp64"),
    _prefill("mlp_1b_bf16_b1_l256_k16", "mlp", BF16, 1, 256, cfg(C=2048, H=32, K=16), 902,
             "the 1.3B model's TTT-MLP layer shape (hidden 2048, 32 heads, head_dim 64), random "
             "weights, L = 256; output_fp64"),
)


def by_name(nightly: bool = False) -> dict[str, Case]:
    """The matrix by case id; with nightly, the NIGHTLY cases too."""
    out: dict[str, Case] = {}
    everything = MATRIX + NIGHTLY
    for case in MATRIX + (NIGHTLY if nightly else ()):
        if case.case in out:
            raise ValueError(f"duplicate case id {case.case}")
        out[case.case] = case
    seeds = [c.seed for c in everything]
    if len(set(seeds)) != len(seeds):
        raise ValueError("case seeds must be unique")
    return out
