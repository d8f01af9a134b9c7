#pragma once
// What the harness needs to run someone else's code in a process of its own: a private
// scratch folder, the last lines a process printed, this program's own path, and a child
// started with its standard streams where the caller wants them. Used by `check --isolate`
// (harness/runner/case_process.h) and by a port's process (process_port.h).
//
// Children are started with posix_spawn, never a bare fork: a CUDA context does not survive
// fork, and a port is often a CUDA program.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ttt::ports {

// A private folder, removed with everything in it when this goes out of scope.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& prefix);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The last `count` non-empty lines of a file from byte `from` on, joined by " | ", each cut
// at 300 characters; "(nothing)" when there are none.
std::string last_lines(const std::filesystem::path& file, int count, std::uintmax_t from = 0);

// This program's own path (/proc/self/exe), to run it again as a child.
std::string self_executable();

struct ChildStreams {
  int stdin_fd = -1;       // becomes the child's standard input; -1: /dev/null
  int stdout_fd = -1;      // its standard output; -1: the log file
  std::string log_file;    // its standard error (and output when stdout_fd is -1)
  bool own_process_group = false;  // so that killing the group ends whatever it started
  std::map<std::string, std::string> extra_environment;
};

// Starts `argv` (argv[0] a path, or a name looked up in PATH); returns its pid. Throws
// std::runtime_error saying what could not be started and why.
pid_t spawn_child(const std::vector<std::string>& argv, const ChildStreams& streams);

// How a child that ended ended: "signal 11, Segmentation fault" or "exit status 3".
std::string describe_exit(int wait_status);

}  // namespace ttt::ports
