#include "bench/bench_support.h"

#include <sys/resource.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace ttt::bench {

namespace {
bool& fused_cpu_scan_setting() {
  static bool fused = true;
  return fused;
}
}  // namespace

void set_fused_cpu_scan(bool fused) { fused_cpu_scan_setting() = fused; }

TTTOptions model_125m_options() {
  return TTTOptions(768, 12).mini_batch_size(16).rope_theta(10000.0).ttt_base_lr(1.0).fused_cpu_scan(
      fused_cpu_scan_setting());
}

std::shared_ptr<TTTBaseImpl> random_layer(LayerType type, const TTTOptions& options, torch::ScalarType dtype,
                                          uint64_t seed, torch::Device device) {
  return harness::random_layer(harness::production_layers(), type, options, dtype, seed, device);
}

torch::Tensor random_hidden(int64_t batch, int64_t length, int64_t hidden, torch::ScalarType dtype, uint64_t seed,
                            torch::Device device) {
  return harness::random_hidden(batch, length, hidden, dtype, seed, device, torch::kFloat32);
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

namespace {

double status_field_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream values(line.substr(field.size() + 1));
      double kib = 0;
      values >> kib;
      return kib / 1024.0;
    }
  }
  return -1;
}

}  // namespace

double current_rss_mib() { return status_field_mib("VmRSS"); }
double peak_rss_mib() { return status_field_mib("VmHWM"); }

bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

double ru_maxrss_mib() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

}  // namespace ttt::bench
