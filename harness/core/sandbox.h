#pragma once
// Runs a piece of work in a forked child process, so that a crash or a hang inside a
// third-party library (HDF5 on a hostile file) becomes an error message, not the end of an
// unattended nightly run.

#include <functional>
#include <string>

namespace ttt::harness {

struct IsolatedOutcome {
  bool ok = false;
  std::string error;  // the work's own message, or how the child died or that it timed out
};

// `work` returns an empty string on success or the reason it failed. Only what it returns
// crosses back; it must not rely on side effects in the parent.
IsolatedOutcome run_isolated(const std::function<std::string()>& work, int timeout_seconds);

}  // namespace ttt::harness
