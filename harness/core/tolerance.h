#pragma once
// The tolerance policy: the one place where the harness decides how close is close enough.
// Every number here is derived in docs/TOLERANCES.md; none is tuned to make a case pass.

#include <string>

namespace ttt::harness {

struct Tolerance {
  enum class Rule {
    // max|actual - expected| <= bound * scale, scale = max|expected| (1 for an all-zero tensor).
    Relative,
    // Against the float64 reference output f: max|actual - f| <= multiple * max|expected - f|
    // + floor * max|f|, where expected is the reference's own low-precision output.
    ReferenceError,
  };
  Rule rule = Rule::Relative;
  double bound = 0;     // Relative
  double multiple = 0;  // ReferenceError
  double floor = 0;     // ReferenceError, relative to max|f|
  std::string name;     // short label for reports, e.g. "float64 relative"

  std::string describe() const;  // "rel <= 1e-10" / "err <= 2 x ref_err + 3.9e-03 x max|f64|"
};

// Golden outputs of a case run in `dtype` ("float64", "float32", "bfloat16"); with_fp64: the
// fixture carries the reference's float64 output for the same values.
Tolerance output_tolerance(const std::string& dtype, bool with_fp64);

// Tensors that have no float64 counterpart in the fixture (decode state, gradients).
Tolerance direct_tolerance(const std::string& dtype);

}  // namespace ttt::harness
