// Long-sequence stability suite, CPU tier: suites/checks/long_checks.cpp.
#include "suites/checks/check_test.h"

TTT_CHECK_SUITE(LongSequence, "long", false);
