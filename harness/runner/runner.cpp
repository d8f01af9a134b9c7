#include <harness/runner/runner.h>

#include <harness/runner/judge.h>
#include <harness/runner/white_box.h>

#include <ports/cpp/layer_port.h>
#include <ports/fixture_run.h>

#include <harness/layer_io/tensors.h>

#include <chrono>

namespace ttt::harness {
namespace {

void add(CaseResult& result, std::vector<Comparison> comparisons) {
  for (auto& c : comparisons) result.comparisons.push_back(std::move(c));
}

}  // namespace

CaseResult run_fixture(const Fixture& fixture, const RunOptions& options) {
  auto result = case_of(fixture);
  note_config_keys_outside_contract(result, fixture.config_json);
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto dtype = case_scalar_type(fixture.dtype);
    const auto spec = ports::layer_spec(fixture, options.device.str());
    ports::LayerPort port(options.factory);
    // The white-box checks of the file's RoPE table and the layer's own arithmetic come first,
    // on the layer as built from the file; then the file's table is pinned into it (and into
    // the fresh layer the gradients are taken of).
    port.build(spec);
    const auto table = judge_rope_table(result, fixture, port.layer(), options.device, dtype);
    judge_layer_rope_table(result, fixture, port.layer(), options.device, dtype);
    judge_layer_norm_statistics(result, fixture, port.layer(), options.device, dtype);
    table.apply(port.layer());
    if (fixture.mode == "decode") {
      const auto actual = ports::run_decode(port, fixture);
      add(result, judge_outputs(fixture, actual.outputs, table.source));
      add(result, judge_state(fixture, actual.state.value_or(ports::Tensors{}), table.source));
    } else {
      add(result, judge_outputs(fixture, ports::run_prefill(port, fixture), table.source));
      judge_rotated_qk(result, fixture, port.layer(), options.device, dtype, table.source);
      if (options.gradients && !fixture.grads.empty()) {
        port.build(spec);  // fresh .grad fields
        table.apply(port.layer());
        add(result, judge_gradients(fixture, ports::run_gradients(port, fixture), table.source));
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
