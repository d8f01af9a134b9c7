// TTT-MLP: the inner model is a two-layer MLP per head, f -> 4f -> f, tanh-GELU between.
#include <ttt/layer.h>

#include "fused/dual_scan.h"
#include "inner_loop_terms.h"

namespace ttt {
using detail::add_matmul;
using detail::gelu_bwd;
using detail::sub_matmul;
using detail::gelu_tanh;
using detail::ln_fused_l2_bwd;

TTTMLPImpl::TTTMLPImpl(TTTOptions opts) : TTTBaseImpl(std::move(opts)) {
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  W1 = register_parameter("W1", torch::normal(0.0, 0.02, {H, f, 4 * f}));
  b1 = register_parameter("b1", torch::zeros({H, 1, 4 * f}));
  W2 = register_parameter("W2", torch::normal(0.0, 0.02, {H, 4 * f, f}));
  b2 = register_parameter("b2", torch::zeros({H, 1, f}));
}

std::pair<torch::Tensor, FastWeights> TTTMLPImpl::inner_loop(const MiniBatchInputs& in, int64_t mini_batch_size,
                                                             const FastWeights& init, bool dual_form) {
  const auto B = in.XV.size(0);
  const auto H = in.XV.size(1);
  const auto N = in.XV.size(2);
  if (dual_form && options.fused_cpu_scan() && detail::fused::serves(in, init)) {
    return detail::fused::dual_scan(LayerType::MLP, in, init, ttt_norm_weight, ttt_norm_bias);
  }
  // The ATen path: bfloat16, CUDA, autograd, the primal form (and the fused pass's reference).
  const auto [ln_weight, ln_bias] = ttt_norm_params();
  const detail::NormStatistics statistics = [this](const torch::Tensor& x) { return norm_statistics(x); };

  const auto target = in.XV - in.XK;
  const auto terms = dual_form ? detail::dual_form_terms(in) : detail::DualFormTerms{};

  // Weight updates in place when nothing records gradients (update_weight).
  const bool in_place = dual_form && !torch::GradMode::is_enabled();
  auto W1_state = detail::carried_copy(init.at("W1_states"), in_place);
  auto b1_state = init.at("b1_states");
  auto W2_state = detail::carried_copy(init.at("W2_states"), in_place);
  auto b2_state = init.at("b2_states");
  auto W1_grad = init.at("W1_grad");
  auto b1_grad = init.at("b1_grad");
  auto W2_grad = init.at("W2_grad");
  auto b2_grad = init.at("b2_grad");
  std::vector<torch::Tensor> z_bar(N);
  for (int64_t i = 0; i < N; ++i) {
    const auto XQ = in.XQ.select(2, i);
    const auto X1 = in.XK.select(2, i);
    const auto Z1 = add_matmul(b1_state, X1, W1_state);
    const auto X2 = gelu_tanh(Z1);
    const auto Z2 = add_matmul(b2_state, X2, W2_state);
    const auto grad_Z2 = ln_fused_l2_bwd(Z2, target.select(2, i), ln_weight, ln_bias, statistics);
    const auto grad_Z1 = torch::matmul(grad_Z2, W2_state.transpose(-2, -1)) * gelu_bwd(Z1);
    if (dual_form) {
      const auto X2_bar = gelu_tanh(sub_matmul(add_matmul(b1_state, XQ, W1_state), terms.attn1.select(2, i), grad_Z1));
      // The second layer's attention term, eta * tril(X2_bar X2^T) + tril(eta), as for the first.
      const auto attn2 = in.eta.select(2, i) * torch::tril(torch::matmul(X2_bar, X2.transpose(-2, -1))) +
                         terms.tril_eta.select(2, i);
      z_bar[i] = sub_matmul(add_matmul(b2_state, X2_bar, W2_state), attn2, grad_Z2);

      const auto last_t = terms.last_eta_t.select(2, i);
      detail::update_weight(W1_state, terms.last_eta_x1_t.select(2, i), grad_Z1, in_place);
      b1_state = sub_matmul(b1_state, last_t, grad_Z1);
      detail::update_weight(W2_state, (last_t.transpose(-1, -2) * X2).transpose(-1, -2), grad_Z2, in_place);
      b2_state = sub_matmul(b2_state, last_t, grad_Z2);
    } else {
      const auto tril_lr = torch::tril(
          in.ttt_lr_eta.select(2, i).expand({B, H, mini_batch_size, mini_batch_size}));
      const auto token_eta = in.token_eta.select(2, i);  // [B, H, K, 1]
      const auto step2 = detail::primal_step(X2, grad_Z2, tril_lr, token_eta, W2_state, b2_state, W2_grad, b2_grad);
      const auto step1 = detail::primal_step(X1, grad_Z1, tril_lr, token_eta, W1_state, b1_state, W1_grad, b1_grad);
      const auto X2_bar = gelu_tanh(step1.apply(XQ));
      z_bar[i] = step2.apply(X2_bar);

      const auto last_token = mini_batch_size - 1;
      if (in.keeps_last_weights) {
        W1_state = step1.last_W();
        b1_state = step1.b_bar.slice(2, last_token);
        W2_state = step2.last_W();
        b2_state = step2.b_bar.slice(2, last_token);
      }
      W1_grad = step1.grad_W.select(2, -1);
      b1_grad = step1.grad_b.slice(2, last_token);
      W2_grad = step2.grad_W.select(2, -1);
      b2_grad = step2.grad_b.slice(2, last_token);
    }
  }
  FastWeights last{{"W1_states", W1_state}, {"b1_states", b1_state}, {"W2_states", W2_state},
                   {"b2_states", b2_state}, {"W1_grad", W1_grad},   {"b1_grad", b1_grad},
                   {"W2_grad", W2_grad},     {"b2_grad", b2_grad}};
  if (dual_form) detail::zero_carried_gradients(last);
  return {detail::inner_loop_output(in, z_bar, ln_weight, ln_bias, statistics), std::move(last)};
}

}  // namespace ttt
