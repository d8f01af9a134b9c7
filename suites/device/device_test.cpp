// Device placement suite (CPU tier, the meta device as second device): suites/checks/device_checks.cpp.
#include "suites/checks/check_test.h"

TTT_CHECK_SUITE(Device, "device", false);
