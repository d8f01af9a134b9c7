#pragma once
// `check --isolate`: each fixture runs in a fresh process of this same program, so that a
// case that crashes the layer (an abort, a segfault, a CUDA device-side assert that poisons
// the context) or hangs costs that case alone: it becomes an ERROR line, the other cases
// still run and the report is still written. A fresh process (posix_spawn of
// /proc/self/exe, never a bare fork) because a CUDA context does not survive fork.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ttt::harness {

struct CaseProcessOptions {
  std::string device = "cpu";
  int threads = 1;
  int read_timeout_seconds = 60;
  std::string filter;        // passed on: the child runs the case only if its id matches
  int timeout_seconds = 900;  // then the child is killed and the case is an ERROR
};

// Runs `check FILE --no-manifest --json ...` (the caller has verified the manifest) in a
// child process and returns the report's cases (none when the filter left the case out), or
// one ERROR case naming the file, how the child ended (signal, exit status, timeout) and the
// last lines it printed.
nlohmann::json run_case_in_child(const std::string& file, const CaseProcessOptions& options);

}  // namespace ttt::harness
