// ttt-memprobe <linear|mlp> <L> <float32|bfloat16|float64> <cpu|cuda>
// Runs one prefill of a long-suite-shaped layer in this fresh process and prints, as JSON,
// the resident memory before the forward pass, its peak, and the CUDA allocator's peak.
#include <ttt/ttt.h>

#include <c10/cuda/CUDACachingAllocator.h>

#include <sys/resource.h>

#include <fstream>
#include <iostream>
#include <string>

namespace {

double rss_now_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0));
}

double peak_rss_mb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // kilobytes on Linux
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: ttt-memprobe <linear|mlp> <L> <float32|bfloat16|float64> <cpu|cuda>\n";
    return 2;
  }
  try {
    torch::set_num_threads(1);
    const auto type = ttt::layer_type_from_string(argv[1]);
    const auto length = std::stoll(argv[2]);
    const std::string dtype_name = argv[3];
    const auto dtype = dtype_name == "float64" ? torch::kFloat64 : dtype_name == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
    const torch::Device device(std::string(argv[4]) == "cuda" ? torch::kCUDA : torch::kCPU);
    auto layer = ttt::make_layer(type, ttt::TTTOptions(64, 4).mini_batch_size(16));
    layer->to(device, dtype);
    const auto x = torch::randn({1, length, 64}, torch::dtype(dtype).device(device));
    const auto positions = torch::arange(length, torch::dtype(torch::kInt64).device(device)).unsqueeze(0);
    double cuda_peak = 0;
    if (device.is_cuda()) {
      torch::cuda::synchronize();
      c10::cuda::CUDACachingAllocator::resetPeakStats(0);
    }
    // Touch the allocator and libraries once so that "before" includes them.
    {
      c10::InferenceMode inference;
      layer->forward(x.slice(1, 0, 16), positions.slice(1, 0, 16));
    }
    const double before = rss_now_mb();
    if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(0);
    {
      c10::InferenceMode inference;
      const auto out = layer->forward(x, positions);
      if (device.is_cuda()) torch::cuda::synchronize();
    }
    if (device.is_cuda()) {
      const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(0);
      cuda_peak = static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);
    }
    std::cout << "{\"length\": " << length << ", \"rss_before_mb\": " << before << ", \"peak_rss_mb\": " << peak_rss_mb()
              << ", \"cuda_peak_mb\": " << cuda_peak << "}" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ttt-memprobe: " << e.what() << std::endl;
    return 1;
  }
}
