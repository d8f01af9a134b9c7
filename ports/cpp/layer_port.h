#pragma once
// This repository's C++ layer (ttt/) as a port, in this process: what `check` runs, and what
// `ttt-harness port-server` serves over the process protocol (so that `conform --port cpp`
// judges it exactly as it judges anyone else's port, in a process of its own).
//
// Beyond the interface it gives `check` the built layer itself, for the white-box checks only
// this layer can undergo (its RoPE table, its inner layer-norm statistics, its rotated Q and K;
// harness/runner/white_box.h).

#include <ports/port.h>

#include <harness/layer_io/layer_factory.h>

#include <ttt/ttt.h>

#include <memory>

namespace ttt::ports {

class LayerPort : public Port {
 public:
  // `factory` makes the layer: the production one, or a test-only broken one.
  explicit LayerPort(harness::LayerFactory factory = harness::production_layers());

  // The built layer (TORCH_CHECK that there is one): check's white-box checks read it, and
  // pin a fixture's RoPE table into it.
  ttt::TTTBaseImpl& layer();

  PortIdentity identity() override;
  // Throws harness::FixtureError (naming spec.source and /params/<name>) for a parameter the
  // spec lacks or gives in another shape: the file's fault, not the layer's.
  BuiltLayer build(const LayerSpec& spec) override;
  Output forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) override;
  void set_use_rope(bool on) override;
  void stream_begin(int64_t batch_size) override;
  StreamOutput stream(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) override;
  Tensors gradients(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                    const torch::Tensor& grad_output) override;

 private:
  harness::LayerFactory factory_;
  std::shared_ptr<ttt::TTTBaseImpl> layer_;
  std::unique_ptr<ttt::TTTCache> cache_;
  torch::Device device_{torch::kCPU};
  torch::ScalarType dtype_ = torch::kFloat64;
};

}  // namespace ttt::ports
