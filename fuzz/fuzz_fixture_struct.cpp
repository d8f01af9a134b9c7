// libFuzzer target: the validator and the writer/reader round trip on structured inputs.
//
// The fuzz input is decoded (FuzzedDataProvider) into a Fixture built in memory: root
// attributes, the config (sizes, flags, floats, extra keys), provenance, and the datasets the
// contract names for that config, with dims, dtypes and values taken from the input; then
// one optional mutation (a dataset dropped, reshaped, retyped, misfilled, given a NaN, or an
// extra one added). An empty input decodes to a small valid fixture. Properties checked, each
// a crash (a finding) when broken:
//   1. validate_fixture returns or throws FixtureError, nothing else;
//   2. write_fixture refuses exactly what validate_fixture refuses;
//   3. a written fixture loads back (load_fixture and load_fixture_image alike), with the same
//      root fields, config and provenance, and every dataset it loads equal to the one written;
//   4. writing the loaded fixture again gives the same bytes when nothing was dropped.
// HDF5 only ever reads files HDF5 itself wrote here, so unlike fuzz_fixture_image this target
// finds no HDF5 bugs: what it finds is ours. The child-process read is off (in-process).
#include <harness/fixture/fixture.h>
#include <harness/fixture/isolated_read.h>

#include "harness/fixture/config.h"
#include "harness/fixture/dataset_schema.h"
#include "harness/fixture/fixture_groups.h"

#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

namespace th = ttt::harness;
namespace fs = std::filesystem;

namespace {

// Arrays larger than this are never built (a huge config would otherwise ask for gigabytes).
constexpr int64_t kMaxElements = 1 << 14;

std::string g_scratch;
// Inputs seen, decoded to a fixture validate_fixture accepts, and round-tripped in full
// (printed at exit with TTT_FUZZ_STATS=1: how much of the run reached the writer and reader).
uint64_t g_inputs = 0, g_valid = 0, g_complete = 0;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "\n==== fuzz_fixture_struct finding: %s\n", what.c_str());
  std::abort();
}

// A string as printable ASCII with \xNN escapes, for messages.
std::string escaped(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + "\"";
}

template <class T>
T pick(FuzzedDataProvider& in, std::initializer_list<T> choices) {
  // Index 0 when the input is exhausted: the first choice is the valid default.
  const std::size_t index = in.ConsumeIntegralInRange<std::size_t>(0, choices.size() - 1);
  return *(choices.begin() + index);
}

// Mostly one of the given values; sometimes (when the selector byte says so) any int64.
int64_t size_value(FuzzedDataProvider& in, std::initializer_list<int64_t> usual) {
  if (in.ConsumeIntegralInRange<uint8_t>(0, 15) == 15) return in.ConsumeIntegral<int64_t>();
  return pick(in, usual);
}

double float_value(FuzzedDataProvider& in, std::initializer_list<double> usual) {
  if (in.ConsumeIntegralInRange<uint8_t>(0, 15) == 15) return in.ConsumeFloatingPoint<double>();
  return pick(in, usual);
}

std::string text_value(FuzzedDataProvider& in, std::initializer_list<const char*> usual) {
  if (in.ConsumeIntegralInRange<uint8_t>(0, 15) == 15) return in.ConsumeRandomLengthString(24);
  return pick(in, usual);
}

th::DType data_type(FuzzedDataProvider& in, th::DType usual) {
  if (in.ConsumeIntegralInRange<uint8_t>(0, 15) != 15) return usual;
  return pick(in, {th::DType::Float64, th::DType::Float32, th::DType::BFloat16, th::DType::Int64});
}

th::DType root_dtype(const std::string& name) {
  if (name == "float64") return th::DType::Float64;
  if (name == "bfloat16") return th::DType::BFloat16;
  return th::DType::Float32;
}

int64_t numel_or_negative(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > kMaxElements / d)) return -1;
    n *= d;
  }
  return n;
}

// Small finite values, or (rarely) raw bytes from the input, which may be NaN or inf.
void fill(FuzzedDataProvider& in, th::Array& array) {
  const int64_t n = numel_or_negative(array.shape);
  const std::size_t width = th::element_size(array.dtype);
  array.data.assign(static_cast<std::size_t>(std::max<int64_t>(n, 0)) * width, std::byte{0});
  const bool raw = in.ConsumeIntegralInRange<uint8_t>(0, 31) == 31;
  for (int64_t i = 0; i < n; ++i) {
    std::byte* at = array.data.data() + i * width;
    if (raw) {
      for (std::size_t b = 0; b < width; ++b) at[b] = std::byte{in.ConsumeIntegral<uint8_t>()};
      continue;
    }
    const double value = (static_cast<int>(in.ConsumeIntegral<uint8_t>()) - 128) / 64.0;
    switch (array.dtype) {
      case th::DType::Float64: std::memcpy(at, &value, 8); break;
      case th::DType::Float32: {
        const float f = static_cast<float>(value);
        std::memcpy(at, &f, 4);
        break;
      }
      case th::DType::BFloat16: {
        const float f = static_cast<float>(value);
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        const uint16_t half = static_cast<uint16_t>(bits >> 16);
        std::memcpy(at, &half, 2);
        break;
      }
      case th::DType::Int64: {
        const int64_t v = static_cast<int64_t>(i);
        std::memcpy(at, &v, 8);
        break;
      }
    }
  }
}

th::Array make_array(FuzzedDataProvider& in, const std::string& path, th::DType dtype,
                     std::vector<int64_t> shape) {
  th::Array array;
  array.path = path;
  array.dtype = dtype;
  array.shape = std::move(shape);
  fill(in, array);
  return array;
}

th::Fixture decode(FuzzedDataProvider& in) {
  th::Fixture f;
  f.file = "struct";
  f.schema_version = in.ConsumeIntegralInRange<uint8_t>(0, 31) == 31 ? in.ConsumeIntegral<int64_t>() : 1;
  f.case_id = in.ConsumeBool() ? in.ConsumeRandomLengthString(32) : "fuzz_case";
  f.layer_type = text_value(in, {"linear", "mlp"});
  f.mode = text_value(in, {"prefill", "decode"});
  f.dtype = text_value(in, {"float32", "float64", "bfloat16"});

  th::LayerConfig& c = f.config;
  c.hidden_size = size_value(in, {8, 4, 16, 12, 2});
  c.num_attention_heads = size_value(in, {2, 1, 4, 3});
  c.mini_batch_size = size_value(in, {2, 1, 3, 4, 16});
  c.conv_kernel = size_value(in, {2, 1, 4});
  c.rope_theta = float_value(in, {10000.0, 500.0, 1e6, 0.0, -1.0, INFINITY, NAN});
  c.ttt_base_lr = float_value(in, {1.0, 0.1, 0.0, -2.0, NAN});
  c.use_gate = in.ConsumeBool();
  c.share_qk = in.ConsumeBool();
  c.use_rope = !in.ConsumeBool();
  nlohmann::json extra = nlohmann::json::object();
  if (in.ConsumeIntegralInRange<uint8_t>(0, 7) == 7) {
    extra[in.ConsumeRandomLengthString(12)] = in.ConsumeRandomLengthString(12);
  }
  f.config_json = th::detail::config_to_json(c, extra);

  switch (in.ConsumeIntegralInRange<uint8_t>(0, 15)) {
    case 15: f.provenance = nlohmann::json::array({1, 2}); break;
    case 14: f.provenance = in.ConsumeRandomLengthString(12); break;
    case 13: f.provenance = {{in.ConsumeRandomLengthString(12), in.ConsumeRandomLengthString(24)}}; break;
    default: f.provenance = {{"generator", "fuzz/fuzz_fixture_struct.cpp"}, {"seed", 0}};
  }

  // The datasets the contract names for this config, when the config allows computing them.
  bool config_ok = true;
  try {
    th::detail::check_config(c);
  } catch (const std::exception&) {
    config_ok = false;
  }
  th::detail::SequenceDims dims;
  dims.batch = in.ConsumeIntegralInRange<int64_t>(1, 3);
  dims.length = in.ConsumeIntegralInRange<int64_t>(1, 6);
  dims.prompt = in.ConsumeIntegralInRange<int64_t>(1, 4);
  dims.decoded = in.ConsumeIntegralInRange<int64_t>(1, 3);
  const th::DType main = root_dtype(f.dtype);
  if (config_ok) {
    const bool backward = f.mode == "prefill" && in.ConsumeBool();
    for (const auto& spec : th::detail::build_schema(f, dims)) {
      const bool optional = spec.presence != th::detail::Presence::Required;
      const bool is_backward = spec.group == "grads" || spec.name == "grad_output";
      if (is_backward ? !backward : optional && in.ConsumeBool()) continue;
      const auto& option = spec.shapes[in.ConsumeIntegralInRange<std::size_t>(0, spec.shapes.size() - 1)];
      if (numel_or_negative(option.dims) < 0) continue;  // too big to build: left out
      th::DType dtype = main;
      if (spec.kind == th::detail::ValueKind::Float64) dtype = th::DType::Float64;
      if (spec.kind == th::detail::ValueKind::Integer) dtype = th::DType::Int64;
      th::detail::group_arrays(f, spec.group)[spec.name] =
          make_array(in, spec.path(), data_type(in, dtype), option.dims);
    }
  } else {
    th::Array a = make_array(in, "/inputs/hidden_states", main, {1, 2, 8});
    f.inputs["hidden_states"] = a;
  }

  // One mutation, or none.
  std::vector<std::pair<std::string, std::string>> names;
  for (const char* group : th::detail::kDatasetGroups) {
    for (const auto& entry : th::detail::group_arrays(f, group)) names.emplace_back(group, entry.first);
  }
  const uint8_t mutation = in.ConsumeIntegralInRange<uint8_t>(0, 15);
  if (names.empty() || mutation >= 8) return f;
  const auto& [group, name] = names[in.ConsumeIntegralInRange<std::size_t>(0, names.size() - 1)];
  auto& arrays = th::detail::group_arrays(f, group);
  th::Array& a = arrays.at(name);
  switch (mutation) {
    case 0: arrays.erase(name); break;
    case 1:
      if (!a.shape.empty()) {
        a.shape[in.ConsumeIntegralInRange<std::size_t>(0, a.shape.size() - 1)] += pick<int64_t>(in, {1, -1, 7});
        fill(in, a);
      }
      break;
    case 2:
      a.shape.push_back(1);
      fill(in, a);
      break;
    case 3:
      a.dtype = pick(in, {th::DType::Int64, th::DType::Float64, th::DType::Float32, th::DType::BFloat16});
      fill(in, a);
      break;
    case 4:  // data that does not match the shape
      a.data.resize(a.data.size() + pick<std::size_t>(in, {1, 8}));
      break;
    case 5:
      if (!a.data.empty() && a.dtype != th::DType::Int64) {
        const std::size_t width = th::element_size(a.dtype);
        const std::size_t index = in.ConsumeIntegralInRange<std::size_t>(0, a.data.size() / width - 1);
        const uint64_t bits = pick<uint64_t>(in, {0x7FF8000000000000ull, 0x7FF0000000000000ull});
        if (a.dtype == th::DType::Float64) std::memcpy(a.data.data() + index * 8, &bits, 8);
        if (a.dtype == th::DType::Float32) {
          const float nan = bits == 0x7FF0000000000000ull ? INFINITY : NAN;
          std::memcpy(a.data.data() + index * 4, &nan, 4);
        }
        if (a.dtype == th::DType::BFloat16) {
          const uint16_t nan = bits == 0x7FF0000000000000ull ? 0x7F80 : 0x7FC0;
          std::memcpy(a.data.data() + index * 2, &nan, 2);
        }
      }
      break;
    default: {  // an extra dataset, under any group, with a name from the input
      const std::string extra_name = in.ConsumeRandomLengthString(16);
      const char* extra_group = th::detail::kDatasetGroups[in.ConsumeIntegralInRange<std::size_t>(0, 5)];
      th::detail::group_arrays(f, extra_group)[extra_name] =
          make_array(in, "/" + std::string(extra_group) + "/" + extra_name, data_type(in, main),
                     {in.ConsumeIntegralInRange<int64_t>(0, 3), 2});
    }
  }
  return f;
}

bool same_array(const th::Array& a, const th::Array& b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.data == b.data;
}

bool same_config(const th::LayerConfig& a, const th::LayerConfig& b) {
  return a.hidden_size == b.hidden_size && a.num_attention_heads == b.num_attention_heads &&
         a.mini_batch_size == b.mini_batch_size && a.rope_theta == b.rope_theta &&
         a.ttt_base_lr == b.ttt_base_lr && a.use_gate == b.use_gate && a.share_qk == b.share_qk &&
         a.conv_kernel == b.conv_kernel && a.use_rope == b.use_rope;
}

// `loaded` is what the reader made of the file `written` was written to. Returns whether it
// holds every dataset of `written` (nothing was ignored by the reader's policies).
bool check_loaded(const th::Fixture& written, const th::Fixture& loaded, const char* how) {
  const std::string where = std::string(how) + ": ";
  if (loaded.schema_version != written.schema_version || loaded.case_id != written.case_id ||
      loaded.layer_type != written.layer_type || loaded.mode != written.mode || loaded.dtype != written.dtype) {
    finding(where + "root attributes differ after the round trip: case " + escaped(written.case_id) + " -> " +
            escaped(loaded.case_id) + ", layer_type " + escaped(written.layer_type) + " -> " +
            escaped(loaded.layer_type) + ", mode " + escaped(written.mode) + " -> " + escaped(loaded.mode) +
            ", dtype " + escaped(written.dtype) + " -> " + escaped(loaded.dtype));
  }
  if (!same_config(loaded.config, written.config)) finding(where + "config differs after the round trip");
  if (loaded.config_json != th::detail::config_to_json(written.config, written.config_json)) {
    finding(where + "config JSON differs after the round trip: " + loaded.config_json.dump());
  }
  if (loaded.provenance != written.provenance) finding(where + "provenance differs after the round trip");
  bool everything = true;
  for (const char* group : th::detail::kDatasetGroups) {
    const auto& before = th::detail::group_arrays(written, group);
    const auto& after = th::detail::group_arrays(loaded, group);
    for (const auto& [name, array] : after) {
      auto it = before.find(name);
      if (it == before.end()) finding(where + "loaded a dataset never written: /" + group + "/" + name);
      if (!same_array(it->second, array)) finding(where + "dataset /" + std::string(group) + "/" + name + " differs");
    }
    everything = everything && before.size() == after.size();
  }
  return everything;
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  th::detail::isolation_settings().enabled = false;
  // fuzz/run names a folder of its own (removed when it ends, whatever crashed); else /dev/shm.
  const char* scratch = std::getenv("TTT_FUZZ_SCRATCH");
  const char* tmp = std::getenv("TMPDIR");
  const fs::path base = scratch != nullptr && *scratch != '\0' ? fs::path(scratch)
                        : fs::is_directory("/dev/shm")       ? fs::path("/dev/shm")
                                                             : fs::path(tmp ? tmp : "/tmp");
  g_scratch = (base / ("ttt-fuzz-struct-" + std::to_string(::getpid()))).string();
  fs::create_directories(g_scratch);
  std::atexit([] {
    const char* stats = std::getenv("TTT_FUZZ_STATS");
    if (stats != nullptr && std::strcmp(stats, "1") == 0) {
      std::fprintf(stderr, "fuzz_fixture_struct: %llu inputs, %llu valid fixtures written and read back, %llu without a dataset the reader ignores\n",
                   static_cast<unsigned long long>(g_inputs), static_cast<unsigned long long>(g_valid),
                   static_cast<unsigned long long>(g_complete));
    }
    std::error_code ec;
    fs::remove_all(g_scratch, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const th::Fixture fixture = decode(in);
  ++g_inputs;

  bool valid = true;
  std::string why;
  try {
    th::validate_fixture(fixture);
  } catch (const th::FixtureError& e) {
    valid = false;
    why = e.what();
    if (e.file() != fixture.file) finding("validate_fixture named " + e.file() + ", not " + fixture.file);
  }

  const std::string path = g_scratch + "/fixture.h5";
  try {
    th::write_fixture(fixture, path);
  } catch (const th::FixtureError& e) {
    if (valid) finding(std::string("write_fixture refused a fixture validate_fixture accepts: ") + e.what());
    return 0;
  }
  if (!valid) finding("write_fixture wrote a fixture validate_fixture refuses: " + why);
  ++g_valid;

  th::Fixture loaded;
  try {
    loaded = th::load_fixture(path);
  } catch (const th::FixtureError& e) {
    finding(std::string("a written fixture does not load: ") + e.what());
  }
  const bool everything = check_loaded(fixture, loaded, "load_fixture");

  const std::vector<char> bytes = read_bytes(path);
  try {
    check_loaded(fixture, th::load_fixture_image(bytes.data(), bytes.size(), "image"), "load_fixture_image");
  } catch (const th::FixtureError& e) {
    finding(std::string("a written fixture does not load from its image: ") + e.what());
  }

  if (everything) {
    ++g_complete;
    const std::string again = g_scratch + "/again.h5";
    loaded.file = fixture.file;
    th::write_fixture(loaded, again);
    if (read_bytes(again) != bytes) finding("the same fixture written twice gave different bytes");
  }
  return 0;
}
