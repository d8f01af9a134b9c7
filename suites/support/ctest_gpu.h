#pragma once
// ctest's resource allocation for the GPU tests: they carry RESOURCE_GROUPS "gpus:1"
// (suites/CMakeLists.txt), and `ctest --resource-spec-file` with a spec listing a machine's
// GPUs (scripts/ctest-gpu-resources) runs them side by side, telling each test its GPU as
// CTEST_RESOURCE_GROUP_0_GPUS="id:2,slots:1". The test makes that the only GPU CUDA sees
// (CUDA_VISIBLE_DEVICES=2) before CUDA is first used. Without a spec ctest ignores the
// property and nothing changes.

#include <string>

namespace ttt::testing {

// The GPU id of an allocation "id:<id>,slots:<n>"; "" when the value is absent or malformed.
std::string gpu_id_from_ctest_allocation(const char* value);

// Sets CUDA_VISIBLE_DEVICES from ctest's allocation, if any; returns the id ("" when none).
// Call before the first CUDA call of the process.
std::string use_ctest_gpu_allocation();

}  // namespace ttt::testing
