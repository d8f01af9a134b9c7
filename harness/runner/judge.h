#pragma once
// The one judge: a port's actual tensors against a fixture's goldens, by the one tolerance
// policy (tolerance.h). `check` (this repository's layer, in process), `conform` (any port,
// through the process protocol) and `judge` (outputs a port wrote itself) all reach their
// golden verdicts through these functions, so a tensor is judged the same way whoever made it.
//
// Each returns one Comparison per golden tensor of the group, in the contract's order; a golden
// tensor the actual side lacks, or gives in another shape, is a failed comparison that says
// so: nothing a fixture stores goes unjudged.

#include <harness/runner/tolerance.h>

#include <harness/fixture/fixture.h>
#include <reports/verdict.h>

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace ttt::harness {

using NamedTensors = std::map<std::string, torch::Tensor>;

// The float64 twin of `name` in its group ("output" -> "output_fp64", "W1_grad" ->
// "W1_grad_fp64"), if the fixture carries one; undefined otherwise.
torch::Tensor fp64_twin(const std::map<std::string, Array>& group, const std::string& name);

// The /outputs a fixture's mode defines, in the contract's order: "output", or
// "prefill_output" then "decode_output".
std::vector<std::string> golden_output_names(const Fixture& fixture);

// Where the RoPE table of a port that computes its own comes from, relative to the golden's:
// Exact when no platform-dependent angle is involved (use_rope off, or K = 1: every angle 0),
// else ThisBuild (float64 then judged at the portable bound, docs/TOLERANCES.md).
RopeTableSource own_table_source(const Fixture& fixture);

// /outputs, named "output" etc.
std::vector<Comparison> judge_outputs(const Fixture& fixture, const NamedTensors& actual, RopeTableSource table);
// /state after a decode, named "state/<name>"; the share_qk conv windows at the float32 bound.
std::vector<Comparison> judge_state(const Fixture& fixture, const NamedTensors& actual, RopeTableSource table);
// /grads, named "grad/<name>" (parameter names and "hidden_states").
std::vector<Comparison> judge_gradients(const Fixture& fixture, const NamedTensors& actual, RopeTableSource table);

// A config key the contract does not define is an option of some other generator (an upstream
// option such as pre_conv that the layer lacks): the case is judged as if it were absent, and
// the verdict says so in a note rather than passing in silence.
void note_config_keys_outside_contract(CaseResult& result, const nlohmann::json& config);

// The fields of a verdict on a fixture that come from the file itself.
CaseResult case_of(const Fixture& fixture);

}  // namespace ttt::harness
