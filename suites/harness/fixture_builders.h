#pragma once
// Minimal valid fixtures built in C++, written out with its own table of shapes (not the
// library's schema), so the tests check the loader against an independent reading of
// docs/FIXTURES.md. Tests mutate these, in memory or on disk, to make each rule fire.

#include "suites/support/temp_dir.h"

#include <harness/fixture/fixture.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::harness::testing {

// Config used by every builder: C = 8, H = 2, f = 4, K = 2, conv_kernel = 2.
constexpr int64_t kHidden = 8;
constexpr int64_t kHeads = 2;
constexpr int64_t kHeadDim = 4;
constexpr int64_t kMiniBatch = 2;
constexpr int64_t kConvKernel = 2;

struct FixtureOptions {
  std::string layer_type = "linear";
  std::string mode = "prefill";
  DType dtype = DType::Float32;
  int64_t batch = 2;
  int64_t length = 3;   // prefill L
  int64_t prompt = 3;   // decode P
  int64_t decoded = 2;  // decode T
  bool use_gate = false;
  bool share_qk = false;
  bool backward = false;  // prefill: grad_output and /grads
};

// Deterministic values in [-1, 1) of `dtype` (bfloat16 as the upper half of the float32).
Array make_array(const std::string& path, DType dtype, std::vector<int64_t> shape,
                 uint32_t seed);
// Int64 positions offset .. offset + length - 1, shape [rows, length].
Array make_positions(int64_t rows, int64_t length, int64_t offset = 0);

Fixture make_fixture(const FixtureOptions& options = {});

// Overwrites element `index` with `value` converted to the array's dtype.
void set_value(Array& array, std::size_t index, double value);

// Every option combination worth a round trip: both layer types, both modes, three dtypes.
std::vector<FixtureOptions> all_variants();
std::string variant_name(const FixtureOptions& options);

using ttt::testing::TempDir;

std::vector<char> read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::vector<char>& bytes);

}  // namespace ttt::harness::testing
