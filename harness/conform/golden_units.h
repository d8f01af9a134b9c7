#pragma once
// The golden verdicts of one fixture for a port driven through the interface, by the one
// judge (harness/runner/judge.h), one line per thing the fixture stores:
//   <case>        its outputs: a prefill's output, or a decode's prompt and token outputs
//   <case>/state  a decode's stream state after the last token (NOT_SUPPORTED when the port
//                 keeps it to itself)
//   <case>/grads  a prefill's gradients, when the fixture has /grads (NOT_SUPPORTED when the
//                 port has no backward)
// The port computes its own RoPE table: a float64 case with RoPE on and K > 1 is judged at the
// portable bound, and its line says so.

#include <ports/port.h>
#include <reports/verdict.h>

#include <harness/fixture/actual_file.h>
#include <harness/fixture/fixture.h>

#include <functional>
#include <string>
#include <vector>

namespace ttt::conform {

// The line ids the fixture makes, in order.
std::vector<std::string> golden_unit_ids(const harness::Fixture& fixture);

// Runs those whose id `selected` accepts.
std::vector<harness::CaseResult> judge_port_on_fixture(ports::Port& port, const harness::Fixture& fixture,
                                                       const std::string& device,
                                                       const std::function<bool(const std::string&)>& selected);

// The same lines for outputs a port computed itself (`judge`); `actual` is null when it wrote
// none for this case (every line NOT_SUPPORTED).
std::vector<harness::CaseResult> judge_actual_on_fixture(const harness::Fixture& fixture,
                                                         const harness::ActualFile* actual,
                                                         const std::function<bool(const std::string&)>& selected);

}  // namespace ttt::conform
