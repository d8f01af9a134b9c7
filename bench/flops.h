#pragma once
// The analytic FLOP count of one TTT layer call: the one place it is written down (the
// formulas are repeated, with the same names, in docs/PERFORMANCE.md).
//
// Conventions: a multiply-add is 2 FLOPs (an m x k by k x n product is 2mkn, whether or not
// part of it is masked away by tril afterwards: the layer computes it); every elementwise
// add, sub, mul, div, sqrt, tanh, exp costs 1; sigmoid 3 (exp, add, reciprocal); GELU-tanh
// 9; its derivative (ttt.py gelu_bwd) 17; a layer norm of a row of n values 8n forward
// (mean n, variance 3n, normalise 2n, affine 2n) and 19n for ln_fused_l2_bwd (its forward
// 8n, then 11n for the L2 gradient through the norm). Reshapes, permutes, tril, broadcasts,
// table look-ups and the [K] token_idx arithmetic are free.

#include <ttt/options.h>

#include <cstdint>

namespace ttt::bench {

struct FlopCount {
  double projections = 0;  // Q/K/V projections (+ share_qk convolutions)
  double rope = 0;         // rotation of Q and K
  double lr_gate = 0;      // learned per-token learning rate (get_eta) and eta = token_eta * ttt_lr_eta
  double inner = 0;        // the inner loop (dual form per full mini-batch, primal where the layer uses it)
  double post_norm = 0;
  double gate = 0;         // use_gate: g_proj, GELU, product
  double o_proj = 0;

  double total() const { return projections + rope + lr_gate + inner + post_norm + gate + o_proj; }
};

// One call over B x L tokens, as TTTBaseImpl::forward makes it: floor(L/K) mini-batches of K
// tokens in the dual form, then the remainder (L mod K tokens) in the dual form without a
// cache (prefill) or in the primal form with one (cached = true).
FlopCount layer_flops(LayerType type, const TTTOptions& options, int64_t batch, int64_t length,
                      bool cached = false);

// One decoded token (a cached single-token call: the primal form over a mini-batch of 1).
inline FlopCount decode_token_flops(LayerType type, const TTTOptions& options, int64_t batch) {
  return layer_flops(type, options, batch, 1, /*cached=*/true);
}

// The bytes one decode step over `batch` rows must at least read, in a dtype of
// `dtype_bytes`: every weight its products touch, once. The Q, K, V, output (and gate)
// projections and the learning-rate gate's weight are shared by the rows; the fast weights and
// the gradients they carry between tokens (W1, b1, + W2, b2 for TTT-MLP) are per row. Per
// token, over the machine's streaming rate, this is the decode memory floor (bench/run).
double decode_step_bytes(LayerType type, const TTTOptions& options, int64_t batch, int64_t dtype_bytes);

// Inner loop of one (batch row, head) over one mini-batch of k tokens, head_dim f.
double inner_dual_flops(LayerType type, double f, double k);
double inner_primal_flops(LayerType type, double f, double k);

}  // namespace ttt::bench
