#include <harness/conform/golden_units.h>

#include <harness/conform/unit.h>

#include <harness/runner/judge.h>

#include <ports/fixture_run.h>

#include <harness/layer_io/tensors.h>

namespace ttt::conform {
namespace {

using harness::CaseResult;
using harness::Fixture;

void add(CaseResult& result, std::vector<harness::Comparison> comparisons) {
  for (auto& c : comparisons) result.comparisons.push_back(std::move(c));
}

CaseResult unit_of(const Fixture& fixture, const std::string& id) {
  auto result = harness::case_of(fixture);
  result.case_id = id;
  harness::note_config_keys_outside_contract(result, fixture.config_json);
  if (harness::own_table_source(fixture) == harness::RopeTableSource::ThisBuild && fixture.dtype == "float64") {
    result.message = "(the port's own RoPE table: float64 judged at the portable bound)";
  }
  return result;
}

void not_supported(CaseResult& result, const std::string& why) {
  result.status = harness::Status::NotSupported;
  result.message = why;
}

}  // namespace

std::vector<std::string> golden_unit_ids(const Fixture& fixture) {
  if (fixture.mode == "decode") return {fixture.case_id, fixture.case_id + "/state"};
  if (!fixture.grads.empty()) return {fixture.case_id, fixture.case_id + "/grads"};
  return {fixture.case_id};
}

std::vector<CaseResult> judge_port_on_fixture(ports::Port& port, const Fixture& fixture, const std::string& device,
                                              const std::function<bool(const std::string&)>& selected) {
  const auto table = harness::own_table_source(fixture);
  const auto spec = ports::layer_spec(fixture, device);
  const auto ids = golden_unit_ids(fixture);
  std::vector<CaseResult> results;
  if (fixture.mode == "decode") {
    // One stream gives both lines; a failure of the run is both lines' ERROR.
    ports::DecodeActual actual;
    bool streamed = false;
    if (selected(ids[0]) || selected(ids[1])) {
      auto outputs = run_unit(unit_of(fixture, ids[0]), [&](CaseResult& r) {
        if (!port.build(spec).streaming) {
          return not_supported(r, "the port offers no streaming (forward_stream): decode cannot be judged");
        }
        actual = ports::run_decode(port, fixture);
        streamed = true;
        add(r, harness::judge_outputs(fixture, actual.outputs, table));
        harness::decide(r);
      });
      const auto run_status = outputs.status;
      const auto run_source = outputs.error_source;
      const auto run_message = outputs.message;
      if (selected(ids[0])) results.push_back(std::move(outputs));
      if (selected(ids[1])) {
        results.push_back(run_unit(unit_of(fixture, ids[1]), [&](CaseResult& r) {
          if (!streamed) {
            r.status = run_status;
            r.error_source = run_source;
            r.message = "not judged: the decode run did not complete: " + run_message;
            return;
          }
          if (!actual.state) {
            return not_supported(r, "the port keeps its stream state to itself (forward_stream's state is not a dict of "
                                    "tensors named like the reference's cache)");
          }
          add(r, harness::judge_state(fixture, *actual.state, table));
          harness::decide(r);
        }));
      }
    }
    return results;
  }
  if (selected(ids[0])) {
    results.push_back(run_unit(unit_of(fixture, ids[0]), [&](CaseResult& r) {
      port.build(spec);
      add(r, harness::judge_outputs(fixture, ports::run_prefill(port, fixture), table));
      harness::decide(r);
    }));
  }
  if (ids.size() > 1 && selected(ids[1])) {
    results.push_back(run_unit(unit_of(fixture, ids[1]), [&](CaseResult& r) {
      if (!port.build(spec).gradients) return not_supported(r, "the port offers no gradients");
      add(r, harness::judge_gradients(fixture, ports::run_gradients(port, fixture), table));
      harness::decide(r);
    }));
  }
  return results;
}

std::vector<CaseResult> judge_actual_on_fixture(const Fixture& fixture, const harness::ActualFile* actual,
                                                const std::function<bool(const std::string&)>& selected) {
  const auto table = harness::own_table_source(fixture);
  const auto tensors = [](const std::map<std::string, harness::Array>& group) {
    harness::NamedTensors out;
    for (const auto& [name, array] : group) out[name] = harness::to_tensor(array);
    return out;
  };
  const auto ids = golden_unit_ids(fixture);
  std::vector<CaseResult> results;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!selected(ids[i])) continue;
    results.push_back(run_unit(unit_of(fixture, ids[i]), [&](CaseResult& r) {
      if (actual == nullptr) return not_supported(r, "the port wrote no file for this case (no `case` attribute equal to it)");
      if (i == 0) {
        // The outputs are what every actual file is for: missing ones fail by name.
        add(r, harness::judge_outputs(fixture, tensors(actual->outputs), table));
      } else if (fixture.mode == "decode") {
        if (!actual->has_state) return not_supported(r, "the port's file has no /state group");
        add(r, harness::judge_state(fixture, tensors(actual->state), table));
      } else {
        if (!actual->has_grads) return not_supported(r, "the port's file has no /grads group");
        add(r, harness::judge_gradients(fixture, tensors(actual->grads), table));
      }
      harness::decide(r);
    }));
  }
  return results;
}

}  // namespace ttt::conform
