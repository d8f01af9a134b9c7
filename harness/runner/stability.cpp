#include <harness/runner/stability.h>

#include <cmath>

namespace ttt::harness {
namespace {

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += v[i];
  return s / static_cast<double>(end - begin);
}

}  // namespace

double stability_growth_bound(int64_t mini_batches) {
  const double first_center = kStabilityWindow / 2.0;
  const double last_center = mini_batches - kStabilityWindow / 2.0;
  return 2.0 * std::sqrt(last_center / first_center);
}

std::vector<double> error_per_mini_batch(const torch::Tensor& actual, const torch::Tensor& truth, int64_t K) {
  const auto a = actual.to(torch::kCPU, torch::kFloat64);
  const auto t = truth.to(torch::kCPU, torch::kFloat64);
  const auto n = t.size(1) / K;
  const auto scale = t.abs().max().item<double>();
  const auto err = (a - t).abs().slice(1, 0, n * K).reshape({t.size(0), n, K, t.size(2)}).amax({0, 2, 3}).contiguous();
  std::vector<double> out(err.data_ptr<double>(), err.data_ptr<double>() + n);
  for (auto& e : out) e /= scale;
  return out;
}

StabilityVerdict judge_stability(const torch::Tensor& actual, const torch::Tensor& truth, int64_t K,
                                 const std::string& name) {
  StabilityVerdict v;
  const auto L = truth.size(1);
  if (!torch::isfinite(actual).all().item<bool>()) {
    v.failure = name + ": non-finite output at L = " + std::to_string(L);
    return v;
  }
  const auto n = L / K;
  const auto rms =
      actual.to(torch::kCPU, torch::kFloat64).slice(1, 0, n * K).reshape({actual.size(0) * n, -1}).pow(2).mean(1).sqrt();
  v.rms_median = rms.median().item<double>();
  v.rms_min = rms.min().item<double>();
  v.rms_max = rms.max().item<double>();
  v.errors = error_per_mini_batch(actual, truth, K);
  v.first = mean(v.errors, 0, kStabilityWindow);
  v.last = mean(v.errors, v.errors.size() - kStabilityWindow, v.errors.size());
  v.growth_bound = stability_growth_bound(static_cast<int64_t>(v.errors.size()));
  v.passed = true;
  if (v.rms_max > kStabilityRmsSpread * v.rms_median || v.rms_min < v.rms_median / kStabilityRmsSpread) {
    v.passed = false;
    v.failure = name + ": per-mini-batch output RMS ranges " + std::to_string(v.rms_min) + " .. " +
                std::to_string(v.rms_max) + " around median " + std::to_string(v.rms_median) + " (bound: within " +
                std::to_string(static_cast<int>(kStabilityRmsSpread)) + "x)";
  }
  if (!(v.last <= v.growth_bound * v.first)) {
    v.passed = false;
    v.failure = name + ": mean error over the last " + std::to_string(kStabilityWindow) + " mini-batches " +
                std::to_string(v.last) + " is " + std::to_string(v.growth()) + "x that of the first (bound " +
                std::to_string(v.growth_bound) + "x)";
  }
  return v;
}

}  // namespace ttt::harness
