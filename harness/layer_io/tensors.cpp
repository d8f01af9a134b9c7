#include <harness/layer_io/tensors.h>

#include <cstring>
#include <stdexcept>

namespace ttt::harness {

torch::ScalarType scalar_type(DType dtype) {
  switch (dtype) {
    case DType::Float64: return torch::kFloat64;
    case DType::Float32: return torch::kFloat32;
    case DType::BFloat16: return torch::kBFloat16;
    case DType::Int64: return torch::kInt64;
  }
  throw std::invalid_argument("unknown fixture dtype");
}

DType dtype_of(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return DType::Float64;
    case torch::kFloat32: return DType::Float32;
    case torch::kBFloat16: return DType::BFloat16;
    case torch::kInt64: return DType::Int64;
    default: throw std::invalid_argument(std::string("no fixture dtype for ") + c10::toString(type));
  }
}

torch::ScalarType case_scalar_type(const std::string& dtype) {
  if (dtype == "float64") return torch::kFloat64;
  if (dtype == "float32") return torch::kFloat32;
  if (dtype == "bfloat16") return torch::kBFloat16;
  throw std::invalid_argument("unknown case dtype '" + dtype + "'");
}

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return "float64";
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    default: throw std::invalid_argument(std::string("no case dtype name for ") + c10::toString(type));
  }
}

torch::Tensor to_tensor(const Array& array) {
  auto tensor = torch::empty(array.shape, torch::dtype(scalar_type(array.dtype)));
  const auto bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
  if (bytes != array.data.size()) {
    throw std::invalid_argument(array.path + ": holds " + std::to_string(array.data.size()) + " bytes, shape " +
                                array.shape_string() + " needs " + std::to_string(bytes));
  }
  if (bytes > 0) std::memcpy(tensor.data_ptr(), array.data.data(), bytes);
  return tensor;
}

Array to_array(const std::string& path, const torch::Tensor& tensor) {
  const auto cpu = tensor.detach().to(torch::kCPU).contiguous();
  Array array;
  array.path = path;
  array.dtype = dtype_of(cpu.scalar_type());
  array.shape = cpu.sizes().vec();
  array.data.resize(static_cast<std::size_t>(cpu.numel()) * cpu.element_size());
  if (!array.data.empty()) std::memcpy(array.data.data(), cpu.data_ptr(), array.data.size());
  return array;
}

}  // namespace ttt::harness
