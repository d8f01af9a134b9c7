// TTT-MLP: the inner model is a two-layer MLP per head, f -> 4f -> f, tanh-GELU between.
#include <ttt/layer.h>

#include "inner_math.h"

namespace ttt {
using detail::gelu_bwd;
using detail::gelu_tanh;
using detail::ln_fused_l2_bwd;
using detail::ln_fwd;

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
  const auto f = in.XV.size(4);
  const auto [ln_weight, ln_bias] = ttt_norm_params();

  const auto target = in.XV - in.XK;
  torch::Tensor eta_attn1, tril_eta, last_eta, last_eta_x1_t;
  if (dual_form) {
    eta_attn1 = in.eta * torch::tril(torch::matmul(in.XQ, in.XK.transpose(-2, -1)));
    tril_eta = torch::tril(in.eta);
    last_eta = in.eta.select(3, -1).unsqueeze(-1);  // [B, H, N, K, 1]
    last_eta_x1_t = (last_eta * in.XK).transpose(-1, -2);
  }

  auto W1_state = init.at("W1_states");
  auto b1_state = init.at("b1_states");
  auto W2_state = init.at("W2_states");
  auto b2_state = init.at("b2_states");
  auto W1_grad = init.at("W1_grad");
  auto b1_grad = init.at("b1_grad");
  auto W2_grad = init.at("W2_grad");
  auto b2_grad = init.at("b2_grad");
  std::vector<torch::Tensor> z_bar(N);
  for (int64_t i = 0; i < N; ++i) {
    const auto XQ = in.XQ.select(2, i);
    const auto X1 = in.XK.select(2, i);
    const auto Z1 = torch::matmul(X1, W1_state) + b1_state;
    const auto X2 = gelu_tanh(Z1);
    const auto Z2 = torch::matmul(X2, W2_state) + b2_state;
    const auto grad_Z2 = ln_fused_l2_bwd(Z2, target.select(2, i), ln_weight, ln_bias);
    const auto grad_Z1 = torch::matmul(grad_Z2, W2_state.transpose(-2, -1)) * gelu_bwd(Z1);
    if (dual_form) {
      const auto eta = tril_eta.select(2, i);
      const auto b1_bar = b1_state - torch::matmul(eta, grad_Z1);
      const auto Z1_bar = torch::matmul(XQ, W1_state) - torch::matmul(eta_attn1.select(2, i), grad_Z1) + b1_bar;
      const auto X2_bar = gelu_tanh(Z1_bar);
      const auto attn2 = torch::tril(torch::matmul(X2_bar, X2.transpose(-2, -1)));
      const auto b2_bar = b2_state - torch::matmul(eta, grad_Z2);
      z_bar[i] = torch::matmul(X2_bar, W2_state) - torch::matmul(in.eta.select(2, i) * attn2, grad_Z2) + b2_bar;

      const auto last = last_eta.select(2, i);
      W1_state = W1_state - torch::matmul(last_eta_x1_t.select(2, i), grad_Z1);
      b1_state = b1_state - torch::sum(last * grad_Z1, -2, /*keepdim=*/true);
      W2_state = W2_state - torch::matmul((last * X2).transpose(-1, -2), grad_Z2);
      b2_state = b2_state - torch::sum(last * grad_Z2, -2, /*keepdim=*/true);
    } else {
      const auto tril_lr = torch::tril(
          in.ttt_lr_eta.select(2, i).expand({B, H, mini_batch_size, mini_batch_size}));
      const auto token_eta = in.token_eta.select(2, i);  // [B, H, K, 1]
      auto grad_W2 = torch::einsum("bhki,bhkj->bhkij", {X2, grad_Z2});
      grad_W2 = torch::einsum("bhnk,bhkij->bhnij", {tril_lr, grad_W2}) + W2_grad.unsqueeze(2);
      const auto grad_b2 = torch::einsum("bhnk,bhki->bhni", {tril_lr, grad_Z2}) + b2_grad;
      auto grad_W1 = torch::einsum("bhki,bhkj->bhkij", {X1, grad_Z1});
      grad_W1 = torch::einsum("bhnk,bhkij->bhnij", {tril_lr, grad_W1}) + W1_grad.unsqueeze(2);
      const auto grad_b1 = torch::einsum("bhnk,bhki->bhni", {tril_lr, grad_Z1}) + b1_grad;

      const auto W1_bar = W1_state.unsqueeze(2) - grad_W1 * token_eta.unsqueeze(-1);
      const auto b1_bar = b1_state - grad_b1 * token_eta;
      const auto W2_bar = W2_state.unsqueeze(2) - grad_W2 * token_eta.unsqueeze(-1);
      const auto b2_bar = b2_state - grad_b2 * token_eta;
      const auto Z1_bar = torch::matmul(XQ.unsqueeze(3), W1_bar).squeeze(3) + b1_bar;
      const auto X2_bar = gelu_tanh(Z1_bar);
      z_bar[i] = torch::matmul(X2_bar.unsqueeze(3), W2_bar).squeeze(3) + b2_bar;

      const auto last_token = mini_batch_size - 1;
      W1_state = W1_bar.select(2, -1);
      b1_state = b1_bar.slice(2, last_token);
      W2_state = W2_bar.select(2, -1);
      b2_state = b2_bar.slice(2, last_token);
      W1_grad = grad_W1.select(2, -1);
      b1_grad = grad_b1.slice(2, last_token);
      W2_grad = grad_W2.select(2, -1);
      b2_grad = grad_b2.slice(2, last_token);
    }
  }
  if (dual_form) {
    W1_grad = torch::zeros_like(W1_state);
    b1_grad = torch::zeros_like(b1_state);
    W2_grad = torch::zeros_like(W2_state);
    b2_grad = torch::zeros_like(b2_state);
  }
  const auto out = in.XQ + ln_fwd(torch::stack(z_bar, 2), ln_weight.unsqueeze(1), ln_bias.unsqueeze(1));
  FastWeights last{{"W1_states", W1_state}, {"b1_states", b1_state}, {"W2_states", W2_state},
                   {"b2_states", b2_state}, {"W1_grad", W1_grad},   {"b1_grad", b1_grad},
                   {"W2_grad", W2_grad},     {"b2_grad", b2_grad}};
  return {out.permute({0, 2, 3, 1, 4}).reshape({B, N * mini_batch_size, H * f}), std::move(last)};
}

}  // namespace ttt
