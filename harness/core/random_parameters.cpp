#include "harness/core/random_parameters.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ttt::harness {

void randomize_parameters(ttt::TTTBaseImpl& layer, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  for (auto& param : layer.named_parameters()) {
    auto& p = param.value();
    const auto noise = at::normal(0.0, 1.0, p.sizes(), gen, torch::dtype(torch::kFloat64));
    const auto& name = param.key();
    torch::Tensor value;
    if (name == "ttt_norm_weight" || name == "post_norm.weight") {
      value = 1.0 + 0.2 * noise;
    } else if (name == "learnable_token_idx") {
      value = 0.05 * noise;
    } else if (name == "learnable_ttt_lr_bias") {
      value = 0.5 * noise;
    } else if (name == "W1" || name == "W2") {
      value = 0.05 * noise;
    } else if (p.dim() >= 2) {
      value = noise / std::sqrt(static_cast<double>(p.size(-1)));  // projections, conv kernels
    } else {
      value = 0.1 * noise;  // biases
    }
    p.copy_(value);
  }
}

}  // namespace ttt::harness
