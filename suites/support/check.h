#pragma once
// The mission suites' invariants as one registry of checks (the style of llama.cpp's
// test-backend-ops: one list, every entry run the same way). A check is a function of the
// layer factory, so the GoogleTest suites run each one against the production layer and the
// mutation suite runs the very same code against deliberately broken layers.

#include <harness/runner/runner.h>

#include <functional>
#include <string>
#include <vector>

namespace ttt::checks {

using Factory = harness::LayerFactory;

struct CheckResult {
  bool passed = false;
  bool skipped = false;  // e.g. a CUDA check without a CUDA device: neither pass nor fail
  std::string detail;    // the figures that decided it
};

CheckResult pass(std::string detail);
CheckResult fail(std::string detail);
CheckResult skip(std::string reason);

struct Check {
  std::string suite;  // ctest label of the suite that runs it: modulo, bf16, device, rope, long, golden
  std::string name;   // unique within the suite
  bool needs_cuda = false;
  bool heavy = false;  // minutes rather than seconds: the mutation suite runs it only when needed
  std::function<CheckResult(const Factory&)> run;
};

// Every check, in suite order.
const std::vector<Check>& all_checks();
std::vector<Check> checks_of(const std::string& suite, bool cuda);

// Runs a check, turning an exception thrown by the layer into a failure that names it.
CheckResult run_check(const Check& check, const Factory& factory);

// The suites' registries (one file each).
std::vector<Check> modulo_checks();
std::vector<Check> bf16_checks();
std::vector<Check> device_checks();
std::vector<Check> rope_checks();
std::vector<Check> long_checks();
std::vector<Check> golden_checks();
std::vector<Check> decode_checks();

}  // namespace ttt::checks
