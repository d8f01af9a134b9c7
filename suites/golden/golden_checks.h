#pragma once
// Golden parity over a subset of the committed fixtures, as a check of the registry.

#include "suites/support/check.h"

#include <harness/fixture/fixture.h>

#include <functional>

namespace ttt::checks {

// Runs every committed fixture that `select` accepts (no gradients); fails on the first case
// that does not pass, naming it and its line.
CheckResult golden_subset(const Factory& factory, const std::function<bool(const harness::Fixture&)>& select,
                          const std::string& what);

}  // namespace ttt::checks
