// use_rope toggling suite: the checks live in suites/checks/rope_checks.cpp.
#include "suites/checks/check_test.h"

TTT_CHECK_SUITE(UseRope, "rope", false);
