#pragma once
// Comparison of one computed tensor with its golden (a Comparison, reports/verdict.h),
// recording every metric the verdict used so that a failure can be read without a rerun.

#include <harness/runner/tolerance.h>

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::harness {

// `golden_fp64` is required for Rule::ReferenceError and ignored otherwise.
Comparison compare_tensors(const std::string& name, const torch::Tensor& actual, const torch::Tensor& golden,
                           const Tolerance& tolerance, const torch::Tensor& golden_fp64 = {});

// max|a - b| / max|b| in float64 (max|a - b| when b is all zero): how far apart two runs are.
double relative_difference(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace ttt::harness
