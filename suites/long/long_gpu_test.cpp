// Long-sequence stability suite, GPU tier (L = 131072): skipped (never passed) without CUDA.
#include "suites/support/check_test.h"

TTT_CHECK_SUITE(LongSequenceGpu, "long", true);
