#include "bench/flops.h"

namespace ttt::bench {
namespace {

constexpr double kSigmoid = 3;
constexpr double kGelu = 9;
constexpr double kGeluBwd = 17;
constexpr double kLnFwd = 8;     // per element
constexpr double kLnL2Bwd = 19;  // per element

}  // namespace

double inner_dual_flops(LayerType type, double f, double k) {
  if (type == LayerType::Linear) {
    // target = XV - XK                                   kf
    // Z1 = X1 W1 + b1                                    2kf^2 + kf
    // grad = ln_fused_l2_bwd(Z1, target)                 19kf
    // Attn1 = tril(XQ X1^T); eta * Attn1                 2k^2 f + k^2
    // b1_bar = b1 - tril(eta) grad                       2k^2 f + kf
    // Z1_bar = XQ W1 - (eta*Attn1) grad + b1_bar         2kf^2 + 2k^2 f + 2kf
    // W1' = W1 - (last_eta * X1)^T grad                  kf + 2kf^2 + f^2
    // b1' = b1 - sum(last_eta * grad)                    2kf + f
    // out = XQ + ln_fwd(Z1_bar)                          8kf + kf
    return 6 * k * f * f + 6 * k * k * f + k * k + f * f + f + (1 + 1 + kLnL2Bwd + 1 + 2 + 1 + 2 + kLnFwd + 1) * k * f;
  }
  const double F = 4 * f;  // hidden width of the inner MLP
  // target                                             kf
  // Z1 = X1 W1 + b1; X2 = gelu(Z1)                     2kfF + kF + 9kF
  // Z2 = X2 W2 + b2                                    2kFf + kf
  // grad_Z2 = ln_fused_l2_bwd(Z2, target)              19kf
  // grad_Z1 = grad_Z2 W2^T * gelu_bwd(Z1)              2kfF + kF + 17kF
  // Attn1 = tril(XQ X1^T); eta * Attn1                 2k^2 f + k^2
  // b1_bar = b1 - tril(eta) grad_Z1                    2k^2 F + kF
  // Z1_bar = XQ W1 - (eta*Attn1) grad_Z1 + b1_bar      2kfF + 2k^2 F + 2kF
  // X2_bar = gelu(Z1_bar)                              9kF
  // Attn2 = tril(X2_bar X2^T); eta * Attn2             2k^2 F + k^2
  // b2_bar = b2 - tril(eta) grad_Z2                    2k^2 f + kf
  // Z2_bar = X2_bar W2 - (eta*Attn2) grad_Z2 + b2_bar  2kFf + 2k^2 f + 2kf
  // W1' = W1 - (last_eta X1)^T grad_Z1; b1'            kf + 2kfF + fF;  2kF + F
  // W2' = W2 - (last_eta X2)^T grad_Z2; b2'            kF + 2kFf + Ff;  2kf + f
  // out = XQ + ln_fwd(Z2_bar)                          8kf + kf
  const double matmul = 14 * k * f * F + 6 * k * k * f + 6 * k * k * F;
  const double per_kf = 1 + 1 + kLnL2Bwd + 1 + 2 + 1 + 2 + kLnFwd + 1;
  const double per_kF = 1 + kGelu + 1 + kGeluBwd + 1 + 2 + kGelu + 2 + 1;
  return matmul + per_kf * k * f + per_kF * k * F + 2 * k * k + 2 * f * F + F + f;
}

double inner_primal_flops(LayerType type, double f, double k) {
  if (type == LayerType::Linear) {
    // target; Z1 = X1 W1 + b1; grad = ln_fused_l2_bwd  kf + 2kf^2 + kf + 19kf
    // grad_W1 = X1 (x) grad per token                  kf^2
    // grad_W1 = tril(lr) . grad_W1 + W1_grad           2k^2 f^2 + kf^2
    // grad_b1 = tril(lr) . grad + b1_grad              2k^2 f + kf
    // W1_bar = W1 - grad_W1 * token_eta                2kf^2
    // b1_bar = b1 - grad_b1 * token_eta                2kf
    // Z1_bar = XQ W1_bar (per token) + b1_bar          2kf^2 + kf
    // out = XQ + ln_fwd(Z1_bar)                        8kf + kf
    return 8 * k * f * f + 2 * k * k * f * f + 2 * k * k * f + (1 + 1 + kLnL2Bwd + 1 + 2 + 1 + kLnFwd + 1) * k * f;
  }
  const double F = 4 * f;
  // target; Z1; X2 = gelu(Z1); Z2; grad_Z2                  kf + 2kfF + kF + 9kF + 2kFf + kf + 19kf
  // grad_Z1 = grad_Z2 W2^T * gelu_bwd(Z1)                   2kfF + kF + 17kF
  // grad_W2 = X2 (x) grad_Z2; tril(lr) . ; + W2_grad        kFf + 2k^2 Ff + kFf
  // grad_b2 = tril(lr) . grad_Z2 + b2_grad                  2k^2 f + kf
  // grad_W1 = X1 (x) grad_Z1; tril(lr) . ; + W1_grad        kfF + 2k^2 fF + kfF
  // grad_b1 = tril(lr) . grad_Z1 + b1_grad                  2k^2 F + kF
  // W1_bar, b1_bar, W2_bar, b2_bar                          2kfF + 2kF + 2kFf + 2kf
  // Z1_bar = XQ W1_bar + b1_bar; X2_bar = gelu(Z1_bar)      2kfF + kF + 9kF
  // Z2_bar = X2_bar W2_bar + b2_bar                         2kFf + kf
  // out = XQ + ln_fwd(Z2_bar)                               8kf + kf
  const double matmul = 18 * k * f * F + 4 * k * k * f * F + 2 * k * k * f + 2 * k * k * F;
  const double per_kf = 1 + 1 + kLnL2Bwd + 1 + 2 + 1 + kLnFwd + 1;
  const double per_kF = 1 + kGelu + 1 + kGeluBwd + 1 + 2 + 1 + kGelu;
  return matmul + per_kf * k * f + per_kF * k * F;
}

FlopCount layer_flops(LayerType type, const TTTOptions& options, int64_t batch, int64_t length, bool cached) {
  const double B = static_cast<double>(batch);
  const double L = static_cast<double>(length);
  const double C = static_cast<double>(options.hidden_size());
  const double H = static_cast<double>(options.num_attention_heads());
  const double f = static_cast<double>(options.head_dim());
  const int64_t K = options.mini_batch_size();
  const double tokens = B * L;

  FlopCount n;
  if (options.share_qk()) {
    // one shared Q/K projection and V; two causal depthwise convolutions with bias
    n.projections = 2 * 2 * tokens * C * C + 2 * tokens * C * (2 * static_cast<double>(options.conv_kernel()) + 1);
  } else {
    n.projections = 3 * 2 * tokens * C * C;
  }
  // each rotated pair (x0, x1) -> (x0 cos - x1 sin, x1 cos + x0 sin): 6 FLOPs per 2 values
  n.rope = options.use_rope() ? 2 * 3 * tokens * C : 0;
  // einsum bnkc,hdc->bhnkd, + bias, sigmoid, * base_lr / f; then eta = token_eta * ttt_lr_eta,
  // a [k, k] block per (row, head, mini-batch): k^2 per mini-batch of k tokens
  const int64_t full = (length / K) * K;
  const int64_t remainder = length - full;
  auto eta_block = [&](double k) { return k * k; };
  const double mini_batches = static_cast<double>(length / K);
  n.lr_gate = tokens * H * (2 * C + 1 + kSigmoid + 2) +
              B * H * (mini_batches * eta_block(static_cast<double>(K)) + (remainder > 0 ? eta_block(static_cast<double>(remainder)) : 0));
  n.inner = B * H * mini_batches * inner_dual_flops(type, f, static_cast<double>(K));
  if (remainder > 0) {
    const double r = static_cast<double>(remainder);
    n.inner += B * H * (cached ? inner_primal_flops(type, f, r) : inner_dual_flops(type, f, r));
  }
  n.post_norm = kLnFwd * tokens * C;
  if (options.use_gate()) n.gate = 2 * tokens * C * C + (kGelu + 1) * tokens * C;
  n.o_proj = 2 * tokens * C * C;
  return n;
}

double decode_step_bytes(LayerType type, const TTTOptions& options, int64_t batch, int64_t dtype_bytes) {
  const double C = static_cast<double>(options.hidden_size());
  const double H = static_cast<double>(options.num_attention_heads());
  const double f = static_cast<double>(options.head_dim());
  const double F = 4 * f;
  const double projections = (options.share_qk() ? 3 : 4) * C * C + (options.use_gate() ? C * C : 0);
  const double lr_gate = H * C;
  // states and their carried gradients: two of each
  const double fast = type == LayerType::Linear ? 2 * H * (f * f + f) : 2 * H * (f * F + F + F * f + f);
  return (projections + lr_gate + static_cast<double>(batch) * fast) * static_cast<double>(dtype_bytes);
}

}  // namespace ttt::bench
