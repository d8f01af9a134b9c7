// A checkpoint's tensors into a layer. The file's format is told by its first bytes: a zip
// (torch.save, torch_zip.cpp) or safetensors, whose header is read and checked by
// safetensors_header.cpp without LibTorch (the fuzz target runs that very code). Then each
// tensor's name, shape and dtype is held to the layer's, and only then is any of it read.
#include <ttt/checkpoint.h>

#include "checkpoint_tensors.h"
#include "safetensors_header.h"

#include <fstream>
#include <iterator>
#include <memory>
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

detail::StoredTensors safetensors_tensors(const std::string& path, std::shared_ptr<std::ifstream> in,
                                          uint64_t file_size) {
  safetensors::Header header;
  try {
    header = safetensors::read_header(path, *in, file_size);
  } catch (const safetensors::FormatError& e) {
    TORCH_CHECK(false, e.what());
  }
  detail::StoredTensors out;
  for (const auto& [name, e] : header.tensors) {
    const auto dtype = scalar_type_of(e.dtype);
    const auto at = header.data_start + e.begin;
    out.emplace(name, detail::StoredTensor{dtype, e.shape, [=, n = name, e = e] {
                  auto t = torch::empty(e.shape, torch::TensorOptions().dtype(dtype));
                  in->seekg(static_cast<std::streamoff>(at));
                  in->read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
                  TORCH_CHECK(in->good(), path, ": could not read tensor ", n, "'s ", e.end - e.begin, " bytes");
                  return t;  // safetensors is little-endian, as every platform LibTorch runs on
                }});
  }
  return out;
}

detail::StoredTensors stored_tensors(const std::string& path) {
  auto in = std::make_shared<std::ifstream>(path, std::ios::binary | std::ios::ate);
  TORCH_CHECK(in->is_open(), path, ": cannot open the checkpoint");
  const auto file_size = static_cast<uint64_t>(in->tellg());
  in->seekg(0);
  char magic[4] = {0, 0, 0, 0};
  in->read(magic, 4);
  in->clear();
  in->seekg(0);
  if (file_size >= 4 && std::string(magic, 4) == std::string("PK\x03\x04", 4)) {
    const std::vector<char> bytes((std::istreambuf_iterator<char>(*in)), std::istreambuf_iterator<char>());
    return detail::torch_zip_tensors(path, bytes);
  }
  return safetensors_tensors(path, in, file_size);
}

}  // namespace

void load_state_dict(TTTBaseImpl& layer, const std::string& path, const std::string& prefix) {
  const auto entries = stored_tensors(path);

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
  for (const auto& p : params) loaded.emplace(p.key(), entries.at(prefix + p.key()).read());
  torch::NoGradGuard no_grad;
  for (auto& p : params) p.value().copy_(loaded.at(p.key()).to(p.value().device()));
}

}  // namespace ttt
