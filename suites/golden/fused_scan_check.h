#pragma once
// The fused CPU scan against the layer's own ATen path, as a check of the registry (so the
// mutation suite runs it against a fused pass with a planted bug).

#include "suites/support/check.h"

namespace ttt::checks {

// float64 within 1e-12 relative, float32 by the reference-error rule (the ATen path's float32
// run the reference, its float64 run the truth); outputs and the cache after a prefill.
CheckResult fused_scan_matches_aten_path(const Factory& factory);

}  // namespace ttt::checks
