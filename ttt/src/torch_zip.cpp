// torch.save's zip format (torch's default since 1.6), read with LibTorch's own unpickler,
// torch::pickle_load. It reads a file holding a dict of tensors: what transformers'
// save_pretrained(safe_serialization=False) writes (pytorch_model.bin), and
// torch.save(dict(model.state_dict())). It cannot read the collections.OrderedDict that
// torch.save(model.state_dict()) writes: LibTorch's unpickler (torch/csrc/jit/serialization/
// unpickler.cpp, torch 2.15) meets an OrderedDict only as a tensor's backward hooks, which it
// drops, so it turns every OrderedDict into None, and filling that None with the state_dict's
// items fails its internal assertion "Expected GenericDict but got None". Such a file is refused
// here by name, before the unpickler sees it, with what to write instead. The legacy format
// (torch.save(..., _use_new_zipfile_serialization=False)) is not a zip and is not read.
#include "checkpoint_tensors.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/serialize.h>

#include <sstream>
#include <string_view>

namespace ttt::detail {
namespace {

// Whether the pickle's top-level object is a collections.OrderedDict: its first opcode after
// PROTO (and protocol 4's FRAME) is the class, as GLOBAL (protocols 2, 3) or as two short
// strings and STACK_GLOBAL (4, 5).
bool top_level_is_ordered_dict(std::string_view pickle) {
  if (pickle.size() >= 2 && pickle[0] == '\x80') pickle.remove_prefix(2);    // PROTO n
  if (pickle.size() >= 9 && pickle[0] == '\x95') pickle.remove_prefix(9);    // FRAME length
  if (pickle.rfind("ccollections\nOrderedDict\n", 0) == 0) return true;      // GLOBAL
  const std::string_view module = "\x8c\x0b" "collections", name = "\x8c\x0b" "OrderedDict";
  if (pickle.rfind(module, 0) != 0) return false;                             // SHORT_BINUNICODE
  pickle.remove_prefix(module.size());
  if (!pickle.empty() && pickle[0] == '\x94') pickle.remove_prefix(1);        // MEMOIZE
  return pickle.rfind(name, 0) == 0;
}

}  // namespace

StoredTensors torch_zip_tensors(const std::string& path, const std::vector<char>& bytes) {
  torch::IValue value;
  try {
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    caffe2::serialize::PyTorchStreamReader reader(&in);
    const auto [pickle, size] = reader.getRecord("data.pkl");
    TORCH_CHECK(!top_level_is_ordered_dict({static_cast<const char*>(pickle.get()), size}), path,
                ": holds an OrderedDict (what torch.save(model.state_dict()) writes), which LibTorch's unpickler "
                "reads as None; save a dict instead (torch.save(dict(model.state_dict()), ...)) or safetensors");
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    TORCH_CHECK(what.rfind(path + ":", 0) != 0, what);  // ours, already naming the file
    TORCH_CHECK(false, path, ": not a readable torch.save zip file (", what.substr(0, what.find('\n')), ")");
  }
  TORCH_CHECK(value.isGenericDict(), path, ": holds a ", value.tagKind(), ", not a dict of tensors");
  StoredTensors out;
  for (const auto& item : value.toGenericDict()) {
    TORCH_CHECK(item.key().isString(), path, ": a key is a ", item.key().tagKind(), ", not a tensor's name");
    const auto& name = item.key().toStringRef();
    TORCH_CHECK(item.value().isTensor(), path, ": entry ", name, " is a ", item.value().tagKind(), ", not a tensor");
    const auto tensor = item.value().toTensor();
    out.emplace(name, StoredTensor{tensor.scalar_type(), tensor.sizes().vec(), [tensor] { return tensor; }});
  }
  return out;
}

}  // namespace ttt::detail
