// TTT-Linear: the inner model is one linear map per head, f -> f.
#include <ttt/layer.h>

#include "inner_math.h"

namespace ttt {
using detail::ln_fused_l2_bwd;
using detail::ln_fwd;

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
  const auto f = in.XV.size(4);
  const auto [ln_weight, ln_bias] = ttt_norm_params();

  // Everything that does not depend on the carried weights, for all mini-batches at once.
  const auto target = in.XV - in.XK;  // reconstruction target of the inner loss
  torch::Tensor eta_attn, tril_eta, last_eta, last_eta_x1_t;
  if (dual_form) {
    eta_attn = in.eta * torch::tril(torch::matmul(in.XQ, in.XK.transpose(-2, -1)));
    tril_eta = torch::tril(in.eta);
    last_eta = in.eta.select(3, -1).unsqueeze(-1);  // [B, H, N, K, 1]: the last token's row
    last_eta_x1_t = (last_eta * in.XK).transpose(-1, -2);
  }

  auto W1_state = init.at("W1_states");
  auto b1_state = init.at("b1_states");
  auto W1_grad = init.at("W1_grad");
  auto b1_grad = init.at("b1_grad");
  std::vector<torch::Tensor> z_bar(N);
  for (int64_t i = 0; i < N; ++i) {
    const auto XQ = in.XQ.select(2, i);
    const auto X1 = in.XK.select(2, i);
    const auto Z1 = torch::matmul(X1, W1_state) + b1_state;
    const auto grad_Z1 = ln_fused_l2_bwd(Z1, target.select(2, i), ln_weight, ln_bias);
    if (dual_form) {
      const auto b1_bar = b1_state - torch::matmul(tril_eta.select(2, i), grad_Z1);
      z_bar[i] = torch::matmul(XQ, W1_state) - torch::matmul(eta_attn.select(2, i), grad_Z1) + b1_bar;
      W1_state = W1_state - torch::matmul(last_eta_x1_t.select(2, i), grad_Z1);
      b1_state = b1_state - torch::sum(last_eta.select(2, i) * grad_Z1, -2, /*keepdim=*/true);
    } else {
      // Primal form: per-token weights, keeping the accumulated gradient for the next call.
      const auto tril_lr = torch::tril(
          in.ttt_lr_eta.select(2, i).expand({B, H, mini_batch_size, mini_batch_size}));
      const auto token_eta = in.token_eta.select(2, i);  // [B, H, K, 1]
      auto grad_W1 = torch::einsum("bhki,bhkj->bhkij", {X1, grad_Z1});
      grad_W1 = torch::einsum("bhnk,bhkij->bhnij", {tril_lr, grad_W1}) + W1_grad.unsqueeze(2);
      const auto grad_b1 = torch::einsum("bhnk,bhki->bhni", {tril_lr, grad_Z1}) + b1_grad;
      const auto W1_bar = W1_state.unsqueeze(2) - grad_W1 * token_eta.unsqueeze(-1);
      const auto b1_bar = b1_state - grad_b1 * token_eta;
      z_bar[i] = torch::matmul(XQ.unsqueeze(3), W1_bar).squeeze(3) + b1_bar;
      W1_state = W1_bar.select(2, -1);
      b1_state = b1_bar.slice(2, mini_batch_size - 1);
      W1_grad = grad_W1.select(2, -1);
      b1_grad = grad_b1.slice(2, mini_batch_size - 1);
    }
  }
  if (dual_form) {  // a full mini-batch leaves nothing to carry
    W1_grad = torch::zeros_like(W1_state);
    b1_grad = torch::zeros_like(b1_state);
  }
  // Output rule: XQ + LN(Z1_bar), per token, so it is applied to all mini-batches at once.
  const auto out = in.XQ + ln_fwd(torch::stack(z_bar, 2), ln_weight.unsqueeze(1), ln_bias.unsqueeze(1));
  FastWeights last{{"W1_states", W1_state}, {"b1_states", b1_state}, {"W1_grad", W1_grad}, {"b1_grad", b1_grad}};
  // [B, H, N, K, f] -> [B, N, K, H, f] -> [B, N*K, C]
  return {out.permute({0, 2, 3, 1, 4}).reshape({B, N * mini_batch_size, H * f}), std::move(last)};
}

}  // namespace ttt
