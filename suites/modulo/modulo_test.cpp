// Modulo invariance suite: the checks live in suites/checks/modulo_checks.cpp.
#include "suites/checks/check_test.h"

TTT_CHECK_SUITE(Modulo, "modulo", false);
