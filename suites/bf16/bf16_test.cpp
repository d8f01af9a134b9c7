// bfloat16 round-trip suite: the checks live in suites/bf16/bf16_checks.cpp.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(BFloat16, "bf16", false);
