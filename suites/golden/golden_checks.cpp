#include "suites/golden/golden_checks.h"
#include "suites/golden/fused_scan_check.h"

#include "suites/support/test_support.h"

#include <cstdio>

namespace ttt::checks {

CheckResult golden_subset(const Factory& factory, const std::function<bool(const harness::Fixture&)>& select,
                          const std::string& what) {
  harness::RunOptions options;
  options.gradients = false;
  options.factory = factory;
  int passed = 0;
  double worst = 0;
  for (const auto& file : testing::committed_fixtures()) {
    const auto fixture = harness::load_fixture(file);
    if (!select(fixture)) continue;
    const auto result = harness::run_fixture(fixture, options);
    if (result.status != harness::Status::Pass) {
      // The line, and which statistic decided by how much (reports/verdict.h).
      std::string decided;
      if (const auto* c = result.decisive(); c != nullptr && c->not_compared.empty()) {
        char buf[96];
        std::snprintf(buf, sizeof buf, " [decided by %s at %.3g x its bound]", c->deciding_statistic(), c->margin());
        decided = buf;
      }
      return fail(result.line() + decided);
    }
    if (const auto* c = result.decisive()) worst = std::max(worst, c->margin());
    ++passed;
  }
  if (passed == 0) return fail("no committed fixture is " + what);
  return pass(std::to_string(passed) + " fixtures (" + what + ") pass; worst error/bound " + std::to_string(worst));
}

std::vector<Check> golden_checks() {
  // The per-fixture GoogleTests live in suites/golden; this entry lets the mutation suite
  // run the same goldens against a broken layer.
  return {{"golden", "AllFixtures", false, false, [](const Factory& factory) {
             return golden_subset(factory, [](const harness::Fixture&) { return true; }, "any");
           }},
          {"golden", "FusedScanMatchesAtenPath", false, false, fused_scan_matches_aten_path}};
}

}  // namespace ttt::checks
