#pragma once
// What the suites share: the committed fixtures, random layers and inputs.

#include <harness/layer_io/random_layers.h>
#include <harness/runner/compare.h>
#include <harness/runner/runner.h>

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

// Random layers and inputs (harness/layer_io/random_layers.h, shared with the benchmarks).
using harness::positions_from;
using harness::random_hidden;
using harness::random_layer;

// Copies every parameter of `from` into `to` by name (same options).
void copy_parameters(const ttt::TTTBaseImpl& from, ttt::TTTBaseImpl& to);

// Feeds `x` through `cache`: a prefill of `prompt` tokens, then one token at a time; the
// outputs concatenated, [B, L, C].
torch::Tensor prefill_then_tokens(ttt::TTTBaseImpl& layer, const torch::Tensor& x, int64_t prompt, ttt::TTTCache& cache);

// max|a - b| / max|b| in float64 (harness/runner/compare.h).
using harness::relative_difference;

}  // namespace ttt::testing
