// Long-sequence stability suite, CPU tier: suites/long/long_checks.cpp.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(LongSequence, "long", false);
