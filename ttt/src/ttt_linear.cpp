// TTT-Linear: the inner model is one linear map per head, f -> f.
#include <ttt/layer.h>

#include "fused/dual_scan.h"
#include "inner_loop_terms.h"

namespace ttt {
using detail::ln_fused_l2_bwd;
using detail::add_matmul;
using detail::sub_matmul;

TTTLinearImpl::TTTLinearImpl(TTTOptions opts) : TTTBaseImpl(std::move(opts)) {
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  W1 = register_parameter("W1", torch::normal(0.0, 0.02, {H, f, f}));
  b1 = register_parameter("b1", torch::zeros({H, 1, f}));
}

std::pair<torch::Tensor, FastWeights> TTTLinearImpl::inner_loop(const MiniBatchInputs& in,
                                                                int64_t mini_batch_size,
                                                                const FastWeights& init, bool dual_form) {
  const auto B = in.XV.size(0);
  const auto H = in.XV.size(1);
  const auto N = in.XV.size(2);
  if (dual_form && options.fused_cpu_scan() && detail::fused::serves(in, init)) {
    return detail::fused::dual_scan(LayerType::Linear, in, init, ttt_norm_weight, ttt_norm_bias);
  }
  // The ATen path: bfloat16, CUDA, autograd, the primal form (and the fused pass's reference).
  const auto [ln_weight, ln_bias] = ttt_norm_params();
  const detail::NormStatistics statistics = [this](const torch::Tensor& x) { return norm_statistics(x); };

  // Everything that does not depend on the carried weights, for all mini-batches at once.
  const auto target = in.XV - in.XK;  // reconstruction target of the inner loss
  const auto terms = dual_form ? detail::dual_form_terms(in) : detail::DualFormTerms{};

  // Weight updates in place when nothing records gradients (update_weight).
  const bool in_place = dual_form && !torch::GradMode::is_enabled();
  auto W1_state = detail::carried_copy(init.at("W1_states"), in_place);
  auto b1_state = init.at("b1_states");
  auto W1_grad = init.at("W1_grad");
  auto b1_grad = init.at("b1_grad");
  std::vector<torch::Tensor> z_bar(N);
  for (int64_t i = 0; i < N; ++i) {
    const auto XQ = in.XQ.select(2, i);
    const auto X1 = in.XK.select(2, i);
    const auto Z1 = add_matmul(b1_state, X1, W1_state);
    const auto grad_Z1 = ln_fused_l2_bwd(Z1, target.select(2, i), ln_weight, ln_bias, statistics);
    if (dual_form) {
      z_bar[i] = sub_matmul(add_matmul(b1_state, XQ, W1_state), terms.attn1.select(2, i), grad_Z1);
      detail::update_weight(W1_state, terms.last_eta_x1_t.select(2, i), grad_Z1, in_place);
      b1_state = sub_matmul(b1_state, terms.last_eta_t.select(2, i), grad_Z1);
    } else {
      // Primal form: per-token weights, keeping the accumulated gradient for the next call.
      const auto tril_lr = torch::tril(
          in.ttt_lr_eta.select(2, i).expand({B, H, mini_batch_size, mini_batch_size}));
      const auto token_eta = in.token_eta.select(2, i);  // [B, H, K, 1]
      const auto step1 = detail::primal_step(X1, grad_Z1, tril_lr, token_eta, W1_state, b1_state, W1_grad, b1_grad);
      z_bar[i] = step1.apply(XQ);
      if (in.keeps_last_weights) {
        W1_state = step1.last_W();
        b1_state = step1.b_bar.slice(2, mini_batch_size - 1);
      }
      W1_grad = step1.grad_W.select(2, -1);
      b1_grad = step1.grad_b.slice(2, mini_batch_size - 1);
    }
  }
  FastWeights last{{"W1_states", W1_state}, {"b1_states", b1_state}, {"W1_grad", W1_grad}, {"b1_grad", b1_grad}};
  if (dual_form) detail::zero_carried_gradients(last);  // whole mini-batches leave nothing to carry
  return {detail::inner_loop_output(in, z_bar, ln_weight, ln_bias, statistics), std::move(last)};
}

}  // namespace ttt
