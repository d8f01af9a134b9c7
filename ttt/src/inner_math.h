#pragma once
// Closed-form pieces of the inner loop, written op for op as the reference writes them
// (ttt.py ln_fwd, ln_fused_l2_bwd, gelu_bwd): same ATen ops in the same order round the
// same way, which is what lets float64 parity sit near 1e-13 rather than "close".

#include <torch/torch.h>

namespace ttt::detail {

constexpr double kTTTNormEps = 1e-6;

// Layer norm over the last dim with per-head gamma/beta [H, 1, f].
inline torch::Tensor ln_fwd(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& beta) {
  const auto mu = x.mean(-1, /*keepdim=*/true);
  const auto var = x.var(-1, /*unbiased=*/false, /*keepdim=*/true);
  const auto std = torch::sqrt(var + kTTTNormEps);
  const auto x_hat = (x - mu) / std;
  return gamma * x_hat + beta;
}

// Gradient w.r.t. x of 0.5 * |ln(x) - target|^2 (layer norm fused with the L2 loss).
inline torch::Tensor ln_fused_l2_bwd(const torch::Tensor& x, const torch::Tensor& l2_target,
                                     const torch::Tensor& gamma, const torch::Tensor& beta) {
  const auto D = static_cast<double>(x.size(-1));
  const auto mu = x.mean(-1, /*keepdim=*/true);
  const auto var = x.var(-1, /*unbiased=*/false, /*keepdim=*/true);
  const auto std = torch::sqrt(var + kTTTNormEps);
  const auto x_hat = (x - mu) / std;
  const auto y = gamma * x_hat + beta;
  const auto grad_output = y - l2_target;
  const auto grad_x_hat = grad_output * gamma;
  return (1.0 / D) *
         (D * grad_x_hat - grad_x_hat.sum(-1, /*keepdim=*/true) -
          x_hat * (grad_x_hat * x_hat).sum(-1, /*keepdim=*/true)) /
         std;
}

inline torch::Tensor gelu_tanh(const torch::Tensor& x) {
  return torch::gelu(x, "tanh");
}

// Derivative of the tanh-approximated GELU (the reference's gelu_bwd, from Megatron-LM).
inline torch::Tensor gelu_bwd(const torch::Tensor& x) {
  const auto tanh_out = torch::tanh(0.79788456 * x * (1 + 0.044715 * x * x));
  return 0.5 * x * ((1 - tanh_out * tanh_out) * (0.79788456 + 0.1070322243 * x * x)) + 0.5 * (1 + tanh_out);
}

}  // namespace ttt::detail
