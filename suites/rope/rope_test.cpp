// use_rope toggling suite: the checks live in suites/rope/rope_checks.cpp.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(UseRope, "rope", false);
