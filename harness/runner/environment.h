#pragma once
// What a report says about where it was produced, so that two reports can be compared.

#include <nlohmann/json.hpp>

namespace ttt::harness {

// git commit of the source tree, LibTorch and CUDA versions, device name, thread count,
// host, CPU model. `device` is the device the cases ran on ("cpu", "cuda").
nlohmann::json describe_environment(const std::string& device);

}  // namespace ttt::harness
