#pragma once
// Benchmark figures judged on what cancels machine noise: the C++ layer's speed relative to
// the Python reference timed in the same run, per repetition, and a Mann-Whitney U test
// between two runs' samples (the statistics of Google Benchmark's tools/compare.py, which
// Debian ships in libbenchmark-tools: two-sided, no assumption of normality). `diff` and
// `history` use it. Torch-free.

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

namespace ttt::harness {

// Per-repetition tokens/s of a bench/run result: tokens_per_iteration / each of seconds_all.
// Empty when the result has neither (a report written before they were recorded).
std::vector<double> tokens_per_s_samples(const nlohmann::json& result);

// The C++ layer's speed relative to the reference of the same run, as samples. Where both
// results say which round each repetition came from (`rounds_all`: bench/run alternates C++
// and reference round after round), one sample per round: the C++ median of that round over
// the reference's median of the same round, so that a machine that drifts between rounds
// cancels out. Otherwise each C++ repetition's tokens/s over the reference's median. Empty
// when either has no samples.
std::vector<double> relative_speed_samples(const nlohmann::json& cpp, const nlohmann::json& reference);

double median(std::vector<double> values);

struct UTest {
  double u = 0;        // Mann-Whitney U of the first sample
  double p_value = 1;  // two-sided
  bool exact = false;  // from the exact distribution (small samples, no ties) or the normal approximation
};
// Two-sided Mann-Whitney U test of a against b. p = 1 when either is empty.
UTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

// Where a benchmark's relative speed moved between two runs: the median change and the test.
struct SpeedChange {
  std::size_t before_n = 0, after_n = 0;
  double before_median = 0, after_median = 0;  // C++ / reference tokens/s
  double change = 0;                           // after_median / before_median - 1
  UTest test;
};
std::optional<SpeedChange> relative_speed_change(const std::vector<double>& before, const std::vector<double>& after);

// The significance level and the fewest repetitions a side needs (with 5 and 5 the exact
// test can reach p = 0.008; with 3 and 3 never below 0.1).
constexpr double kSpeedAlpha = 0.05;
constexpr std::size_t kMinSpeedSamples = 5;

}  // namespace ttt::harness
