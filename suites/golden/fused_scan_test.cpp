// The fused CPU scan held to the layer's ATen path (suites/golden/fused_scan_check.cpp); the
// mutation suite shows the same check failing a fused pass without its causal mask.
#include "suites/support/check_test.h"

namespace ttt::checks {
namespace {

TEST(FusedScan, MatchesAtenPath) {
  for (const auto& check : checks_of("golden", false)) {
    if (check.name == "FusedScanMatchesAtenPath") return expect_check_passes(check);
  }
  FAIL() << "no check golden.FusedScanMatchesAtenPath";
}

}  // namespace
}  // namespace ttt::checks
