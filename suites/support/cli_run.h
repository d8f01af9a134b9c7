#pragma once
// What the suites that run the built ttt-harness binary share: the captured run, shell
// quoting, reading a file whole. Header-only: those suites link no support library.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ttt::testing {

// One run of the binary: exit status, stdout split into lines, stderr, the command line.
struct CliRun {
  int exit_code = -1;
  std::vector<std::string> lines;  // stdout
  std::string stderr_text;
  std::string command;

  // For failure messages: the command, stdout, and the last 4000 bytes of stderr.
  std::string output() const {
    std::string all = "$ " + command + "\n";
    for (const auto& l : lines) all += l + "\n";
    if (!stderr_text.empty()) {
      all += "[stderr, last 4000 bytes]\n" +
             stderr_text.substr(stderr_text.size() > 4000 ? stderr_text.size() - 4000 : 0);
    }
    return all;
  }
  std::vector<std::string> starting_with(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& l : lines) {
      if (l.rfind(prefix, 0) == 0) out.push_back(l);
    }
    return out;
  }
  std::string last() const { return lines.empty() ? "" : lines.back(); }
};

// `arg` as one single-quoted POSIX shell word.
inline std::string quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace ttt::testing
