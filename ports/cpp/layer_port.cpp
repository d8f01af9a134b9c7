#include <ports/cpp/layer_port.h>

#include <harness/fixture/config.h>
#include <harness/fixture/fixture.h>

#include "ttt_paths.h"

namespace ttt::ports {

LayerPort::LayerPort(harness::LayerFactory factory) : factory_(std::move(factory)) {}

ttt::TTTBaseImpl& LayerPort::layer() {
  TORCH_CHECK(layer_ != nullptr, "LayerPort: no layer has been built yet");
  return *layer_;
}

PortIdentity LayerPort::identity() {
  PortIdentity id;
  id.name = "ttt C++ layer";
  id.version = TTT_PROJECT_VERSION;
  id.environment = {{"language", "C++"}, {"libtorch", TORCH_VERSION}};
  id.cuda_available = torch::cuda::is_available();
  return id;
}

BuiltLayer LayerPort::build(const LayerSpec& spec) {
  cache_.reset();
  layer_.reset();
  const auto config = harness::detail::parse_config(spec.config);
  harness::detail::check_config(config);
  device_ = torch::Device(spec.device);
  dtype_ = spec.dtype;
  auto layer = factory_(ttt::layer_type_from_string(spec.layer_type), harness::layer_options(config));
  layer->to(device_, dtype_);
  {
    torch::NoGradGuard no_grad;
    for (auto& param : layer->named_parameters()) {
      const auto it = spec.params.find(param.key());
      if (it == spec.params.end()) {
        throw harness::FixtureError(spec.source, "missing required dataset /params/" + param.key());
      }
      if (it->second.sizes() != param.value().sizes()) {
        throw harness::FixtureError(spec.source, "dataset /params/" + param.key() + ": expected shape " +
                                                     c10::str(param.value().sizes()) + ", found " +
                                                     c10::str(it->second.sizes()));
      }
      param.value().copy_(it->second);
    }
  }
  layer_ = std::move(layer);
  BuiltLayer built;
  built.use_rope_toggle = built.streaming = built.gradients = true;
  for (const auto& p : layer_->named_parameters()) built.tensor_devices[p.key()] = p.value().device().str();
  for (const auto& b : layer_->named_buffers()) built.tensor_devices[b.key()] = b.value().device().str();
  return built;
}

Output LayerPort::forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) {
  c10::InferenceMode inference;
  const auto out = layer().forward(hidden_states.to(device_, dtype_), position_ids.to(device_));
  return {out.cpu(), out.device().str()};
}

void LayerPort::set_use_rope(bool on) { layer().options.use_rope(on); }

void LayerPort::stream_begin(int64_t batch_size) { cache_ = std::make_unique<ttt::TTTCache>(layer(), batch_size); }

StreamOutput LayerPort::stream(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) {
  TORCH_CHECK(cache_ != nullptr, "LayerPort: stream() before stream_begin()");
  c10::InferenceMode inference;
  // The positions as given (the reference's cached call takes them too); the cache's offset
  // advances by the call's length, as the reference's model advances it.
  const auto out = layer().forward(hidden_states.to(device_, dtype_), position_ids.to(device_), cache_.get());
  cache_->advance(hidden_states.size(1));
  StreamOutput result;
  result.output = {out.cpu(), out.device().str()};
  // The reference names its conv windows ttt_conv_q / ttt_conv_k; the fast weights alike.
  for (const auto& [name, tensor] : cache_->tensors()) {
    result.state[name.rfind("conv_", 0) == 0 ? "ttt_" + name : name] = tensor.cpu();
  }
  result.state_offered = true;
  return result;
}

Tensors LayerPort::gradients(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                             const torch::Tensor& grad_output) {
  auto& layer = this->layer();
  for (auto& p : layer.parameters()) p.mutable_grad() = torch::Tensor();  // no gradient of an earlier call
  auto hidden = hidden_states.to(device_, dtype_).requires_grad_(true);
  const auto out = layer.forward(hidden, position_ids.to(device_));
  (out * grad_output.to(device_, dtype_)).sum().backward();
  Tensors grads;
  for (const auto& p : layer.named_parameters()) {
    // A parameter the forward never reached has no gradient: it is zero.
    grads[p.key()] = p.value().grad().defined() ? p.value().grad().cpu() : torch::zeros_like(p.value()).cpu();
  }
  grads["hidden_states"] = hidden.grad().cpu();
  return grads;
}

}  // namespace ttt::ports
