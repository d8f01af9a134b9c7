#pragma once
// Runs one fixture through the C++ layer the way the reference produced it, and judges it.

#include <harness/layer_io/layer_factory.h>
#include <reports/verdict.h>
#include <harness/fixture/fixture.h>

#include <ttt/ttt.h>

#include <functional>
#include <memory>

namespace ttt::harness {

struct RunOptions {
  torch::Device device{torch::kCPU};
  bool gradients = true;  // also check /grads when the fixture carries them
  LayerFactory factory = production_layers();
};

// The layer a fixture describes, on `device`, in the fixture's dtype, with its /params.
// Throws FixtureError (naming the parameter) when a parameter is missing or misshapen.
std::shared_ptr<ttt::TTTBaseImpl> build_layer(const Fixture& fixture, torch::Device device,
                                              const LayerFactory& factory = production_layers());

struct DecodeRun {
  torch::Tensor prefill_output;  // [B, P, C]
  torch::Tensor decode_output;   // [B, T, C]
  std::unique_ptr<ttt::TTTCache> cache;
};
// The reference's decode protocol: one prefill call, then one token per call, the cache's
// offset advanced after each call.
DecodeRun run_decode(ttt::TTTBaseImpl& layer, const torch::Tensor& prefill, const torch::Tensor& decode);

CaseResult run_fixture(const Fixture& fixture, const RunOptions& options = {});

}  // namespace ttt::harness
