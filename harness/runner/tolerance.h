#pragma once
// The tolerance policy (the Tolerance type itself is in reports/verdict.h): the one place where the harness decides how close is close enough.
// Every number here is derived in docs/TOLERANCES.md; none is tuned to make a case pass.

#include <reports/verdict.h>

#include <string>

namespace ttt::harness {

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
// case of `dtype`; float64 and float32 bit for bit when the file was made by this torch build
// on this device type (made_by_this_build, harness/runner/environment.h), 64 float32 ulps
// otherwise.
Tolerance rope_table_tolerance(const std::string& dtype, bool made_by_this_build);

// A bfloat16 layer's own RoPE table against the exact one (float64 angles): one bfloat16 ulp
// of values in [0.5, 1), as float32 angles rounded once give (a port property; see runner.cpp).
Tolerance layer_rope_table_tolerance();

// A bfloat16 layer's own inner layer-norm statistics against exact ones on the same bfloat16
// rows, each element's error in units of what one rounding of the mean and one of the
// result allow (<= 1; a port property; see runner.cpp).
Tolerance layer_norm_statistics_tolerance();

// The layer's fused CPU scan against its own ATen path on the same inputs (the same
// algorithm, sums regrouped): float64 relative, float32 by the reference-error rule with the
// ATen path's float32 run as the reference and its float64 run as truth.
Tolerance fused_scan_tolerance(const std::string& dtype);

}  // namespace ttt::harness
