// Low-precision verdicts with teeth: besides the largest error, a float32 or bfloat16 tensor's
// RMS error and its worst row are held to the reference's own (harness/runner/tolerance.cpp).
// On a committed bfloat16 golden, two planted errors that the largest-error rule lets through
// must each fail on the statistic made for it, and the reference's own output must pass.
#include "ttt_paths.h"

#include <harness/fixture/fixture.h>
#include <harness/layer_io/tensors.h>
#include <harness/runner/compare.h>
#include <harness/runner/tolerance.h>

#include <gtest/gtest.h>

#include <iostream>
#include <string>

namespace ttt::testing {
namespace {

struct Golden {
  torch::Tensor low;   // the reference's bfloat16 output, as float64
  torch::Tensor fp64;  // the reference's float64 output from the same values
};

Golden bf16_golden() {
  const auto fixture = harness::load_fixture(std::string(TTT_FIXTURES_DIR) + "/mlp_rope_bf16_b2_l50_k8.h5");
  return {harness::to_tensor(fixture.outputs.at("output")).to(torch::kFloat64),
          harness::to_tensor(fixture.outputs.at("output_fp64"))};
}

harness::Comparison judge(const torch::Tensor& actual, const Golden& g) {
  const auto c = harness::compare_tensors("output", actual, g.low, harness::output_tolerance("bfloat16", true), g.fp64);
  std::cout << (c.passed ? "PASS " : "FAIL ") << c.summary() << " decided by " << c.deciding_statistic() << std::endl;
  return c;
}

double ratio(double err, double allowed) { return err / allowed; }

TEST(LowPrecisionStatistics, TheReferencesOwnOutputPasses) {
  const auto g = bf16_golden();
  const auto c = judge(g.low, g);
  EXPECT_TRUE(c.passed);
  // Its own error against itself: exactly half of each allowance's multiple part.
  EXPECT_LT(ratio(c.rms_err, c.rms_allowed), 0.5 + 1e-12);
  EXPECT_LT(ratio(c.row_err, c.row_allowed), 1.0 / 3 + 1e-12);
}

// An error spread evenly over every element, each 0.9 times the reference's largest: the
// largest-error rule (2 x) lets it through, the RMS (2 x the reference's RMS) does not.
TEST(LowPrecisionStatistics, SpreadErrorFailsOnTheRms) {
  const auto g = bf16_golden();
  const double largest = (g.low - g.fp64).abs().max().item<double>();
  torch::manual_seed(0);
  const auto signs = torch::where(torch::rand_like(g.fp64) < 0.5, -1.0, 1.0);
  const auto c = judge(g.fp64 + 0.9 * largest * signs, g);
  EXPECT_LE(c.max_abs_err, c.allowed) << "the largest error alone would pass it";
  EXPECT_FALSE(c.passed);
  EXPECT_STREQ(c.deciding_statistic(), "rms");
}

// A small-magnitude row (a head's bias, a token's channels) that is wrong: the golden's row
// 0 is scaled to a twentieth of itself in the float64 and the bfloat16 reference alike (a
// small head), and the port's copy of it is 30% too large. Its largest error is within
// 2 x the reference's, the worst row is not.
TEST(LowPrecisionStatistics, WrongSmallRowFailsOnTheWorstRow) {
  auto g = bf16_golden();
  const auto width = g.fp64.size(-1);
  auto fp64_rows = g.fp64.reshape({-1, width});
  auto low_rows = g.low.reshape({-1, width});
  fp64_rows[0] *= 0.05;
  low_rows[0] *= 0.05;
  auto actual = low_rows.clone();
  actual[0] = fp64_rows[0] * 1.3;
  const auto c = judge(actual.reshape(g.low.sizes()), g);
  EXPECT_LE(c.max_abs_err, c.allowed) << "the largest error alone would pass it";
  EXPECT_FALSE(c.passed);
  EXPECT_STREQ(c.deciding_statistic(), "row");
}

}  // namespace
}  // namespace ttt::testing
