#pragma once
// What the suites that run the built ttt-harness binary share: running a command line with
// its output captured, shell quoting, reading a file whole. Header-only: those suites link no
// support library.

#include "suites/support/temp_dir.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
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

// `ttt-harness check ARGS...` (the tool's path given) as one command line.
inline std::string check_command_line(const std::string& harness, const std::vector<std::string>& args) {
  std::string command = quote(harness) + " check";
  for (const auto& a : args) command += " " + quote(a);
  return command;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs `command` (a POSIX shell command line, words quoted with quote()) and waits for it:
// stdout line by line, stderr apart (through a scratch file). `shell_prefix` goes before it
// in the same shell (limits: "ulimit -t 20; exec timeout 300 "). The exit code is the
// command's, or 128 + the signal that ended it.
inline CliRun run_command_line(const std::string& command, const std::string& shell_prefix = "") {
  TempDir scratch("stderr");
  const auto err_file = scratch.path() / "stderr.txt";
  CliRun run;
  run.command = command;
  FILE* pipe = ::popen((shell_prefix + command + " 2>" + quote(err_file.string())).c_str(), "r");
  if (pipe == nullptr) return run;
  std::string text;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) text.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) run.lines.push_back(line);
  run.stderr_text = read_text(err_file);
  return run;
}

}  // namespace ttt::testing
