// Benchmark regressions judged on what cancels machine noise (reports/bench_stats.h): the
// Mann-Whitney U test against known exact values, and `diff` on reports whose benchmarks
// carry repetitions of both the C++ layer and the reference: a planted 15% slowdown of the
// layer is a regression; the same run on a machine that got 20% slower for both sides is not;
// a fall within the noise is a note, not a regression.
#include "report_test_support.h"

#include <reports/bench_stats.h>
#include <reports/report_diff.h>

#include <gtest/gtest.h>

#include <cmath>

namespace ttt::testing {
namespace {

using harness::DiffOptions;
using nlohmann::json;

TEST(MannWhitneyU, ExactTwoSidedPValues) {
  // Fully separated samples of 5 and 5: 2 of the C(10, 5) = 252 orderings are as extreme.
  auto t = harness::mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.u, 0);
  EXPECT_NEAR(t.p_value, 2.0 / 252, 1e-12);
  // One pair out of order: U = 1, four orderings at least as extreme.
  t = harness::mann_whitney_u({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10});
  EXPECT_EQ(t.u, 1);
  EXPECT_NEAR(t.p_value, 4.0 / 252, 1e-12);
  // Symmetric: the larger sample first gives the same p.
  EXPECT_NEAR(harness::mann_whitney_u({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}).p_value, 2.0 / 252, 1e-12);
  // Three and three can never be significant at 0.05 (the smallest p is 0.1).
  EXPECT_NEAR(harness::mann_whitney_u({1, 2, 3}, {4, 5, 6}).p_value, 0.1, 1e-12);
  // Ties: the normal approximation with the tie correction, still a probability.
  t = harness::mann_whitney_u({1, 2, 2, 3, 3}, {3, 4, 4, 5, 6});
  EXPECT_FALSE(t.exact);
  EXPECT_GT(t.p_value, 0);
  EXPECT_LT(t.p_value, 0.05);
  EXPECT_EQ(harness::mann_whitney_u({}, {1}).p_value, 1);
}

// The L = 2048 prefill with one repetition per jitter (report_test_support.h).
json result(const std::string& impl, double base_seconds, const std::vector<double>& jitter) {
  return bench_result(impl, 2048, base_seconds, jitter);
}

json report_with(const json& cpp, const json& reference) {
  return {{"schema", "ttt-harness-report"}, {"schema_version", 1}, {"cases", json::array()},
          {"benchmarks", {{"schema_version", 1}, {"results", json::array({cpp, reference})}}}};
}

const std::vector<double> kQuiet = {0.00, 0.01, -0.01, 0.02, -0.015};  // +-2%, as a quiet machine gives
const std::vector<double> kQuiet2 = {0.01, -0.005, 0.015, -0.02, 0.0};

const harness::Finding* slowdown(const harness::DiffResult& r) {
  for (const auto& f : r.findings) {
    if (f.kind == harness::DiffKind::Slowdown) return &f;
  }
  return nullptr;
}

TEST(BenchmarkSignificance, APlantedFifteenPercentSlowdownOfTheLayerIsARegression) {
  const auto base = report_with(result("cpp", 0.100, kQuiet), result("reference", 0.200, kQuiet2));
  const auto slowed = report_with(result("cpp", 0.100 / 0.85, kQuiet2), result("reference", 0.200, kQuiet));
  const auto diff = harness::diff_reports(base, slowed, DiffOptions{});
  const auto* f = slowdown(diff);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->regression) << f->line();
  EXPECT_NE(f->detail.find("(-15%, threshold 10%) over 5 and 5 samples, Mann-Whitney p = 0.00794 < 0.05"),
            std::string::npos)
      << f->line();
  EXPECT_EQ(diff.regressions(), 1);
}

TEST(BenchmarkSignificance, AMachineThatGotSlowerForBothSidesIsNot) {
  // Another process on the second core: both the layer and the reference 20% slower.
  const auto base = report_with(result("cpp", 0.100, kQuiet), result("reference", 0.200, kQuiet2));
  const auto loaded = report_with(result("cpp", 0.100 / 0.8, kQuiet2), result("reference", 0.200 / 0.8, kQuiet));
  const auto diff = harness::diff_reports(base, loaded, DiffOptions{});
  EXPECT_EQ(slowdown(diff), nullptr) << (slowdown(diff) ? slowdown(diff)->line() : "");
  EXPECT_EQ(diff.regressions(), 0);
  // The old rule, C++ tokens/s alone, would have cried wolf on the same figures.
  auto alone_base = base, alone_loaded = loaded;
  for (auto* r : {&alone_base, &alone_loaded}) {
    for (auto& x : (*r)["benchmarks"]["results"]) x.erase("seconds_all");
  }
  // The diff must outlive the finding slowdown() points into.
  const auto alone = harness::diff_reports(alone_base, alone_loaded, DiffOptions{});
  const auto* wolf = slowdown(alone);
  ASSERT_NE(wolf, nullptr);
  EXPECT_TRUE(wolf->regression);
  EXPECT_NE(wolf->detail.find("judged on C++ tokens/s alone"), std::string::npos) << wolf->line();
}

TEST(BenchmarkSignificance, AFallWithinTheNoiseIsANoteNotARegression) {
  const std::vector<double> noisy = {0.0, 0.3, -0.2, 0.25, -0.1};  // a machine this noisy proves nothing
  const auto base = report_with(result("cpp", 0.100, noisy), result("reference", 0.200, kQuiet));
  const auto slower = report_with(result("cpp", 0.100 / 0.85, kQuiet2), result("reference", 0.200, kQuiet));
  const auto diff = harness::diff_reports(base, slower, DiffOptions{});
  const auto* f = slowdown(diff);
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->regression) << f->line();
  EXPECT_EQ(f->detail.rfind("not significant: ", 0), 0u) << f->line();
  EXPECT_EQ(diff.regressions(), 0);
}

// bench/run alternates C++ and reference round after round: paired by round, a machine that
// slows down for a whole round (both sides) leaves the samples where they were.
TEST(BenchmarkSignificance, RoundsPairTheLayerWithTheReferenceOfTheSameRound) {
  auto cpp = result("cpp", 0.100, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  auto ref = result("reference", 0.200, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  json rounds = json::array();
  for (int r = 0; r < 5; ++r) rounds.insert(rounds.end(), {r, r});
  cpp["rounds_all"] = rounds;
  ref["rounds_all"] = rounds;
  for (int i : {4, 5}) {  // round 2, both sides 30% slower
    cpp["seconds_all"][i] = 0.100 / 0.7;
    ref["seconds_all"][i] = 0.200 / 0.7;
  }
  const auto samples = harness::relative_speed_samples(cpp, ref);
  ASSERT_EQ(samples.size(), 5u);
  for (double x : samples) EXPECT_NEAR(x, 2.0, 1e-12);
  // Without rounds: each C++ repetition over the reference's median, the slow round shows.
  cpp.erase("rounds_all");
  const auto unpaired = harness::relative_speed_samples(cpp, ref);
  ASSERT_EQ(unpaired.size(), 10u);
  EXPECT_NEAR(unpaired[4], 2.0 * 0.7, 1e-12);
}

}  // namespace
}  // namespace ttt::testing
