// Golden parity: every committed fixture through the C++ layer, one test each, judged by
// the harness's one tolerance policy; gradient parity for the fixtures that carry /grads.
#include "suites/support/test_support.h"
#include "ttt_paths.h"

#include <harness/runner/runner.h>
#include <harness/fixture/fixture.h>

#include <gtest/gtest.h>

namespace ttt::testing {
namespace {

std::vector<std::string> fixtures_with_gradients() {
  std::vector<std::string> files;
  for (const auto& file : committed_fixtures()) {
    if (has_gradients(file)) files.push_back(file);
  }
  return files;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return test_name_for(info.param); }

void expect_pass(const harness::CaseResult& result) {
  EXPECT_EQ(result.status, harness::Status::Pass) << result.line();
  for (const auto& c : result.comparisons) {
    EXPECT_TRUE(c.passed) << c.tensor << ": " << c.summary();
  }
  // Printed on success too: the figures are the point of the test.
  std::cout << result.line() << std::endl;
}

class GoldenParity : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenParity, MatchesReference) {
  harness::RunOptions options;
  options.gradients = false;
  expect_pass(harness::run_fixture(harness::load_fixture(GetParam()), options));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenParity, ::testing::ValuesIn(committed_fixtures()), param_name);

class GradientParity : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientParity, MatchesReferenceGradients) {
  const auto fixture = harness::load_fixture(GetParam());
  const auto result = harness::run_fixture(fixture);
  expect_pass(result);
  size_t gradients = 0;
  for (const auto& c : result.comparisons) gradients += c.tensor.rfind("grad/", 0) == 0;
  // Every stored gradient but the float64 twins, which are what low-precision ones are judged against.
  size_t stored = 0;
  for (const auto& [name, array] : fixture.grads) stored += !harness::is_fp64_twin(name);
  EXPECT_EQ(gradients, stored) << "every stored gradient is compared";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GradientParity, ::testing::ValuesIn(fixtures_with_gradients()), param_name);

TEST(GoldenFixtures, MatrixIsCommitted) {
  EXPECT_GE(committed_fixtures().size(), 24u) << "the case matrix lives in " TTT_FIXTURES_DIR;
}

}  // namespace
}  // namespace ttt::testing
