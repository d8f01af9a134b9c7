// Device placement suite (CPU tier, the meta device as second device): suites/device/device_checks.cpp.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(Device, "device", false);
