#pragma once
// One GoogleTest per registered check of a suite, run against the production layer.
// Usage, in a suite's only source file:  TTT_CHECK_SUITE(Modulo, "modulo", false)

#include "suites/support/check.h"
#include "suites/support/ctest_gpu.h"

#include <gtest/gtest.h>

#include <iostream>

namespace ttt::checks {

inline void expect_check_passes(const Check& check) {
  // Under ctest with a resource spec, the GPU ctest gave this test (before CUDA starts).
  const auto gpu = check.needs_cuda ? ::ttt::testing::use_ctest_gpu_allocation() : std::string();
  const auto where = gpu.empty() ? std::string() : " (ctest allocated GPU " + gpu + ": CUDA_VISIBLE_DEVICES=" + gpu + ")";
  if (check.needs_cuda && !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device" << where;
  if (!where.empty()) std::cout << "running on" << where << std::endl;
  const auto result = run_check(check, harness::production_layers());
  if (result.skipped) GTEST_SKIP() << result.detail;
  std::cout << (result.passed ? "PASS " : "FAIL ") << check.suite << "." << check.name << " " << result.detail
            << std::endl;
  EXPECT_TRUE(result.passed) << check.suite << "." << check.name << ": " << result.detail;
}

inline std::string check_test_name(const ::testing::TestParamInfo<Check>& info) { return info.param.name; }

}  // namespace ttt::checks

// gtest prints parameters on failure; a Check has no operator<<, so give it one.
namespace ttt::checks {
inline void PrintTo(const Check& check, std::ostream* os) { *os << check.suite << "." << check.name; }
}  // namespace ttt::checks

#define TTT_CHECK_SUITE(Fixture, suite, cuda)                                                   \
  class Fixture : public ::testing::TestWithParam<::ttt::checks::Check> {};                     \
  TEST_P(Fixture, Holds) { ::ttt::checks::expect_check_passes(GetParam()); }                    \
  INSTANTIATE_TEST_SUITE_P(Checks, Fixture, ::testing::ValuesIn(::ttt::checks::checks_of(suite, cuda)), \
                           ::ttt::checks::check_test_name)
