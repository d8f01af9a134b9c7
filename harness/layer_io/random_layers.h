#pragma once
// Layers and inputs from a seed, for the suites and the benchmarks: every parameter moved away
// from its default initialisation (biases, norms, token offsets, learning-rate gate), so that
// no term of the forward is trivially zero and a port that ignores a parameter shows it.

#include <harness/layer_io/layer_factory.h>

#include <ttt/ttt.h>

#include <torch/torch.h>

#include <cstdint>
#include <memory>

namespace ttt::harness {

// Overwrites every parameter of `layer` from one seed. The values are drawn in float64 on the
// CPU, then copied into the parameter's own dtype and device, so the same seed gives the same
// weights for every dtype, device and layer subclass.
void randomize_parameters(ttt::TTTBaseImpl& layer, uint64_t seed);

// A layer from `factory`, randomized (the same seed gives the same weights for any factory),
// then moved to `device` and `dtype`.
std::shared_ptr<ttt::TTTBaseImpl> random_layer(const LayerFactory& factory, ttt::LayerType type,
                                               const ttt::TTTOptions& options, torch::ScalarType dtype,
                                               uint64_t seed, torch::Device device = torch::kCPU);

// N(0, 1) hidden states [B, L, C], drawn on the CPU in `drawn_in`, then cast and moved. The
// suites draw in float64 (the same values for every dtype); the benchmarks in float32, since a
// float64 temporary would raise the process's peak memory before the measured call.
torch::Tensor random_hidden(int64_t batch, int64_t length, int64_t hidden, torch::ScalarType dtype,
                            uint64_t seed, torch::Device device = torch::kCPU,
                            torch::ScalarType drawn_in = torch::kFloat64);

// [1, L] int64 positions start, start + 1, ...
torch::Tensor positions_from(int64_t start, int64_t length, torch::Device device = torch::kCPU);

}  // namespace ttt::harness
