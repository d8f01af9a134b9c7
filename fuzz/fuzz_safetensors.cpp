// libFuzzer target: the safetensors header reader of ttt::load_state_dict
// (ttt/src/safetensors_header.cpp: the layer library's own code, compiled here without
// LibTorch) on raw bytes taken as a whole checkpoint file. Every input must end in a header
// whose every tensor lies inside the payload, holds exactly its elements' bytes and shares no
// byte with another, or in a FormatError naming the file; any other exception, a crash, a
// sanitizer report, a hang or a runaway allocation is a finding. Seeds: the checkpoint corpus
// of suites/badinput/checkpoints/ (make_checkpoint_corpus.py).
#include "ttt/src/safetensors_header.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace st = ttt::safetensors;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "\n==== fuzz_safetensors finding: %s\n", what.c_str());
  std::abort();
}

uint64_t itemsize(const std::string& code) {
  for (const auto& d : st::kDtypes) {
    if (code == d.code) return d.itemsize;
  }
  finding("a tensor of dtype '" + code + "' was accepted");
}

// What read_header promises of every header it returns.
void check(const st::Header& header, uint64_t file_size) {
  if (header.data_start < 8 || header.data_start > file_size) finding("the payload starts outside the file");
  const uint64_t payload = file_size - header.data_start;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, e] : header.tensors) {
    if (name == "__metadata__") finding("__metadata__ read as a tensor");
    uint64_t numel = 1;
    for (const auto d : e.shape) {
      if (d < 0) finding("tensor " + name + " has a negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    if (e.begin > e.end || e.end > payload) finding("tensor " + name + " reaches outside the payload");
    if (e.end - e.begin != numel * itemsize(e.dtype)) finding("tensor " + name + "'s bytes do not fit its shape");
    ranges.emplace_back(e.begin, e.end);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) finding("two tensors share bytes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    check(st::read_header("fuzz", in, size), size);
  } catch (const st::FormatError& e) {
    if (std::string(e.what()).rfind("fuzz: ", 0) != 0) finding(std::string("the error does not name the file: ") + e.what());
  }
  return 0;
}
