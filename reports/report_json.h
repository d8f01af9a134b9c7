#pragma once
// The JSON report of a run (schema documented in docs/REPORT_SCHEMA.md, versioned).

#include <reports/verdict.h>
#include <reports/report_schema.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <string>
#include <vector>

namespace ttt::harness {

// A time as the reports write it, UTC ISO 8601: "2026-11-23T16:24:28Z".
std::string utc_timestamp(std::time_t time);
std::string utc_now();

nlohmann::json comparison_json(const Comparison& comparison);
nlohmann::json case_json(const CaseResult& result);

struct RunSummary {
  int passed = 0, failed = 0, skipped = 0;
  int errors = 0;         // ERROR for an unusable input (a file, an option): exit 2
  int port_errors = 0;    // ERROR caused by the port under test (it raised, crashed or hung): exit 1
  int not_supported = 0;  // NOT_SUPPORTED: the port does not offer what the case needs
  // Listed in the port's expectations file: failures (FAIL, ERROR, NOT_SUPPORTED) not counted
  // above, and cases listed there that pass now.
  int expected_failures = 0, unexpected_passes = 0;
  int exit_code() const { return errors > 0 ? 2 : failed > 0 || port_errors > 0 ? 1 : 0; }
  // "N passed, N failed, N skipped", then each other count that is not zero.
  std::string line() const;
};
// Counts the cases of a report's "cases" array by their "status" (and "error_source",
// "expected_failure").
RunSummary summarize(const nlohmann::json& cases);

// The whole report: schema, environment (plus the dtypes the cases ran in), command, summary,
// every case (case_json objects: made in this process, or read back from the report of a
// child process that ran one case, `check --isolate`). The optional sections (suites,
// long_sequence, benchmarks, diff) are added by report_command.h.
nlohmann::json report_json(const nlohmann::json& cases, const nlohmann::json& environment,
                           const std::vector<std::string>& command);

}  // namespace ttt::harness
