#pragma once
// A checkpoint file's tensors by name, whatever its format (checkpoint.cpp: safetensors,
// torch_zip.cpp: torch.save's zip format): what each one is, checked against the layer before
// any of them is read, and how to read it.

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ttt::detail {

struct StoredTensor {
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  std::function<torch::Tensor()> read;  // the values, on the CPU; a c10::Error naming the file if they cannot be read
};

using StoredTensors = std::map<std::string, StoredTensor>;

// torch.save's zip format, whose bytes are `bytes` (torch_zip.cpp).
StoredTensors torch_zip_tensors(const std::string& path, const std::vector<char>& bytes);

}  // namespace ttt::detail
