#pragma once
// What a report says about where it was produced, so that two reports can be compared.

#include <nlohmann/json.hpp>

namespace ttt::harness {

// git commit of the source tree, LibTorch and CUDA versions, device name, thread count,
// host, CPU model. `device` is the device the cases ran on ("cpu", "cuda").
nlohmann::json describe_environment(const std::string& device);

// The torch build this harness links, as a fixture's provenance names it: the torch.__version__
// of the wheel LibTorch came from ("2.15.0+cu132"); "" when LibTorch was found another way.
std::string torch_build();

// Whether a fixture's provenance says the reference ran on this torch build (`torch_version`
// equal to torch_build()) and on this device type (`device`, "cpu" or "cuda"): its float32
// RoPE table is then what this build computes, bit for bit, and nothing excuses a layer's own
// table for differing from it (docs/TOLERANCES.md, "The table check").
bool made_by_this_build(const nlohmann::json& provenance, const std::string& device_type);

}  // namespace ttt::harness
