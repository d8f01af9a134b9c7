// Device placement suite, GPU tier: skipped (never passed) without a CUDA device.
#include "suites/checks/check_test.h"

TTT_CHECK_SUITE(DeviceGpu, "device", true);
