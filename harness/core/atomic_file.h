#pragma once
// Files that a later run trusts are written whole or not at all: write a temporary file in
// the same folder, flush it to disk, rename it over the target.

#include <string>

namespace ttt::harness {

// Throws std::runtime_error naming the path when the file cannot be written.
void write_file_atomically(const std::string& path, const std::string& contents);

std::string read_file(const std::string& path);  // throws std::runtime_error naming the path

}  // namespace ttt::harness
