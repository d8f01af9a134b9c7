// ttt-memprobe <linear|mlp> <L> <float32|bfloat16|float64> <cpu|cuda>
// Runs one prefill of a long-suite-shaped layer in this fresh process and prints, as JSON,
// the resident memory before the forward pass, its peak, the CUDA allocator's peak, the
// forward's wall time, and whether the output is finite with its per-mini-batch RMS spread
// (max/median and median/min; post_norm keeps both near 1 unless the run blows up or
// collapses). scripts/device-check runs it beyond the long suite's L = 131072.
#include <ttt/ttt.h>

#include <c10/cuda/CUDACachingAllocator.h>

#include <sys/resource.h>

#include <chrono>
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
    bool finite = false;
    double spread_high = 0, spread_low = 0, seconds = 0, peak_rss = 0;
    {
      c10::InferenceMode inference;
      const auto started = std::chrono::steady_clock::now();
      const auto out = layer->forward(x, positions);
      if (device.is_cuda()) torch::cuda::synchronize();
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      // The peaks are read before the statistics below allocate anything.
      peak_rss = peak_rss_mb();
      if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(0);
        cuda_peak = static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);
      }
      finite = torch::isfinite(out).all().item<bool>();
      const auto rms = out.to(torch::kFloat32).reshape({-1, 16 * 64}).pow(2).mean(1).sqrt();
      const double median = rms.median().item<double>();
      spread_high = rms.max().item<double>() / median;
      spread_low = median / rms.min().item<double>();
    }
    std::cout << "{\"length\": " << length << ", \"rss_before_mb\": " << before << ", \"peak_rss_mb\": " << peak_rss
              << ", \"cuda_peak_mb\": " << cuda_peak << ", \"seconds\": " << seconds
              << ", \"finite\": " << (finite ? "true" : "false") << ", \"rms_max_over_median\": " << spread_high
              << ", \"rms_median_over_min\": " << spread_low << "}" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ttt-memprobe: " << e.what() << std::endl;
    return 1;
  }
}
