#include <harness/core/runner.h>

#include <harness/core/tensors.h>

#include <chrono>

namespace ttt::harness {
namespace {

// The fixture's float64 reference for `name` ("output" -> "output_fp64"), if it carries one.
torch::Tensor fp64_of(const Fixture& fixture, const std::string& name) {
  auto it = fixture.outputs.find(name + "_fp64");
  return it == fixture.outputs.end() ? torch::Tensor() : to_tensor(it->second);
}

torch::Tensor input(const Fixture& fixture, const std::string& name, torch::Device device,
                    torch::ScalarType dtype) {
  return to_tensor(fixture.inputs.at(name)).to(device, dtype);
}

void compare_output(CaseResult& result, const Fixture& fixture, const std::string& name,
                    const torch::Tensor& actual) {
  const auto fp64 = fp64_of(fixture, name);
  result.comparisons.push_back(compare_tensors(name, actual, to_tensor(fixture.outputs.at(name)),
                                               output_tolerance(fixture.dtype, fp64.defined()), fp64));
}

void run_prefill(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer, torch::Device device,
                 torch::ScalarType dtype) {
  c10::InferenceMode inference;
  const auto out = layer.forward(input(fixture, "hidden_states", device, dtype),
                                 to_tensor(fixture.inputs.at("position_ids")).to(device));
  compare_output(result, fixture, "output", out);
}

void run_gradients(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer, torch::Device device,
                   torch::ScalarType dtype) {
  auto hidden = input(fixture, "hidden_states", device, dtype).requires_grad_(true);
  const auto out = layer.forward(hidden, to_tensor(fixture.inputs.at("position_ids")).to(device));
  (out * input(fixture, "grad_output", device, dtype)).sum().backward();
  const auto tolerance = direct_tolerance(fixture.dtype);
  for (const auto& [name, golden] : fixture.grads) {
    torch::Tensor grad;
    if (name == "hidden_states") {
      grad = hidden.grad();
    } else {
      const auto params = layer.named_parameters();
      if (!params.contains(name)) continue;  // a parameter this layer does not have
      grad = params[name].grad();
    }
    if (!grad.defined()) grad = torch::zeros(golden.shape, torch::dtype(dtype));
    result.comparisons.push_back(compare_tensors("grad/" + name, grad, to_tensor(golden), tolerance));
  }
}

void run_decode_case(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer, torch::Device device,
                     torch::ScalarType dtype) {
  c10::InferenceMode inference;
  auto run = run_decode(layer, input(fixture, "prefill_hidden_states", device, dtype),
                        input(fixture, "decode_hidden_states", device, dtype));
  compare_output(result, fixture, "prefill_output", run.prefill_output);
  compare_output(result, fixture, "decode_output", run.decode_output);
  const auto tolerance = direct_tolerance(fixture.dtype);
  const auto state = run.cache->tensors();
  for (const auto& [name, golden] : fixture.state) {
    // The reference names its conv windows ttt_conv_q/ttt_conv_k; float32 whatever the dtype.
    const auto ours = name.rfind("ttt_", 0) == 0 ? name.substr(4) : name;
    auto it = state.find(ours);
    if (it == state.end()) continue;  // state this layer does not keep
    const auto& tol = name.rfind("ttt_conv", 0) == 0 ? direct_tolerance("float32") : tolerance;
    result.comparisons.push_back(compare_tensors("state/" + name, it->second, to_tensor(golden), tol));
  }
}

}  // namespace

LayerFactory production_layers() {
  return [](ttt::LayerType type, const ttt::TTTOptions& options) { return ttt::make_layer(type, options); };
}

ttt::TTTOptions layer_options(const LayerConfig& config) {
  return ttt::TTTOptions(config.hidden_size, config.num_attention_heads)
      .mini_batch_size(config.mini_batch_size)
      .rope_theta(config.rope_theta)
      .ttt_base_lr(config.ttt_base_lr)
      .use_gate(config.use_gate)
      .share_qk(config.share_qk)
      .conv_kernel(config.conv_kernel)
      .use_rope(config.use_rope);
}

std::shared_ptr<ttt::TTTBaseImpl> build_layer(const Fixture& fixture, torch::Device device,
                                              const LayerFactory& factory) {
  auto layer = factory(ttt::layer_type_from_string(fixture.layer_type), layer_options(fixture.config));
  layer->to(device, case_scalar_type(fixture.dtype));
  torch::NoGradGuard no_grad;
  for (auto& param : layer->named_parameters()) {
    auto it = fixture.params.find(param.key());
    if (it == fixture.params.end()) {
      throw FixtureError(fixture.file, "missing required dataset /params/" + param.key());
    }
    const auto value = to_tensor(it->second);
    if (value.sizes() != param.value().sizes()) {
      throw FixtureError(fixture.file, "dataset /params/" + param.key() + ": expected shape " +
                                           c10::str(param.value().sizes()) + ", found " + it->second.shape_string());
    }
    param.value().copy_(value);
  }
  return layer;
}

DecodeRun run_decode(ttt::TTTBaseImpl& layer, const torch::Tensor& prefill, const torch::Tensor& decode) {
  DecodeRun run;
  run.cache = std::make_unique<ttt::TTTCache>(layer, prefill.size(0));
  run.prefill_output = ttt::forward_cached(layer, *run.cache, prefill);
  std::vector<torch::Tensor> tokens;
  tokens.reserve(decode.size(1));
  for (int64_t t = 0; t < decode.size(1); ++t) {
    tokens.push_back(ttt::forward_cached(layer, *run.cache, decode.slice(1, t, t + 1)));
  }
  run.decode_output = torch::cat(tokens, 1);
  return run;
}

CaseResult run_fixture(const Fixture& fixture, const RunOptions& options) {
  CaseResult result;
  result.file = fixture.file;
  result.case_id = fixture.case_id;
  result.layer_type = fixture.layer_type;
  result.mode = fixture.mode;
  result.dtype = fixture.dtype;
  result.config = fixture.config_json;
  result.provenance = fixture.provenance;
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto dtype = case_scalar_type(fixture.dtype);
    auto layer = build_layer(fixture, options.device, options.factory);
    if (fixture.mode == "decode") {
      run_decode_case(result, fixture, *layer, options.device, dtype);
    } else {
      run_prefill(result, fixture, *layer, options.device, dtype);
      if (options.gradients && !fixture.grads.empty()) {
        layer = build_layer(fixture, options.device, options.factory);  // fresh .grad fields
        run_gradients(result, fixture, *layer, options.device, dtype);
      }
    }
    decide(result);
  } catch (const FixtureError& e) {
    result.status = Status::Error;
    result.message = e.what();
  } catch (const c10::Error& e) {
    // The layer refused or failed on a valid fixture: that is the port's failure, not the file's.
    result.status = Status::Fail;
    result.message = std::string("the layer threw: ") + e.what_without_backtrace();
  } catch (const std::exception& e) {
    // The layer refused or failed on a valid fixture: that is the port's failure, not the file's.
    result.status = Status::Fail;
    std::string what = e.what();
    result.message = "the layer threw: " + what.substr(0, what.find('\n'));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace ttt::harness
