#include <reports/bench_stats.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace ttt::harness {
namespace {

// Number of ways U can take each value for samples of n and m without ties:
// counts[n][m][u] by the recurrence f(n, m, u) = f(n - 1, m, u - m) + f(n, m - 1, u).
double exact_two_sided_p(std::size_t n, std::size_t m, double u) {
  const std::size_t max_u = n * m;
  std::vector<std::vector<std::vector<double>>> f(n + 1, std::vector<std::vector<double>>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) {
    for (std::size_t j = 0; j <= m; ++j) {
      f[i][j].assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        f[i][j][0] = 1;
        continue;
      }
      for (std::size_t k = 0; k <= i * j; ++k) {
        double ways = f[i][j - 1].size() > k ? f[i][j - 1][k] : 0;
        if (k >= j && f[i - 1][j].size() > k - j) ways += f[i - 1][j][k - j];
        f[i][j][k] = ways;
      }
    }
  }
  double total = 0, tail = 0;
  const double low = std::min(u, static_cast<double>(max_u) - u);
  for (std::size_t k = 0; k <= max_u; ++k) {
    total += f[n][m][k];
    if (static_cast<double>(k) <= low + 1e-9) tail += f[n][m][k];
  }
  return std::min(1.0, 2 * tail / total);
}

}  // namespace

std::vector<double> tokens_per_s_samples(const nlohmann::json& result) {
  std::vector<double> out;
  if (!result.contains("seconds_all") || !result["seconds_all"].is_array()) return out;
  const double tokens = result.value("tokens_per_iteration", 0.0);
  if (!(tokens > 0)) return out;
  for (const auto& s : result["seconds_all"]) {
    if (s.is_number() && s.get<double>() > 0) out.push_back(tokens / s.get<double>());
  }
  return out;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

namespace {

// Round index -> tokens/s samples of that round; empty when the result has no rounds_all
// aligned with its samples.
std::map<int, std::vector<double>> by_round(const nlohmann::json& result) {
  std::map<int, std::vector<double>> rounds;
  const auto samples = tokens_per_s_samples(result);
  if (!result.contains("rounds_all") || !result["rounds_all"].is_array() ||
      result["rounds_all"].size() != samples.size()) {
    return rounds;
  }
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!result["rounds_all"][i].is_number_integer()) return {};
    rounds[result["rounds_all"][i].get<int>()].push_back(samples[i]);
  }
  return rounds;
}

}  // namespace

std::vector<double> relative_speed_samples(const nlohmann::json& cpp, const nlohmann::json& reference) {
  const auto cpp_rounds = by_round(cpp);
  const auto ref_rounds = by_round(reference);
  if (!cpp_rounds.empty() && !ref_rounds.empty()) {
    std::vector<double> paired;
    for (const auto& [round, speeds] : cpp_rounds) {
      const auto ref = ref_rounds.find(round);
      if (ref == ref_rounds.end()) continue;
      const double r = median(ref->second);
      if (r > 0) paired.push_back(median(speeds) / r);
    }
    if (!paired.empty()) return paired;
  }
  auto samples = tokens_per_s_samples(cpp);
  const double ref = median(tokens_per_s_samples(reference));
  if (samples.empty() || !(ref > 0)) return {};
  for (auto& s : samples) s /= ref;
  return samples;
}

UTest mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  UTest t;
  if (a.empty() || b.empty()) return t;
  const std::size_t n = a.size(), m = b.size();
  // Ranks over the pooled samples, ties given their mean rank.
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.emplace_back(x, 0);
  for (double x : b) pooled.emplace_back(x, 1);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double group = static_cast<double>(j - i);
    if (group > 1) ties = true;
    tie_term += group * group * group - group;
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += mean_rank;
    }
    i = j;
  }
  t.u = rank_sum_a - static_cast<double>(n * (n + 1)) / 2;
  if (!ties && n * m <= 400) {
    t.exact = true;
    t.p_value = exact_two_sided_p(n, m, t.u);
    return t;
  }
  const double nm = static_cast<double>(n * m);
  const double total = static_cast<double>(n + m);
  const double mu = nm / 2;
  const double sigma = std::sqrt(nm / 12 * ((total + 1) - tie_term / (total * (total - 1))));
  if (!(sigma > 0)) return t;
  const double z = (std::fabs(t.u - mu) - 0.5) / sigma;  // continuity correction
  t.p_value = std::min(1.0, std::erfc(std::max(0.0, z) / std::sqrt(2.0)));
  return t;
}

std::optional<SpeedChange> relative_speed_change(const std::vector<double>& before, const std::vector<double>& after) {
  if (before.size() < kMinSpeedSamples || after.size() < kMinSpeedSamples) return std::nullopt;
  SpeedChange c;
  c.before_n = before.size();
  c.after_n = after.size();
  c.before_median = median(before);
  c.after_median = median(after);
  c.change = c.before_median > 0 ? c.after_median / c.before_median - 1 : 0;
  c.test = mann_whitney_u(before, after);
  return c;
}

}  // namespace ttt::harness
