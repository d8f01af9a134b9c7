// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the tensors' bytes, offsets counted from the end of the header
// (https://huggingface.co/docs/safetensors). The header is read with nlohmann::json; every
// number in it is checked before a byte is read by it.
#include <ttt/checkpoint.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <vector>

namespace ttt {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit

struct Entry {
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

torch::ScalarType dtype_of(const std::string& file, const std::string& name, const std::string& code) {
  static const std::map<std::string, torch::ScalarType> codes{
      {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
      {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
      {"U8", torch::kUInt8},    {"BOOL", torch::kBool}};
  const auto it = codes.find(code);
  TORCH_CHECK(it != codes.end(), file, ": tensor ", name, " has dtype '", code,
              "', not one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
  return it->second;
}

// The header's entries, every one checked against the payload's size.
std::map<std::string, Entry> read_header(const std::string& file, std::ifstream& in, uint64_t file_size,
                                         uint64_t& data_start) {
  TORCH_CHECK(file_size >= 8, file, ": ", file_size, " bytes, too short for a safetensors header");
  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | length_bytes[i];
  TORCH_CHECK(header_bytes <= kMaxHeaderBytes && header_bytes <= file_size - 8, file, ": the header says it is ",
              header_bytes, " bytes, the file has ", file_size - 8, " after the length (at most ", kMaxHeaderBytes, ")");
  std::string text(header_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_bytes));
  TORCH_CHECK(in.good(), file, ": could not read the ", header_bytes, "-byte header");
  data_start = 8 + header_bytes;
  const uint64_t data_size = file_size - data_start;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    TORCH_CHECK(false, file, ": the header is not JSON (", e.what(), ")");
  }
  TORCH_CHECK(header.is_object(), file, ": the header is not a JSON object");
  std::map<std::string, Entry> entries;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") continue;
    TORCH_CHECK(value.is_object() && value.contains("dtype") && value["dtype"].is_string() &&
                    value.contains("shape") && value["shape"].is_array() && value.contains("data_offsets") &&
                    value["data_offsets"].is_array() && value["data_offsets"].size() == 2,
                file, ": tensor ", name, " is not {\"dtype\": str, \"shape\": [int...], \"data_offsets\": [begin, end]}");
    Entry e;
    e.dtype = dtype_of(file, name, value["dtype"].get<std::string>());
    uint64_t numel = 1;
    for (const auto& d : value["shape"]) {
      TORCH_CHECK(d.is_number_unsigned() && d.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                  file, ": tensor ", name, " has a shape entry that is not a non-negative integer: ", d.dump());
      const auto n = d.get<uint64_t>();
      TORCH_CHECK(n == 0 || numel <= std::numeric_limits<uint64_t>::max() / n, file, ": tensor ", name,
                  "'s shape overflows");
      numel *= n;
      e.shape.push_back(static_cast<int64_t>(n));
    }
    for (const auto& o : value["data_offsets"]) {
      TORCH_CHECK(o.is_number_unsigned(), file, ": tensor ", name, " has an offset that is not a non-negative integer: ",
                  o.dump());
    }
    e.begin = value["data_offsets"][0].get<uint64_t>();
    e.end = value["data_offsets"][1].get<uint64_t>();
    const uint64_t itemsize = c10::elementSize(e.dtype);
    TORCH_CHECK(e.begin <= e.end && e.end <= data_size, file, ": tensor ", name, " at bytes [", e.begin, ", ", e.end,
                ") of a payload of ", data_size, " bytes (truncated, or the header lies)");
    TORCH_CHECK(numel <= std::numeric_limits<uint64_t>::max() / itemsize && e.end - e.begin == numel * itemsize, file,
                ": tensor ", name, " has ", e.end - e.begin, " bytes for ", numel, " elements of ", itemsize,
                " bytes each");
    ranges.emplace_back(e.begin, e.end);
    entries.emplace(name, std::move(e));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    TORCH_CHECK(ranges[i].first >= ranges[i - 1].second, file, ": two tensors share bytes [", ranges[i].first, ", ",
                std::min(ranges[i].second, ranges[i - 1].second), ")");
  }
  return entries;
}

}  // namespace

void load_state_dict(TTTBaseImpl& layer, const std::string& path, const std::string& prefix) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TORCH_CHECK(in.is_open(), path, ": cannot open the checkpoint");
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  uint64_t data_start = 0;
  const auto entries = read_header(path, in, file_size, data_start);

  // Every check first, then every read: nothing of the layer changes unless all of it loads.
  const auto params = layer.named_parameters(/*recurse=*/true);
  std::set<std::string> expected;
  for (const auto& p : params) {
    const auto name = prefix + p.key();
    expected.insert(name);
    const auto it = entries.find(name);
    TORCH_CHECK(it != entries.end(), path, ": no tensor ", name, " (the layer's ", p.key(), ", shape ",
                p.value().sizes(), ")");
    TORCH_CHECK(it->second.shape == p.value().sizes().vec(), path, ": tensor ", name, " has shape ",
                c10::IntArrayRef(it->second.shape), ", the layer's ", p.key(), " is ", p.value().sizes());
    TORCH_CHECK(it->second.dtype == p.value().scalar_type(), path, ": tensor ", name, " is ", it->second.dtype,
                ", the layer's ", p.key(), " is ", p.value().scalar_type(),
                " (convert the layer with ->to() first, or the checkpoint)");
  }
  for (const auto& [name, entry] : entries) {
    TORCH_CHECK(name.rfind(prefix, 0) != 0 || expected.count(name), path, ": tensor ", name,
                " is under the prefix '", prefix, "' but the layer has no parameter ", name.substr(prefix.size()));
  }
  std::map<std::string, torch::Tensor> loaded;
  for (const auto& p : params) {
    const auto& e = entries.at(prefix + p.key());
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    in.seekg(static_cast<std::streamoff>(data_start + e.begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
    TORCH_CHECK(in.good(), path, ": could not read tensor ", prefix + p.key(), "'s ", e.end - e.begin, " bytes");
    loaded.emplace(p.key(), std::move(t));  // safetensors is little-endian, as every platform LibTorch runs on
  }
  torch::NoGradGuard no_grad;
  for (auto& p : params) p.value().copy_(loaded.at(p.key()).to(p.value().device()));
}

}  // namespace ttt
