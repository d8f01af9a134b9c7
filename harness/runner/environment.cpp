#include <harness/runner/environment.h>

#include "ttt_paths.h"
#include "ttt_torch_build.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

namespace ttt::harness {
namespace {

std::string command_output(const std::string& command) {
  std::array<char, 256> buf{};
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  while (std::fgets(buf.data(), buf.size(), pipe.get()) != nullptr) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

}  // namespace

nlohmann::json describe_environment(const std::string& device) {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  const auto git = std::string("git -C '") + TTT_SOURCE_DIR + "' ";
  nlohmann::json env;
  env["git_commit"] = command_output(git + "rev-parse HEAD 2>/dev/null");
  env["git_dirty"] = !command_output(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  env["libtorch_version"] = TORCH_VERSION;
  env["cuda_available"] = torch::cuda::is_available();
  env["cuda_device_count"] = torch::cuda::device_count();
  // CUDA runtime LibTorch was built against (e.g. 13020 for 13.2), 0 for a CPU-only build.
  env["cuda_runtime_version"] = at::detail::getCUDAHooks().hasCUDART() ? at::detail::getCUDAHooks().versionCUDART() : 0;
  env["cuda_driver"] = torch::cuda::is_available()
                           ? command_output("nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1")
                           : "";
  env["device"] = device;
  env["device_name"] = device == "cuda" ? command_output("nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1")
                                        : cpu_model();
  env["cpu_model"] = cpu_model();
  env["threads"] = torch::get_num_threads();
  env["host"] = host;
  return env;
}

std::string torch_build() { return TTT_TORCH_BUILD; }

bool made_by_this_build(const nlohmann::json& provenance, const std::string& device_type) {
  if (!provenance.is_object() || torch_build().empty()) return false;
  const auto text = [&](const char* key) {
    const auto it = provenance.find(key);
    return it != provenance.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return text("torch_version") == torch_build() && text("device") == device_type;
}

}  // namespace ttt::harness
