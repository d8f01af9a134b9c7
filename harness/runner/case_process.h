#pragma once
// `check --isolate`: each fixture runs in a fresh process of this same program, so that a
// case that crashes the layer (an abort, a segfault, a CUDA device-side assert that poisons
// the context) or hangs costs that case alone: it becomes an ERROR line, the other cases
// still run and the report is still written. A fresh process (posix_spawn of
// /proc/self/exe, never a bare fork) because a CUDA context does not survive fork.

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ttt::harness {

struct CaseProcessOptions {
  std::string device = "cpu";
  int threads = 1;
  int read_timeout_seconds = 60;
  std::string filter;        // passed on: the child runs the case only if its id matches
  int timeout_seconds = 900;  // then the child is killed and the case is an ERROR
  int jobs = 1;               // children at a time (--jobs): a GPU machine has cores to spare
};

// Runs `check FILE --no-manifest --json ...` (the caller has verified the manifests) for each
// file in a child process, up to `jobs` at a time, and calls `done(i, cases)` in the order of
// `files`: the cases of the child's report (none when the filter left the case out), or one
// ERROR case naming the file, how the child ended (signal, exit status, timeout) and the last
// lines it printed.
void run_cases_in_children(const std::vector<std::string>& files, const CaseProcessOptions& options,
                           const std::function<void(std::size_t, const nlohmann::json&)>& done);

}  // namespace ttt::harness
