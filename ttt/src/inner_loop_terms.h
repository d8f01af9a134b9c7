#pragma once
// What TTT-Linear's and TTT-MLP's inner loops share: the terms that do not depend on the
// carried weights (computed for all mini-batches at once, before the scan), and the output
// rule applied after it.

#include <ttt/layer.h>

#include "inner_math.h"

#include <vector>

namespace ttt::detail {

struct DualFormTerms {
  torch::Tensor eta_attn1;      // eta * tril(XQ XK^T)          [B, H, N, K, K]
  torch::Tensor tril_eta;       // tril(eta)                    [B, H, N, K, K]
  torch::Tensor last_eta;       // the last token's row of eta  [B, H, N, K, 1]
  torch::Tensor last_eta_x1_t;  // (last_eta * XK)^T            [B, H, N, f, K]
};

inline DualFormTerms dual_form_terms(const MiniBatchInputs& in) {
  DualFormTerms t;
  t.eta_attn1 = in.eta * torch::tril(torch::matmul(in.XQ, in.XK.transpose(-2, -1)));
  t.tril_eta = torch::tril(in.eta);
  t.last_eta = in.eta.select(3, -1).unsqueeze(-1);
  t.last_eta_x1_t = (t.last_eta * in.XK).transpose(-1, -2);
  return t;
}

// XQ + LN(z_bar) per token (it needs no carried weight, so once for all mini-batches),
// [B, H, N, K, f] -> [B, N*K, C].
inline torch::Tensor inner_loop_output(const MiniBatchInputs& in, const std::vector<torch::Tensor>& z_bar,
                                       const torch::Tensor& ln_weight, const torch::Tensor& ln_bias) {
  const auto out = in.XQ + ln_fwd(torch::stack(z_bar, 2), ln_weight.unsqueeze(1), ln_bias.unsqueeze(1));
  const auto B = in.XQ.size(0), H = in.XQ.size(1), N = in.XQ.size(2), K = in.XQ.size(3), f = in.XQ.size(4);
  return out.permute({0, 2, 3, 1, 4}).reshape({B, N * K, H * f});
}

// One mini-batch of the primal form for one inner linear map (W, b) fed X with output
// gradient grad_Z: the per-token weights W_bar/b_bar (each token sees the updates of the
// tokens before it, scaled by its token_eta) and the accumulated gradients, which the last
// token's row carries to the next call.
struct PrimalStep {
  torch::Tensor W_bar;   // [B, H, K, in, out]
  torch::Tensor b_bar;   // [B, H, K, out]
  torch::Tensor grad_W;  // [B, H, K, in, out]
  torch::Tensor grad_b;  // [B, H, K, out]
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
    // in one baddbmm, W_bar = W_state - eta grad_W in one addcmul. Same sums as the general
    // path below with lr applied to x before the outer product.
    const auto B = X.size(0), H = X.size(1), in = X.size(3), out = grad_Z.size(3);
    const auto lr_x = (tril_lr * X).reshape({B * H, in, 1});  // tril_lr: [B, H, 1, 1]
    s.grad_W = torch::baddbmm(W_grad.reshape({B * H, in, out}), lr_x, grad_Z.reshape({B * H, 1, out}))
                   .view({B, H, 1, in, out});
    s.grad_b = torch::addcmul(b_grad, tril_lr, grad_Z);
    s.W_bar = torch::addcmul(W_state.unsqueeze(2), s.grad_W, token_eta.unsqueeze(-1), /*value=*/-1);
    s.b_bar = torch::addcmul(b_state, s.grad_b, token_eta, /*value=*/-1);
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
