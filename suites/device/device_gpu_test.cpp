// Device placement suite, GPU tier: skipped (never passed) without a CUDA device.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(DeviceGpu, "device", true);
