// The short fuzz smoke of the default test tier (ctest label fuzz): a fuzz target's
// LLVMFuzzerTestOneInput run without libFuzzer, by the project's own compiler, over files
// (each once: the seeds and the regression inputs) and over a fixed number of random inputs
// from a fixed seed. It proves the targets build and their properties hold on what has been
// found before, in seconds. The long fuzzing (libFuzzer, coverage, ASan + UBSan) is the
// nightly tier: fuzz/run.
//
//   fuzz_smoke_<target> [--random N] [--max-len BYTES] FILE|DIR...
//
// A broken property aborts (the target's own check), which ctest reports as a failure.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

namespace {

int usage(const char* program) {
  std::fprintf(stderr, "usage: %s [--random N] [--max-len BYTES] FILE|DIR...\n", program);
  return 2;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  long random_inputs = 0;
  long max_len = 4096;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--random" || arg == "--max-len") && i + 1 < argc) {
      (arg == "--random" ? random_inputs : max_len) = std::strtol(argv[++i], nullptr, 10);
    } else if (arg.rfind("--", 0) == 0) {
      return usage(argv[0]);
    } else if (fs::is_directory(arg)) {
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
      }
    } else if (fs::is_regular_file(arg)) {
      files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or folder: %s\n", argv[0], arg.c_str());
      return 2;
    }
  }
  if (files.empty() && random_inputs <= 0) return usage(argv[0]);

  for (const auto& file : files) {
    const auto bytes = read_bytes(file);
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::mt19937_64 generator(20261127);
  std::uniform_int_distribution<long> length(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  for (long n = 0; n < random_inputs; ++n) {
    std::vector<uint8_t> bytes(static_cast<size_t>(length(generator)));
    for (auto& b : bytes) b = static_cast<uint8_t>(byte(generator));
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::printf("%s: %zu files and %ld random inputs, every property held\n", fs::path(argv[0]).filename().c_str(),
              files.size(), random_inputs);
  return 0;
}
