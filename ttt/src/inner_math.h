#pragma once
// Closed-form pieces of the inner loop, written as the reference writes them (ttt.py ln_fwd,
// ln_fused_l2_bwd, gelu_bwd, down to its truncated constants): only the variance is computed
// another way (centered_and_std). float64 parity sits near 1e-15 (docs/TOLERANCES.md).

#include <torch/torch.h>

#include <functional>
#include <utility>

namespace ttt::detail {

constexpr double kTTTNormEps = 1e-6;

// x - mean(x) and sqrt(var(x) + eps) over the last dim. The reference calls x.var(); here the
// biased variance is the mean of the squared centred values (two-pass, as accurate), because
// ATen's CPU var over a short last dim runs at about 9 ns per element, 30x slower than the
// mean and square beside it, and the scan calls it once per mini-batch.
inline std::pair<torch::Tensor, torch::Tensor> centered_and_std(const torch::Tensor& x) {
  auto x_centered = x - x.mean(-1, /*keepdim=*/true);
  auto std = torch::sqrt(x_centered.square().mean(-1, /*keepdim=*/true) + kTTTNormEps);
  return {std::move(x_centered), std::move(std)};
}

// The statistics a layer norm uses: x - mean and sqrt(var + eps), by default centered_and_std;
// the layer passes its own (TTTBaseImpl::norm_statistics, a seam for the mutation suite).
using NormStatistics = std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor&)>;

// Layer norm over the last dim with per-head gamma/beta [H, 1, f].
inline torch::Tensor ln_fwd(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& beta,
                            const NormStatistics& statistics = centered_and_std) {
  const auto [x_centered, std] = statistics(x);
  const auto x_hat = x_centered / std;
  return gamma * x_hat + beta;
}

// Gradient w.r.t. x of 0.5 * |ln(x) - target|^2 (layer norm fused with the L2 loss).
inline torch::Tensor ln_fused_l2_bwd(const torch::Tensor& x, const torch::Tensor& l2_target,
                                     const torch::Tensor& gamma, const torch::Tensor& beta,
                                     const NormStatistics& statistics = centered_and_std) {
  const auto D = static_cast<double>(x.size(-1));
  const auto [x_centered, std] = statistics(x);
  const auto x_hat = x_centered / std;
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
