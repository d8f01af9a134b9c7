#include "harness/layer_io/random_layers.h"

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

std::shared_ptr<ttt::TTTBaseImpl> random_layer(const LayerFactory& factory, ttt::LayerType type,
                                               const ttt::TTTOptions& options, torch::ScalarType dtype,
                                               uint64_t seed, torch::Device device) {
  auto layer = factory(type, options);
  randomize_parameters(*layer, seed);
  layer->to(device, dtype);
  return layer;
}

torch::Tensor random_hidden(int64_t batch, int64_t length, int64_t hidden, torch::ScalarType dtype,
                            uint64_t seed, torch::Device device, torch::ScalarType drawn_in) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::normal(0.0, 1.0, {batch, length, hidden}, gen, torch::dtype(drawn_in)).to(device, dtype);
}

torch::Tensor positions_from(int64_t start, int64_t length, torch::Device device) {
  return torch::arange(start, start + length, torch::dtype(torch::kInt64).device(device)).unsqueeze(0);
}

}  // namespace ttt::harness
