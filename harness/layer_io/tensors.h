#pragma once
// Between fixture arrays (torch-free, stored bytes) and torch tensors.

#include <harness/fixture/fixture.h>

#include <torch/torch.h>

#include <string>

namespace ttt::harness {

torch::ScalarType scalar_type(DType dtype);
DType dtype_of(torch::ScalarType type);  // throws for dtypes the contract has no place for
// The case dtype of a fixture ("float64", "float32", "bfloat16").
torch::ScalarType case_scalar_type(const std::string& dtype);
// The inverse: the name fixtures and reports use for a floating dtype ("float32", not "Float").
std::string dtype_name(torch::ScalarType type);

// A CPU tensor owning a copy of the array's values (bfloat16 bit patterns reinterpreted).
torch::Tensor to_tensor(const Array& array);
// The inverse: an array holding the tensor's values (moved to CPU, made contiguous).
Array to_array(const std::string& path, const torch::Tensor& tensor);

}  // namespace ttt::harness
