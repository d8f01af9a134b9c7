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
  int passed = 0, failed = 0, skipped = 0, errors = 0;
  int exit_code() const { return errors > 0 ? 2 : failed > 0 ? 1 : 0; }
  std::string line() const;  // "N passed, N failed, N skipped"
};
// Counts the cases of a report's "cases" array by their "status".
RunSummary summarize(const nlohmann::json& cases);

// The whole report: schema, environment (plus the dtypes the cases ran in), command, summary,
// every case (case_json objects: made in this process, or read back from the report of a
// child process that ran one case, `check --isolate`). The optional sections (suites,
// long_sequence, benchmarks, diff) are added by report_command.h.
nlohmann::json report_json(const nlohmann::json& cases, const nlohmann::json& environment,
                           const std::vector<std::string>& command);

}  // namespace ttt::harness
