// bfloat16 round-trip suite: the checks live in suites/checks/bf16_checks.cpp.
#include "suites/checks/check_test.h"

TTT_CHECK_SUITE(BFloat16, "bf16", false);
