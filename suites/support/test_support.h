#pragma once
// What the suites share: the committed fixtures, random layers and inputs.

#include <harness/core/runner.h>

#include <ttt/ttt.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::testing {

// Every committed fixtures/*.h5, sorted.
std::vector<std::string> committed_fixtures();
// Whether a committed fixture stores gradients (/grads), without reading it whole: test
// discovery runs this for every fixture in every test process.
bool has_gradients(const std::string& fixture_path);
// Whether a committed fixture is float64 and its goldens depend on its float32 RoPE table
// (RoPE on, mini_batch_size > 1, so some angle is not 0), from its root attributes alone:
// like has_gradients, test discovery runs it for every fixture in every test process.
bool float64_depends_on_rope_table(const std::string& fixture_path);
// A GoogleTest-safe name for a fixture file: its case id made of [A-Za-z0-9_].
std::string test_name_for(const std::string& fixture_path);

// A layer whose every parameter is moved away from its default initialisation (biases,
// norms, token offsets, gate), so that no term of the forward is trivially zero; the same
// seed gives the same weights for either factory.
std::shared_ptr<ttt::TTTBaseImpl> random_layer(const harness::LayerFactory& factory, ttt::LayerType type,
                                               const ttt::TTTOptions& options, torch::ScalarType dtype,
                                               uint64_t seed, torch::Device device = torch::kCPU);
// Copies every parameter of `from` into `to` by name (same options).
void copy_parameters(const ttt::TTTBaseImpl& from, ttt::TTTBaseImpl& to);

torch::Tensor random_hidden(int64_t batch, int64_t length, int64_t hidden, torch::ScalarType dtype,
                            uint64_t seed, torch::Device device = torch::kCPU);
// [1, L] int64 positions start, start+1, ...
torch::Tensor positions_from(int64_t start, int64_t length, torch::Device device = torch::kCPU);

// max|a - b| / max|b| in float64 (0 when both are zero).
double relative_difference(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace ttt::testing
