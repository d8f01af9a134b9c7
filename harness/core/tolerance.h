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
    // max|actual - expected| <= bound, in absolute units (RoPE tables, whose values lie in [-1, 1]).
    Absolute,
  };
  Rule rule = Rule::Relative;
  double bound = 0;     // Relative, Absolute
  double multiple = 0;  // ReferenceError
  double floor = 0;     // ReferenceError, relative to max|f|
  std::string name;     // short label for reports, e.g. "float64 relative"

  std::string describe() const;  // "rel <= 1e-10" / "err <= 2 x ref_err + 3.9e-03 x max|f64|"
};

// Where the layer's RoPE table comes from, relative to the golden's.
enum class RopeTableSource {
  // The layer uses the golden's own table (pinned from the file), or one that is exact on
  // every platform (no rotation, or every angle 0): nothing platform-dependent is left.
  Exact,
  // The layer computes its table on this torch build and device, and the golden's may differ
  // from it by a float32 ulp: float64 is judged at the portable bound.
  ThisBuild,
};

// Golden outputs of a case run in `dtype` ("float64", "float32", "bfloat16"); with_fp64: the
// fixture carries the reference's float64 output for the same values.
Tolerance output_tolerance(const std::string& dtype, bool with_fp64, RopeTableSource table = RopeTableSource::Exact);

// Tensors that have no float64 counterpart in the fixture (decode state, gradients).
Tolerance direct_tolerance(const std::string& dtype, RopeTableSource table = RopeTableSource::Exact);

// Gradients (/grads): as direct_tolerance, but a float64 gradient reads the RoPE table
// through more sums than the outputs do and moves further when the table is this build's.
Tolerance gradient_tolerance(const std::string& dtype, RopeTableSource table = RopeTableSource::Exact);

// A stored RoPE table (/intermediates/rope_cos, rope_sin) against the layer's own, for a
// case of `dtype`.
Tolerance rope_table_tolerance(const std::string& dtype);

// One rounding of each dtype: half the gap between 1 and the next value (for float32 also
// one ulp of the values in [0.5, 1), the unit RoPE table differences are printed in). Header
// constants, so that the torch-free report library uses the same numbers.
constexpr double kUnitRoundoffFloat64 = 0x1p-53;
constexpr double kUnitRoundoffFloat32 = 0x1p-24;
constexpr double kUnitRoundoffBFloat16 = 0x1p-8;
constexpr double kUnitRoundoffFloat16 = 0x1p-11;

}  // namespace ttt::harness
