#pragma once
// Comparison of one computed tensor with its golden, recording every metric the verdict
// used so that a failure can be read without a rerun.

#include <harness/core/tolerance.h>

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::harness {

struct Comparison {
  std::string tensor;  // e.g. "output", "decode_output", "state/W1_states", "grad/W1"
  Tolerance tolerance;
  // Judged error: against the golden (Relative) or against the float64 reference (ReferenceError).
  double max_abs_err = 0;
  double max_rel_err = 0;  // max_abs_err / scale
  double scale = 0;        // max|golden| (1 for an all-zero golden)
  std::vector<int64_t> worst_index;
  double actual_at_worst = 0;
  double expected_at_worst = 0;
  // ReferenceError only: the reference's own error max|golden - f64| and the max|actual - golden|.
  double reference_err = 0;
  double diff_to_golden = 0;
  double allowed = 0;    // the bound max_abs_err was held to, in absolute units
  int64_t nonfinite = 0;  // NaN/inf in the computed tensor: always a failure
  // Why a tensor the golden holds could not be compared (the layer has nothing for it):
  // always a failure, so that nothing a fixture stores goes unjudged.
  std::string not_compared;
  bool passed = false;

  // How close to the bound: max_abs_err / allowed (> 1 fails). Used to pick the decisive one.
  double margin() const;
  std::string summary() const;  // "max_abs=1.2e-16 rel=2.3e-16 (rel <= 1.0e-10) worst=[0, 12, 5]"
};

// A failed comparison for a golden tensor the layer has no counterpart for.
Comparison not_compared(const std::string& name, const std::string& why);

// `golden_fp64` is required for Rule::ReferenceError and ignored otherwise.
Comparison compare_tensors(const std::string& name, const torch::Tensor& actual, const torch::Tensor& golden,
                           const Tolerance& tolerance, const torch::Tensor& golden_fp64 = {});

}  // namespace ttt::harness
