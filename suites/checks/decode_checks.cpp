// Decode with a cache (issue 6): filled in by the decode invariants.
#include "suites/checks/check.h"

namespace ttt::checks {

std::vector<Check> decode_checks() { return {}; }

}  // namespace ttt::checks
