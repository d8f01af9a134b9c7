// safetensors checkpoints into a layer. The header is read and checked by
// safetensors_header.cpp, which needs no LibTorch (the fuzz target runs that very code); here
// each tensor's name, shape and dtype is held to the layer's, then the bytes are read.
#include <ttt/checkpoint.h>

#include "safetensors_header.h"

#include <fstream>
#include <map>
#include <set>

namespace ttt {
namespace {

torch::ScalarType scalar_type_of(const std::string& code) {
  static const std::map<std::string, torch::ScalarType> types{
      {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
      {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
      {"U8", torch::kUInt8},    {"BOOL", torch::kBool}};
  return types.at(code);  // every code the header reader accepts (safetensors::kDtypes)
}

}  // namespace

void load_state_dict(TTTBaseImpl& layer, const std::string& path, const std::string& prefix) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TORCH_CHECK(in.is_open(), path, ": cannot open the checkpoint");
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  safetensors::Header header;
  try {
    header = safetensors::read_header(path, in, file_size);
  } catch (const safetensors::FormatError& e) {
    TORCH_CHECK(false, e.what());
  }
  const auto& entries = header.tensors;

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
    const auto dtype = scalar_type_of(it->second.dtype);
    TORCH_CHECK(dtype == p.value().scalar_type(), path, ": tensor ", name, " is ", dtype, ", the layer's ", p.key(),
                " is ", p.value().scalar_type(), " (convert the layer with ->to() first, or the checkpoint)");
  }
  for (const auto& [name, entry] : entries) {
    TORCH_CHECK(name.rfind(prefix, 0) != 0 || expected.count(name), path, ": tensor ", name,
                " is under the prefix '", prefix, "' but the layer has no parameter ", name.substr(prefix.size()));
  }
  std::map<std::string, torch::Tensor> loaded;
  for (const auto& p : params) {
    const auto& e = entries.at(prefix + p.key());
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(scalar_type_of(e.dtype)));
    in.seekg(static_cast<std::streamoff>(header.data_start + e.begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
    TORCH_CHECK(in.good(), path, ": could not read tensor ", prefix + p.key(), "'s ", e.end - e.begin, " bytes");
    loaded.emplace(p.key(), std::move(t));  // safetensors is little-endian, as every platform LibTorch runs on
  }
  torch::NoGradGuard no_grad;
  for (auto& p : params) p.value().copy_(loaded.at(p.key()).to(p.value().device()));
}

}  // namespace ttt
