// The fused CPU scan (ttt/src/fused/) held to the layer's own ATen path, the reference
// implementation it replaces for float32/float64 on the CPU: the same layer, the same inputs,
// TTTOptions::fused_cpu_scan flipped. A prefill with a remainder (whole mini-batches and a
// shorter last one, both dual form) and a prefill into a cache (its fast weights after the
// scan), for both layer types at head_dim 64, the real models' width.
#include "suites/golden/fused_scan_check.h"

#include <harness/layer_io/random_layers.h>
#include <harness/runner/compare.h>

#include <ttt/cache.h>

#include <sstream>

namespace ttt::checks {
namespace {

constexpr int64_t kBatch = 2, kHidden = 256, kHeads = 4, kTokens = 75, kFirstPosition = 5;
constexpr uint64_t kSeed = 20261202;

struct Run {
  torch::Tensor output;
  std::map<std::string, torch::Tensor> state;  // the cache after a prefill of kTokens
};

Run run(ttt::TTTBaseImpl& layer, const torch::Tensor& hidden, bool fused) {
  c10::InferenceMode inference;
  layer.options.fused_cpu_scan(fused);
  const auto positions = harness::positions_from(kFirstPosition, hidden.size(1));
  Run r;
  r.output = layer.forward(hidden, positions);
  ttt::TTTCache cache(layer, hidden.size(0));
  layer.forward(hidden, positions, &cache);
  r.state = cache.tensors();
  return r;
}

// Every tensor of `fused` against `aten` (and, for float32, the float64 ATen run as truth).
bool judge(const std::string& what, const Run& fused, const Run& aten, const Run* truth, const std::string& dtype,
           std::ostringstream& detail) {
  const auto tolerance = harness::fused_scan_tolerance(dtype);
  bool ok = true;
  const auto one = [&](const std::string& name, const torch::Tensor& a, const torch::Tensor& e,
                       const torch::Tensor& f) {
    const auto c = harness::compare_tensors(what + " " + name, a, e, tolerance, f);
    if (!c.passed) {
      ok = false;
      detail << " FAIL " << c.tensor << ": " << c.summary() << ";";
    } else if (name == "output") {
      detail << " " << what << " output " << c.summary() << ";";
    }
  };
  one("output", fused.output, aten.output, truth ? truth->output : torch::Tensor());
  for (const auto& [name, e] : aten.state) {
    const auto it = fused.state.find(name);
    if (it == fused.state.end()) {
      ok = false;
      detail << " FAIL " << what << " state " << name << " missing;";
      continue;
    }
    // The carried gradients are zero on both paths after whole mini-batches: nothing to scale by.
    if (e.abs().max().item<double>() == 0 && it->second.abs().max().item<double>() == 0) continue;
    one("state " + name, it->second, e, truth ? truth->state.at(name) : torch::Tensor());
  }
  return ok;
}

}  // namespace

CheckResult fused_scan_matches_aten_path(const Factory& factory) {
  std::ostringstream detail;
  bool ok = true;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    const auto options = ttt::TTTOptions(kHidden, kHeads).mini_batch_size(16);
    const auto name = ttt::to_string(type);
    auto f64 = harness::random_layer(factory, type, options, torch::kFloat64, kSeed);
    const auto hidden64 = harness::random_hidden(kBatch, kTokens, kHidden, torch::kFloat64, kSeed + 1);
    const auto aten64 = run(*f64, hidden64, false);
    ok &= judge(name + " float64", run(*f64, hidden64, true), aten64, nullptr, "float64", detail);

    auto f32 = harness::random_layer(factory, type, options, torch::kFloat32, kSeed);
    const auto hidden32 = hidden64.to(torch::kFloat32);
    ok &= judge(name + " float32", run(*f32, hidden32, true), run(*f32, hidden32, false), &aten64, "float32",
                detail);
  }
  return ok ? pass(detail.str()) : fail(detail.str());
}

}  // namespace ttt::checks
