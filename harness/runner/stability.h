#pragma once
// The long-sequence stability verdict on one run (docs/TOLERANCES.md, "The suites' own
// bounds"): a low-precision output of L tokens against a float64 run of the same layer and
// input. Finite; each mini-batch's output RMS within 4x of their median (post_norm bounds it: a
// blow-up or a collapse shows there); and the mean error over the last window of mini-batches
// at most 2 sqrt(p_last / p_first) times the first window's, since rounding carried in the fast
// weights may add up like a random walk while a drift, or a RoPE that extrapolates, grows
// faster. The `long` suite judges this repository's layer with it, `conform` any port.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::harness {

constexpr int64_t kStabilityWindow = 64;   // mini-batches averaged at each end of the sequence
constexpr double kStabilityRmsSpread = 4.0;  // per-mini-batch output RMS within this factor of the median

// The bound on the error's growth from the first window to the last, over N mini-batches.
double stability_growth_bound(int64_t mini_batches);

// Per mini-batch of K tokens: max |actual - truth| over it, relative to max |truth| overall.
std::vector<double> error_per_mini_batch(const torch::Tensor& actual, const torch::Tensor& truth, int64_t K);

struct StabilityVerdict {
  bool passed = false;
  std::string failure;         // why not, naming the run (`name`) and the figures
  std::vector<double> errors;  // per mini-batch (error_per_mini_batch)
  double first = 0, last = 0;  // mean error over the first and the last window
  double growth_bound = 0;     // last / first is held to this
  double rms_min = 0, rms_max = 0, rms_median = 0;

  double growth() const { return first > 0 ? last / first : 0; }
};

// `actual` and `truth` are [B, L, C] with L >= 2 windows of K tokens.
StabilityVerdict judge_stability(const torch::Tensor& actual, const torch::Tensor& truth, int64_t K,
                                 const std::string& name);

}  // namespace ttt::harness
