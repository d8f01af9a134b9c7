#include <ports/fixture_run.h>

#include <harness/layer_io/random_layers.h>
#include <harness/layer_io/tensors.h>

#include <vector>

namespace ttt::ports {
namespace {

torch::Tensor input(const harness::Fixture& fixture, const std::string& name) {
  return harness::to_tensor(fixture.inputs.at(name)).to(harness::case_scalar_type(fixture.dtype));
}

}  // namespace

LayerSpec layer_spec(const harness::Fixture& fixture, const std::string& device) {
  LayerSpec spec;
  spec.layer_type = fixture.layer_type;
  spec.config = fixture.config_json;
  spec.device = device;
  spec.dtype = harness::case_scalar_type(fixture.dtype);
  spec.source = fixture.file;
  for (const auto& [name, array] : fixture.params) spec.params[name] = harness::to_tensor(array).to(spec.dtype);
  return spec;
}

Tensors run_prefill(Port& port, const harness::Fixture& fixture) {
  const auto positions = harness::to_tensor(fixture.inputs.at("position_ids"));
  return {{"output", port.forward(input(fixture, "hidden_states"), positions).tensor}};
}

DecodeActual run_decode(Port& port, const harness::Fixture& fixture) {
  const auto prompt = input(fixture, "prefill_hidden_states");
  const auto tokens = input(fixture, "decode_hidden_states");
  const auto P = prompt.size(1);
  port.stream_begin(prompt.size(0));
  DecodeActual actual;
  actual.outputs["prefill_output"] = port.stream(prompt, harness::positions_from(0, P)).output.tensor;
  std::vector<torch::Tensor> outputs;
  StreamOutput last;
  for (int64_t t = 0; t < tokens.size(1); ++t) {
    last = port.stream(tokens.slice(1, t, t + 1), harness::positions_from(P + t, 1));
    outputs.push_back(last.output.tensor);
  }
  actual.outputs["decode_output"] = torch::cat(outputs, 1);
  if (last.state_offered) actual.state = last.state;
  return actual;
}

Tensors run_gradients(Port& port, const harness::Fixture& fixture) {
  const auto positions = harness::to_tensor(fixture.inputs.at("position_ids"));
  return port.gradients(input(fixture, "hidden_states"), positions, input(fixture, "grad_output"));
}

}  // namespace ttt::ports
