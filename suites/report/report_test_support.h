#pragma once
// What the report tests share: a synthetic report with one of everything a reviewer must see
// (a failure, a skip, an unusable file, suite results, long-sequence series, benchmarks), the
// ttt-harness tool, and a folder per test for their files.

#include "suites/support/cli_run.h"  // quote, read_text, run_command_line

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ttt::testing {

// A case id and a message that try to inject markup into the page.
constexpr const char* kInjectedCaseId = "linear_<img src=x onerror=alert(1)>_f64";
constexpr const char* kInjectedMessage = "</script><script>alert(2)</script> & <!-- not a comment";

// Cases: 3 PASS (one bit-exact), 1 FAIL, 1 SKIP, 1 ERROR; suites: pass, fail, skip; two long
// series (one over its bound, with a non-finite point); three benchmark cases.
nlohmann::json synthetic_report();

// One bench/run result of the TTT-Linear float32 CPU prefill at `seq_len` (batch 1, one
// thread, `seq_len` tokens per iteration), a repetition per jitter: seconds_all[i] =
// base_seconds * (1 + jitter[i]). For the benchmark statistics of `diff` and `history`.
nlohmann::json bench_result(const std::string& impl, int seq_len, double base_seconds, const std::vector<double>& jitter);

// A folder of its own for the running test (under the build tree), emptied first.
std::string test_folder();
void write_json(const std::string& path, const nlohmann::json& value);
void write_text(const std::string& path, const std::string& text);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line, capturing its output.
CommandResult run_command(const std::string& command_line);
// `ttt-harness <arguments>` (arguments already quoted where needed).
CommandResult run_harness(const std::string& arguments);

}  // namespace ttt::testing
