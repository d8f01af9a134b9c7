#pragma once
// Decode invariants whose subject is not only the layer: saving and restoring a cache.

#include "suites/support/check.h"

#include <ttt/ttt.h>

#include <functional>
#include <string>

namespace ttt::checks {

using SaveCache = std::function<void(const ttt::TTTCache&, const ttt::TTTBaseImpl&, const std::string&)>;

// Decode, save the cache (with `save`) mid mini-batch, restore it into a fresh layer and
// cache, decode on in both: outputs and final state must be bit-identical.
CheckResult resumes_after_restore(const Factory& factory, const SaveCache& save);

}  // namespace ttt::checks
