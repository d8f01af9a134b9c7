#include <harness/runner/judge.h>

#include <harness/runner/compare.h>

#include <harness/fixture/config.h>
#include <harness/layer_io/tensors.h>

#include <optional>

namespace ttt::harness {
namespace {

// One golden tensor against the actual one of the same name: a failed comparison when there
// is none, or it has another shape.
Comparison judge_one(const std::string& label, const std::string& name, const NamedTensors& actual,
                     const Array& golden, const Tolerance& tolerance, const torch::Tensor& fp64,
                     const std::string& missing, std::optional<torch::ScalarType> dtype) {
  const auto it = actual.find(name);
  if (it == actual.end() || !it->second.defined()) return not_compared(label, missing);
  const auto expected = to_tensor(golden);
  if (it->second.sizes() != expected.sizes()) {
    return not_compared(label, "the port's shape " + c10::str(it->second.sizes()) + " is not the golden's " +
                                   c10::str(expected.sizes()));
  }
  // A case is judged at its dtype's bound: a tensor computed in another dtype (a bfloat16 case
  // run in float64) would be held to a bound it was never at risk of.
  if (dtype.has_value() && it->second.scalar_type() != *dtype) {
    return not_compared(label, std::string("the port's tensor is ") + c10::toString(it->second.scalar_type()) +
                                   ", the case is " + c10::toString(*dtype));
  }
  return compare_tensors(label, it->second, expected, tolerance, fp64);
}

}  // namespace

torch::Tensor fp64_twin(const std::map<std::string, Array>& group, const std::string& name) {
  auto it = group.find(fp64_twin_name(name));
  return it == group.end() ? torch::Tensor() : to_tensor(it->second);
}

std::vector<std::string> golden_output_names(const Fixture& fixture) {
  if (fixture.mode == "decode") return {"prefill_output", "decode_output"};
  return {"output"};
}

RopeTableSource own_table_source(const Fixture& fixture) {
  const bool exact_everywhere = !fixture.config.use_rope || fixture.config.mini_batch_size == 1;
  return exact_everywhere ? RopeTableSource::Exact : RopeTableSource::ThisBuild;
}

std::vector<Comparison> judge_outputs(const Fixture& fixture, const NamedTensors& actual, RopeTableSource table) {
  std::vector<Comparison> out;
  for (const auto& name : golden_output_names(fixture)) {
    const auto golden = fixture.outputs.find(name);
    if (golden == fixture.outputs.end()) continue;  // the loader requires them; a hand-made Fixture may not
    const auto fp64 = fp64_twin(fixture.outputs, name);
    out.push_back(judge_one(name, name, actual, golden->second,
                            output_tolerance(fixture.dtype, fp64.defined(), table), fp64,
                            "the port gave no " + name, case_scalar_type(fixture.dtype)));
  }
  return out;
}

std::vector<Comparison> judge_state(const Fixture& fixture, const NamedTensors& actual, RopeTableSource table) {
  std::vector<Comparison> out;
  for (const auto& [name, golden] : fixture.state) {
    if (is_fp64_twin(name)) continue;  // the truth its low-precision tensor is judged against
    const auto missing = "the port's state holds no tensor " + name;
    // The reference keeps its conv windows in float32 whatever the dtype.
    if (name.rfind("ttt_conv", 0) == 0) {
      out.push_back(
          judge_one("state/" + name, name, actual, golden, direct_tolerance("float32"), {}, missing, std::nullopt));
      continue;
    }
    const auto fp64 = fp64_twin(fixture.state, name);
    out.push_back(judge_one("state/" + name, name, actual, golden,
                            output_tolerance(fixture.dtype, fp64.defined(), table), fp64, missing,
                            case_scalar_type(fixture.dtype)));
  }
  return out;
}

std::vector<Comparison> judge_gradients(const Fixture& fixture, const NamedTensors& actual, RopeTableSource table) {
  std::vector<Comparison> out;
  for (const auto& [name, golden] : fixture.grads) {
    if (is_fp64_twin(name)) continue;  // the truth its low-precision gradient is judged against
    // With its float64 twin, a low-precision gradient is judged like an output (against the
    // reference's own error); without, by the direct bound.
    const auto fp64 = fp64_twin(fixture.grads, name);
    const auto tolerance =
        fp64.defined() ? output_tolerance(fixture.dtype, true, table) : gradient_tolerance(fixture.dtype, table);
    out.push_back(judge_one("grad/" + name, name, actual, golden, tolerance, fp64,
                            "the port has no parameter " + name + " to take a gradient of",
                            case_scalar_type(fixture.dtype)));
  }
  return out;
}

// Keys and values as ASCII JSON (safe to cut) up to 40 characters, at most 8 keys: a hostile
// config must not make a line of megabytes.
void note_config_keys_outside_contract(CaseResult& result, const nlohmann::json& config) {
  const auto outside = detail::keys_outside_contract(config);
  if (outside.empty()) return;
  const auto shown = [](const nlohmann::json& value) {
    std::string text = value.dump(-1, ' ', true);
    return text.size() > 40 ? text.substr(0, 37) + "..." : text;
  };
  std::string keys;
  for (size_t i = 0; i < outside.size() && i < 8; ++i) {
    keys += (i ? ", " : "") + shown(outside[i]) + "=" + shown(config.at(outside[i]));
  }
  if (outside.size() > 8) keys += " and " + std::to_string(outside.size() - 8) + " more";
  result.notes.push_back("config keys the contract does not define, judged without them: " + keys);
}

CaseResult case_of(const Fixture& fixture) {
  CaseResult result;
  result.file = fixture.file;
  result.case_id = fixture.case_id;
  result.layer_type = fixture.layer_type;
  result.mode = fixture.mode;
  result.dtype = fixture.dtype;
  result.config = fixture.config_json;
  result.provenance = fixture.provenance;
  return result;
}

}  // namespace ttt::harness
