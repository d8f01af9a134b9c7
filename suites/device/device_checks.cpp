// Device placement. Everything the layer holds or computes lives on the input's device.
// Without a GPU, the "meta" device plays the second device: a table built on the CPU while
// the input is elsewhere fails there exactly as it would on CUDA.
#include "suites/support/check.h"
#include "suites/support/test_support.h"

#include <harness/runner/compare.h>
#include <harness/runner/tolerance.h>

namespace ttt::checks {
namespace {

using testing::positions_from;
using testing::random_hidden;
using testing::random_layer;

const std::vector<ttt::TTTOptions>& variants() {
  static const std::vector<ttt::TTTOptions> all{
      ttt::TTTOptions(32, 2).mini_batch_size(8),
      ttt::TTTOptions(32, 2).mini_batch_size(8).share_qk(true).conv_kernel(3).use_gate(true),
  };
  return all;
}

std::string off_device(const ttt::TTTBaseImpl& layer, const torch::Device& device) {
  for (const auto& p : layer.named_parameters()) {
    if (p.value().device() != device) return "parameter " + p.key() + " is on " + p.value().device().str();
  }
  for (const auto& b : layer.named_buffers()) {
    if (b.value().device() != device) return "buffer " + b.key() + " is on " + b.value().device().str();
  }
  return "";
}

// RoPE alone needs no parameter, so a layer left on the CPU must still build its tables and
// rotate Q/K/V on whatever device the input is on (the meta device stands in for a GPU:
// libtorch cannot move parameters there, but a CPU-built table fails against it as on CUDA).
std::string rope_follows(const Factory& factory, const torch::Device& device) {
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = factory(type, variants()[0]);
    for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      const auto positions = positions_from(1003, 21, device);
      const auto like = torch::zeros({2, 2, 21, 16}, torch::dtype(dtype).device(device));
      const auto tables = layer->rope_tables_for(positions, like);
      if (tables.cos.device() != device || tables.sin.device() != device) {
        return "RoPE tables for an input on " + device.str() + " are on " + tables.cos.device().str();
      }
      const auto [q, k, v] = layer->rotate_qkv(like, like, like, positions);
      if (q.device() != device || k.device() != device || v.device() != device) {
        return "rotated Q/K/V left " + device.str();
      }
    }
  }
  return "";
}

// The whole layer moved to `device` (prefill with a remainder, then a cached decode step):
// parameters, buffers, outputs and cache all stay there.
std::string forward_follows(const Factory& factory, const torch::Device& device) {
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    for (const auto& options : variants()) {
      auto layer = random_layer(factory, type, options, torch::kFloat32, 51, device);
      if (auto where = off_device(*layer, device); !where.empty()) return where;
      const auto x = random_hidden(2, 21, 32, torch::kFloat32, 52, device);
      c10::InferenceMode inference;
      const auto out = layer->forward(x, positions_from(1003, 21, device));
      if (out.device() != device) return "prefill output is on " + out.device().str();
      ttt::TTTCache cache(*layer, 2);
      ttt::forward_cached(*layer, cache, x.slice(1, 0, 16));
      const auto step = ttt::forward_cached(*layer, cache, x.slice(1, 16, 17));
      if (step.device() != device) return "decode output is on " + step.device().str();
      for (const auto& [name, t] : cache.tensors()) {
        if (t.device() != device) return "cache tensor " + name + " is on " + t.device().str();
      }
    }
  }
  return "";
}

CheckResult rope_follows_meta_input(const Factory& factory) {
  const auto where = rope_follows(factory, torch::Device(torch::kMeta));
  if (!where.empty()) return fail(where);
  return pass("RoPE tables and rotated Q/K/V of a meta input stay on meta (float32, bfloat16; linear, mlp)");
}

CheckResult cuda_holds_everything(const Factory& factory) {
  auto where = rope_follows(factory, torch::Device(torch::kCUDA));
  if (where.empty()) where = forward_follows(factory, torch::Device(torch::kCUDA));
  if (!where.empty()) return fail(where);
  return pass("on CUDA: parameters, buffers, RoPE tables, Q/K/V, outputs and cache all stay there");
}

// Input on `input_device`, weights on the CPU: a clear refusal naming both devices.
CheckResult mismatch_named(const Factory& factory, const torch::Device& input_device) {
  auto layer = random_layer(factory, ttt::LayerType::Linear, variants()[0], torch::kFloat32, 53);
  const auto x = torch::zeros({1, 8, 32}, torch::dtype(torch::kFloat32).device(input_device));
  try {
    c10::InferenceMode inference;
    layer->forward(x, positions_from(0, 8, input_device));
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    const auto names = [&](const std::string& device) { return message.find(device) != std::string::npos; };
    if (names(input_device.str()) && names("cpu")) return pass("refused: " + message.substr(0, message.find('\n')));
    return fail("refused, but the message does not name both devices: " + message);
  }
  return fail("an input on " + input_device.str() + " with weights on cpu was accepted");
}

// CUDA float32 against CPU float32, both judged against a CPU float64 run: the CUDA result
// must be as accurate as the CPU one (the float32 reference-error policy).
CheckResult cuda_matches_cpu(const Factory& factory) {
  at::globalContext().setAllowTF32CuBLAS(false);  // TF32 would make this a different dtype
  at::globalContext().setAllowTF32CuDNN(false);
  std::string detail;
  const auto tolerance = harness::output_tolerance("float32", /*with_fp64=*/true);
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    for (const auto& options : variants()) {
      auto cpu64 = random_layer(factory, type, options, torch::kFloat64, 54);
      auto cpu32 = random_layer(factory, type, options, torch::kFloat32, 54);
      auto cuda32 = random_layer(factory, type, options, torch::kFloat32, 54, torch::kCUDA);
      const auto x = random_hidden(2, 75, 32, torch::kFloat32, 55);
      const auto positions = positions_from(7, 75);
      c10::InferenceMode inference;
      const auto truth = cpu64->forward(x.to(torch::kFloat64), positions);
      const auto on_cpu = cpu32->forward(x, positions);
      const auto on_cuda = cuda32->forward(x.to(torch::kCUDA), positions.to(torch::kCUDA));
      const auto c = harness::compare_tensors("output", on_cuda, on_cpu, tolerance, truth);
      if (!c.passed) return fail(ttt::to_string(type) + " CUDA vs CPU: " + c.summary());
      detail = c.summary();
    }
  }
  return pass("CUDA float32 as accurate as CPU float32 against float64; last: " + detail);
}

}  // namespace

std::vector<Check> device_checks() {
  return {
      {"device", "RopeFollowsTheInputToMeta", false, false, rope_follows_meta_input},
      {"device", "MismatchedDevicesNamedInTheError", false, false,
       [](const Factory& f) { return mismatch_named(f, torch::Device(torch::kMeta)); }},
      {"device", "EverythingFollowsTheInputToCuda", true, false, cuda_holds_everything},
      {"device", "CudaMismatchNamedInTheError", true, false,
       [](const Factory& f) { return mismatch_named(f, torch::Device(torch::kCUDA)); }},
      {"device", "CudaMatchesCpuWithinFloat32Policy", true, false, cuda_matches_cpu},
  };
}

}  // namespace ttt::checks
