#include "suites/support/ctest_gpu.h"

#include <cstdlib>
#include <regex>

namespace ttt::testing {

std::string gpu_id_from_ctest_allocation(const char* value) {
  if (value == nullptr) return "";
  static const std::regex allocation(R"(^id:([A-Za-z0-9_.-]+),slots:[0-9]+$)");
  std::cmatch match;
  return std::regex_match(value, match, allocation) ? match[1].str() : "";
}

std::string use_ctest_gpu_allocation() {
  const char* count = std::getenv("CTEST_RESOURCE_GROUP_COUNT");
  if (count == nullptr || std::string(count) != "1") return "";
  const auto id = gpu_id_from_ctest_allocation(std::getenv("CTEST_RESOURCE_GROUP_0_GPUS"));
  if (!id.empty()) ::setenv("CUDA_VISIBLE_DEVICES", id.c_str(), 1);
  return id;
}

}  // namespace ttt::testing
