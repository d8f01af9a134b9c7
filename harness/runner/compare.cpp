#include <harness/runner/compare.h>

#include <cmath>
#include <limits>

namespace ttt::harness {
namespace {

std::vector<int64_t> unravel(int64_t flat, torch::IntArrayRef shape) {
  std::vector<int64_t> index(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return index;
}

double max_abs(const torch::Tensor& t) { return t.numel() == 0 ? 0.0 : t.abs().max().item<double>(); }

}  // namespace

Comparison compare_tensors(const std::string& name, const torch::Tensor& actual_in, const torch::Tensor& golden_in,
                           const Tolerance& tolerance, const torch::Tensor& golden_fp64_in) {
  TORCH_CHECK(actual_in.sizes() == golden_in.sizes(), "compare ", name, ": computed shape ", actual_in.sizes(),
              " differs from the golden's ", golden_in.sizes());
  Comparison c;
  c.tensor = name;
  c.tolerance = tolerance;
  const auto cpu64 = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64); };
  const auto actual = cpu64(actual_in);
  const auto golden = cpu64(golden_in);
  c.nonfinite = (~torch::isfinite(actual)).sum().item<int64_t>();

  // The judged reference: the golden itself, or the float64 reference output.
  torch::Tensor truth = golden;
  if (tolerance.rule == Tolerance::Rule::ReferenceError) {
    TORCH_CHECK(golden_fp64_in.defined(), "compare ", name, ": the reference-error rule needs the float64 output");
    truth = cpu64(golden_fp64_in);
    TORCH_CHECK(truth.sizes() == golden.sizes(), "compare ", name, ": float64 output shape ", truth.sizes(),
                " differs from ", golden.sizes());
    c.reference_err = max_abs(golden - truth);
    c.diff_to_golden = max_abs(actual - golden);
  }
  // The error against the judged reference, NaN counted as infinite.
  const auto error = torch::nan_to_num(actual - truth, std::numeric_limits<double>::infinity());
  const auto diff = error.abs();
  const auto truth_max = max_abs(truth);
  c.scale = truth_max > 0 ? truth_max : 1.0;
  if (diff.numel() > 0) {
    const auto flat_worst = diff.reshape({-1}).argmax().item<int64_t>();
    c.max_abs_err = diff.reshape({-1})[flat_worst].item<double>();
    c.worst_index = unravel(flat_worst, diff.sizes());
    c.actual_at_worst = actual.reshape({-1})[flat_worst].item<double>();
    c.expected_at_worst = truth.reshape({-1})[flat_worst].item<double>();
  }
  c.max_rel_err = c.max_abs_err / c.scale;
  switch (tolerance.rule) {
    case Tolerance::Rule::Relative: c.allowed = tolerance.bound * c.scale; break;
    case Tolerance::Rule::Absolute: c.allowed = tolerance.bound; break;
    case Tolerance::Rule::Units: c.allowed = tolerance.bound; break;
    case Tolerance::Rule::ReferenceError:
      c.allowed = tolerance.multiple * c.reference_err + tolerance.floor * c.scale;
      break;
  }
  c.passed = c.nonfinite == 0 && c.max_abs_err <= c.allowed;
  if (tolerance.rule == Tolerance::Rule::ReferenceError && truth.numel() > 0) {
    // The RMS error, against the reference's own RMS error.
    const auto rms = [](const torch::Tensor& t) { return t.square().mean().sqrt().item<double>(); };
    const double truth_rms = rms(truth);
    c.rms_err = rms(error);
    c.reference_rms_err = rms(golden - truth);
    c.rms_allowed = tolerance.rms_multiple * c.reference_rms_err + tolerance.floor * truth_rms;
    // Row by row (the last axis: a head's bias, a row of a head's weights, a token's
    // channels), the RMS error relative to that row's own RMS magnitude, floored at a fraction
    // of the whole tensor's: a wrong small-magnitude row or head counts as much as a large one.
    const double floor_rms = tolerance.row_floor * truth_rms;
    const auto rows = [](const torch::Tensor& t) { return t.dim() == 0 ? t.reshape({1, 1}) : t.reshape({-1, t.size(-1)}); };
    const auto truth_rows = rows(truth).square().mean(-1).sqrt() + floor_rms;
    const auto worst_row = [&](const torch::Tensor& err) {
      const auto err_rows = rows(err).square().mean(-1).sqrt();
      // 0 / 0 (an exactly reproduced all-zero row) is no error; x / 0 is an infinite one.
      const auto per_row = torch::where(err_rows == 0, torch::zeros_like(err_rows), err_rows / truth_rows);
      return per_row.max().item<double>();
    };
    c.row_err = worst_row(error);
    c.reference_row_err = worst_row(golden - truth);
    c.row_allowed = tolerance.row_multiple * c.reference_row_err + tolerance.floor;
    c.passed = c.passed && c.rms_err <= c.rms_allowed && c.row_err <= c.row_allowed;
  }
  return c;
}

double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.detach().to(torch::kCPU, torch::kFloat64);
  const auto y = b.detach().to(torch::kCPU, torch::kFloat64);
  const auto scale = y.abs().max().item<double>();
  const auto diff = (x - y).abs().max().item<double>();
  return scale > 0 ? diff / scale : diff;
}

}  // namespace ttt::harness
