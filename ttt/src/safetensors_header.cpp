#include "safetensors_header.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <sstream>

namespace ttt::safetensors {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit

template <class... Parts>
void require(bool ok, const Parts&... parts) {
  if (ok) return;
  std::ostringstream message;
  (message << ... << parts);
  throw FormatError(message.str());
}

uint64_t itemsize_of(const std::string& file, const std::string& name, const std::string& code) {
  for (const auto& d : kDtypes) {
    if (code == d.code) return d.itemsize;
  }
  require(false, file, ": tensor ", name, " has dtype '", code,
          "', not one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
  return 0;
}

// One tensor's entry, its numbers checked against a payload of data_size bytes.
TensorEntry entry_of(const std::string& file, const std::string& name, const nlohmann::json& value,
                     uint64_t data_size) {
  require(value.is_object() && value.contains("dtype") && value["dtype"].is_string() && value.contains("shape") &&
              value["shape"].is_array() && value.contains("data_offsets") && value["data_offsets"].is_array() &&
              value["data_offsets"].size() == 2,
          file, ": tensor ", name, " is not {\"dtype\": str, \"shape\": [int...], \"data_offsets\": [begin, end]}");
  TensorEntry e;
  e.dtype = value["dtype"].get<std::string>();
  const uint64_t itemsize = itemsize_of(file, name, e.dtype);
  uint64_t numel = 1;
  for (const auto& d : value["shape"]) {
    require(d.is_number_unsigned() && d.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
            file, ": tensor ", name, " has a shape entry that is not a non-negative integer: ", d.dump());
    const auto n = d.get<uint64_t>();
    require(n == 0 || numel <= std::numeric_limits<uint64_t>::max() / n, file, ": tensor ", name, "'s shape overflows");
    numel *= n;
    e.shape.push_back(static_cast<int64_t>(n));
  }
  for (const auto& o : value["data_offsets"]) {
    require(o.is_number_unsigned(), file, ": tensor ", name, " has an offset that is not a non-negative integer: ",
            o.dump());
  }
  e.begin = value["data_offsets"][0].get<uint64_t>();
  e.end = value["data_offsets"][1].get<uint64_t>();
  require(e.begin <= e.end && e.end <= data_size, file, ": tensor ", name, " at bytes [", e.begin, ", ", e.end,
          ") of a payload of ", data_size, " bytes (truncated, or the header lies)");
  require(numel <= std::numeric_limits<uint64_t>::max() / itemsize && e.end - e.begin == numel * itemsize, file,
          ": tensor ", name, " has ", e.end - e.begin, " bytes for ", numel, " elements of ", itemsize, " bytes each");
  return e;
}

}  // namespace

Header read_header(const std::string& file, std::istream& in, uint64_t file_size) {
  require(file_size >= 8, file, ": ", file_size, " bytes, too short for a safetensors header");
  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  require(in.good(), file, ": could not read the header's length");
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | length_bytes[i];
  require(header_bytes <= kMaxHeaderBytes && header_bytes <= file_size - 8, file, ": the header says it is ",
          header_bytes, " bytes, the file has ", file_size - 8, " after the length (at most ", kMaxHeaderBytes, ")");
  std::string text(header_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_bytes));
  require(in.good(), file, ": could not read the ", header_bytes, "-byte header");
  Header header;
  header.data_start = 8 + header_bytes;
  const uint64_t data_size = file_size - header.data_start;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    require(false, file, ": the header is not JSON (", e.what(), ")");
  }
  require(json.is_object(), file, ": the header is not a JSON object");
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") continue;
    auto e = entry_of(file, name, value, data_size);
    ranges.emplace_back(e.begin, e.end);
    header.tensors.emplace(name, std::move(e));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    require(ranges[i].first >= ranges[i - 1].second, file, ": two tensors share bytes [", ranges[i].first, ", ",
            std::min(ranges[i].second, ranges[i - 1].second), ")");
  }
  return header;
}

}  // namespace ttt::safetensors
