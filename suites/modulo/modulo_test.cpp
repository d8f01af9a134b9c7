// Modulo invariance suite: the checks live in suites/modulo/modulo_checks.cpp.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(Modulo, "modulo", false);
