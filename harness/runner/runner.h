#pragma once
// `check`'s verdict on one fixture: this repository's C++ layer run on it through the port
// interface (ports/cpp/layer_port.h, in this process), its actual tensors judged by the one
// judge (judge.h), beside the white-box checks only this layer can undergo (white_box.h).

#include <harness/layer_io/layer_factory.h>
#include <reports/verdict.h>
#include <harness/fixture/fixture.h>

#include <ttt/ttt.h>

namespace ttt::harness {

struct RunOptions {
  torch::Device device{torch::kCPU};
  bool gradients = true;  // also check /grads when the fixture carries them
  LayerFactory factory = production_layers();
};

CaseResult run_fixture(const Fixture& fixture, const RunOptions& options = {});

}  // namespace ttt::harness
