#pragma once
// The header of a safetensors file, read and checked without LibTorch (so that the fuzz
// preset, which builds without it, fuzzes this very code: fuzz/fuzz_safetensors.cpp).
//
// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the tensors' bytes, offsets counted from the end of the header
// (https://huggingface.co/docs/safetensors). Every number in the header is checked against the
// payload before a byte is read by it.

#include <cstdint>
#include <istream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace ttt::safetensors {

// A malformed file: the message names the file, the tensor and what is wrong.
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorEntry {
  std::string dtype;           // the file's code, one of kDtypes
  std::vector<int64_t> shape;  // each entry >= 0
  uint64_t begin = 0, end = 0;  // [begin, end) of the payload, end - begin = numel * itemsize
};

struct Header {
  uint64_t data_start = 0;                     // the payload's first byte in the file
  std::map<std::string, TensorEntry> tensors;  // by name; "__metadata__" is not a tensor
};

// The dtype codes read, and the bytes of one element of each.
struct DtypeCode {
  const char* code;
  uint64_t itemsize;
};
inline constexpr DtypeCode kDtypes[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                        {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};

// Reads the length and the header from `in`, positioned at the file's first byte, of a file of
// `file_size` bytes named `file` in the messages. Every tensor's byte range lies inside the
// payload, holds exactly its elements, and shares no byte with another's. Throws FormatError.
Header read_header(const std::string& file, std::istream& in, uint64_t file_size);

}  // namespace ttt::safetensors
