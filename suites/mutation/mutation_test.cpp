// Mutation proof: every shipped bug, reproduced as a test-only mutant, is run through the
// same registry of checks the suites run, and must be rejected, in particular by the suite
// named after it. If a suite stops catching its bug, this test fails.
#include "suites/support/check.h"
#include "suites/mutation/mutants.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <set>

namespace ttt::mutation {
namespace {

class MutationProof : public ::testing::TestWithParam<Mutant> {
 protected:
  // Mutant runs must not overwrite the report's long-sequence series.
  void SetUp() override { ::unsetenv("TTT_REPORT_DIR"); }
};

TEST_P(MutationProof, RejectedBySuites) {
  const auto& mutant = GetParam();
  const bool cuda = torch::cuda::is_available();
  std::set<std::string> suites;
  int ran = 0;
  for (const bool heavy : {false, true}) {
    for (const auto& check : checks::all_checks()) {
      if (check.heavy != heavy || (check.needs_cuda && !cuda)) continue;
      const auto result = checks::run_check(check, mutant.factory);
      ++ran;
      if (result.passed || result.skipped) continue;
      suites.insert(check.suite);
      std::cout << "  caught by " << check.suite << "." << check.name << ": " << result.detail.substr(0, 240) << std::endl;
    }
    if (!suites.empty()) break;  // heavy checks only when nothing light caught it
  }
  std::cout << "bug " << mutant.bug << " " << mutant.name << " (" << mutant.description << "): rejected by "
            << suites.size() << " suite(s) after " << ran << " checks" << std::endl;
  EXPECT_FALSE(suites.empty()) << mutant.name << " passed every check";
  EXPECT_TRUE(suites.count(mutant.catching_suite))
      << mutant.name << " is not caught by the " << mutant.catching_suite << " suite";
}

// The control: the same checks accept the production layer, so a rejection above is the
// mutant's doing, not a check that fails whatever it is given.
TEST(MutationControl, ProductionLayerPassesEveryCheck) {
  ::unsetenv("TTT_REPORT_DIR");
  const bool cuda = torch::cuda::is_available();
  for (const auto& check : checks::all_checks()) {
    if (check.heavy || (check.needs_cuda && !cuda)) continue;
    const auto result = checks::run_check(check, harness::production_layers());
    EXPECT_TRUE(result.passed || result.skipped) << check.suite << "." << check.name << ": " << result.detail;
  }
}

std::string mutant_name(const ::testing::TestParamInfo<Mutant>& info) { return info.param.name; }

// The bfloat16 precision bugs must fail the bfloat16 goldens' verdict itself (largest error,
// RMS error and worst row against the reference's own), not only a dedicated check beside it.
class Bf16PrecisionMutant : public ::testing::TestWithParam<Mutant> {
 protected:
  void SetUp() override { ::unsetenv("TTT_REPORT_DIR"); }
};

TEST_P(Bf16PrecisionMutant, FailsTheBf16GoldenVerdict) {
  const auto& mutant = GetParam();
  const checks::Check* golden = nullptr;
  for (const auto& check : checks::all_checks()) {
    if (check.suite == "bf16" && check.name == "GoldensWithinReferenceErrorBound") golden = &check;
  }
  ASSERT_NE(golden, nullptr) << "bf16.GoldensWithinReferenceErrorBound is not registered";
  const auto result = checks::run_check(*golden, mutant.factory);
  std::cout << mutant.name << ": " << (result.passed ? "passed" : "failed") << " bf16.GoldensWithinReferenceErrorBound: "
            << result.detail << std::endl;
  EXPECT_FALSE(result.passed || result.skipped) << mutant.name << " passes the bfloat16 goldens' verdict";
}

std::vector<Mutant> bf16_precision_cases() {
  std::vector<Mutant> selected;
  for (const auto& mutant : all_mutants()) {
    if (mutant.fails_bf16_goldens) selected.push_back(mutant);
  }
  return selected;
}

}  // namespace

void PrintTo(const Mutant& mutant, std::ostream* os) { *os << mutant.name; }

INSTANTIATE_TEST_SUITE_P(Bugs, MutationProof, ::testing::ValuesIn(all_mutants()), mutant_name);
INSTANTIATE_TEST_SUITE_P(Bugs, Bf16PrecisionMutant, ::testing::ValuesIn(bf16_precision_cases()), mutant_name);

}  // namespace ttt::mutation
