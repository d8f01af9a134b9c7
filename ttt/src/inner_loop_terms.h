#pragma once
// What TTT-Linear's and TTT-MLP's inner loops share: the terms that do not depend on the
// carried weights (computed for all mini-batches at once, before the scan), and the output
// rule applied after it.

#include <ttt/layer.h>

#include "inner_math.h"

#include <vector>

namespace ttt::detail {

struct DualFormTerms {
  torch::Tensor attn1;          // eta * tril(XQ XK^T) + tril(eta)  [B, H, N, K, K]
  torch::Tensor tril_eta;       // tril(eta)                        [B, H, N, K, K]
  torch::Tensor last_eta_t;     // the last token's row of eta, ^T  [B, H, N, 1, K]
  torch::Tensor last_eta_x1_t;  // (last_eta * XK)^T                [B, H, N, f, K]
};

// The reference's Z1_bar = XQ W1 - (eta * Attn1) grad + (b1 - tril(eta) grad) is one product
// here, XQ W1 + b1 - attn1 grad with attn1 summed once for all mini-batches: the same terms,
// one GEMM fewer per mini-batch.
inline DualFormTerms dual_form_terms(const MiniBatchInputs& in) {
  DualFormTerms t;
  t.tril_eta = torch::tril(in.eta);
  t.attn1 = in.eta * torch::tril(torch::matmul(in.XQ, in.XK.transpose(-2, -1))) + t.tril_eta;
  const auto last_eta = in.eta.select(3, -1).unsqueeze(-1);  // [B, H, N, K, 1]
  t.last_eta_t = last_eta.transpose(-1, -2);
  t.last_eta_x1_t = (last_eta * in.XK).transpose(-1, -2);
  return t;
}

// C + alpha A B over the leading [B, H] dims. When C has the result's shape, one GEMM that
// starts from C (beta = 1) with no A B temporary: the weight updates, whose [f, 4f] tensors
// are bigger than L2, cost two passes instead of three. A bias row C ([B, H, 1, n]) is added
// after the product instead: a broadcast C sends baddbmm down a per-matrix addmm loop.
inline torch::Tensor add_matmul(const torch::Tensor& C, const torch::Tensor& A, const torch::Tensor& B,
                                double alpha = 1.0) {
  const auto m = A.size(-2), n = B.size(-1);
  if (C.size(-2) != m) return alpha == 1.0 ? torch::matmul(A, B) + C : C - torch::matmul(A, B);
  auto shape = A.sizes().vec();
  shape.back() = n;
  return torch::baddbmm(C.reshape({-1, m, n}), A.reshape({-1, m, A.size(-1)}),
                        B.reshape({-1, B.size(-2), n}), /*beta=*/1, alpha)
      .view(shape);
}

// W -= A B, the dual form's update of a weight the scan carries. Without autograd, in place
// on the scan's own copy of W (see carried_copy): one pass over W instead of two (an
// out-of-place baddbmm first copies W). With autograd every intermediate W must survive for
// the backward pass, so a new tensor each mini-batch.
inline void update_weight(torch::Tensor& W, const torch::Tensor& A, const torch::Tensor& B, bool in_place) {
  if (!in_place) {
    W = add_matmul(W, A, B, -1.0);
    return;
  }
  W.view({-1, W.size(-2), W.size(-1)})
      .baddbmm_(A.reshape({-1, A.size(-2), A.size(-1)}), B.reshape({-1, B.size(-2), B.size(-1)}), /*beta=*/1,
                /*alpha=*/-1);
}

// The scan's starting weights: a contiguous copy it may update in place when nothing records
// gradients, since the initial weights belong to the layer or to the caller's cache.
inline torch::Tensor carried_copy(const torch::Tensor& W, bool in_place) {
  return in_place ? W.clone(torch::MemoryFormat::Contiguous) : W;
}

inline torch::Tensor sub_matmul(const torch::Tensor& C, const torch::Tensor& A, const torch::Tensor& B) {
  return add_matmul(C, A, B, -1.0);
}

// XQ + LN(z_bar) per token (it needs no carried weight, so once for all mini-batches),
// [B, H, N, K, f] -> [B, N*K, C].
inline torch::Tensor inner_loop_output(const MiniBatchInputs& in, const std::vector<torch::Tensor>& z_bar,
                                       const torch::Tensor& ln_weight, const torch::Tensor& ln_bias,
                                       const NormStatistics& statistics) {
  const auto out = in.XQ + ln_fwd(torch::stack(z_bar, 2), ln_weight.unsqueeze(1), ln_bias.unsqueeze(1), statistics);
  const auto B = in.XQ.size(0), H = in.XQ.size(1), N = in.XQ.size(2), K = in.XQ.size(3), f = in.XQ.size(4);
  return out.permute({0, 2, 3, 1, 4}).reshape({B, N * K, H * f});
}

// One mini-batch of the primal form for one inner linear map (W, b) fed X with output
// gradient grad_Z: the per-token weights W_bar/b_bar (each token sees the updates of the
// tokens before it, scaled by its token_eta) and the accumulated gradients, which the last
// token's row carries to the next call.
struct PrimalStep {
  torch::Tensor b_bar;   // [B, H, K, out]
  torch::Tensor grad_W;  // [B, H, K, in, out]
  torch::Tensor grad_b;  // [B, H, K, out]
  // The per-token weights [B, H, K, in, out] of several tokens. Undefined for one token, whose
  // W_bar = W_state - token_eta grad_W is never written: apply and last_W use these two.
  torch::Tensor W_bar;
  torch::Tensor W_state;    // [B, H, in, out], one token only
  torch::Tensor token_eta;  // [B, H, 1, 1], one token only

  // x [B, H, K, in] through each token's own weights: x_t W_bar_t + b_bar_t.
  torch::Tensor apply(const torch::Tensor& x) const {
    if (W_bar.defined()) return torch::matmul(x.unsqueeze(3), W_bar).squeeze(3) + b_bar;
    // One token: x (W - eta grad_W) as x W - eta (x grad_W), the same sum without writing
    // W_bar, a [B, H, in, out] tensor bigger than L2, for every decoded token.
    const auto B = x.size(0), H = x.size(1), in = x.size(3), out = grad_W.size(-1);
    const auto rows = x.reshape({B * H, 1, in});
    const auto xW = torch::bmm(rows, W_state.reshape({B * H, in, out}));
    const auto xG = torch::bmm(rows, grad_W.reshape({B * H, in, out}));
    return torch::addcmul(xW.view({B, H, 1, out}), xG.view({B, H, 1, out}), token_eta, /*value=*/-1) + b_bar;
  }
  // The last token's weights, [B, H, in, out]: the state the next mini-batch starts from.
  torch::Tensor last_W() const {
    if (W_bar.defined()) return W_bar.select(2, -1);
    return torch::addcmul(W_state, grad_W.select(2, 0), token_eta, /*value=*/-1);
  }
};

inline PrimalStep primal_step(const torch::Tensor& X, const torch::Tensor& grad_Z, const torch::Tensor& tril_lr,
                              const torch::Tensor& token_eta, const torch::Tensor& W_state,
                              const torch::Tensor& b_state, const torch::Tensor& W_grad,
                              const torch::Tensor& b_grad) {
  PrimalStep s;
  const auto K = X.size(2);
  if (K == 1) {
    // A decode step. The [in, out] weight tensors are the only large operands, and touching
    // them is what a token costs (12 heads x 64 x 256 floats for TTT-MLP's W1, bigger than
    // L2), so each is read or written as few times as possible: grad_W = W_grad + (lr x)^T g
    // in one addcmul pass (an out-of-place baddbmm copies W_grad first), and W_bar never
    // written (apply, last_W). Same sums as the general path below, lr applied to x first.
    const auto B = X.size(0), H = X.size(1), in = X.size(3), out = grad_Z.size(3);
    const auto lr_x = (tril_lr * X).reshape({B, H, 1, in, 1});  // tril_lr: [B, H, 1, 1]
    s.grad_W = torch::addcmul(W_grad.unsqueeze(2), lr_x, grad_Z.reshape({B, H, 1, 1, out}));
    s.grad_b = torch::addcmul(b_grad, tril_lr, grad_Z);
    s.b_bar = torch::addcmul(b_state, s.grad_b, token_eta, /*value=*/-1);
    s.W_state = W_state;
    s.token_eta = token_eta;
    return s;
  }
  s.grad_W = torch::einsum("bhnk,bhkij->bhnij", {tril_lr, torch::einsum("bhki,bhkj->bhkij", {X, grad_Z})}) +
             W_grad.unsqueeze(2);
  s.grad_b = torch::einsum("bhnk,bhki->bhni", {tril_lr, grad_Z}) + b_grad;
  s.W_bar = W_state.unsqueeze(2) - s.grad_W * token_eta.unsqueeze(-1);
  s.b_bar = b_state - s.grad_b * token_eta;
  return s;
}

// After whole mini-batches nothing is left to carry: zero every *_grad of `weights`.
inline void zero_carried_gradients(FastWeights& weights) {
  for (auto& [name, t] : weights) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, "_grad") == 0) t = torch::zeros_like(t);
  }
}

}  // namespace ttt::detail
