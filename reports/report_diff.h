#pragma once
// Regression diff of two JSON reports (`ttt-harness diff BASE.json NEW.json`, and the
// "diff" section of a report made with --baseline): new failures, errors that grew beyond a
// factor, cases/tests/series/benchmarks that went missing or stopped running, and benchmark
// slowdowns beyond a threshold. Torch-free.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ttt::harness {

struct DiffOptions {
  // A comparison whose max_abs_err grew by more than this factor is a regression. Errors below
  // one unit roundoff of the case's dtype times the tensor's scale count as that much, so that
  // 0 -> 2e-16 (float64 rounding noise) is not an infinite growth.
  double error_growth = 10.0;
  // A C++ benchmark whose tokens/s fell by more than this fraction is a regression.
  double slowdown = 0.10;
};

// What a finding is about, most severe first (the order findings are listed in). Spelled
// (to_string) as in the report's "kind" and the `diff` lines; docs/REPORT_SCHEMA.md lists them.
enum class DiffKind {
  NewFailure,        // "new_failure": a case, suite test or series now fails (was absent, passed or skipped)
  MissingCase,       // "missing_case"
  MissingTest,       // "missing_test"
  MissingSeries,     // "missing_series"
  NewSkip,           // "new_skip": ran in the baseline, skipped now
  ErrorGrowth,       // "error_growth"
  Slowdown,          // "slowdown"
  MissingBenchmark,  // "missing_benchmark"
  SectionMissing,    // "section_missing" (a note)
  Environment,       // "environment" (a note)
  Fixed,             // "fixed" (a note)
  NewCase,           // "new_case" (a note)
};
const char* to_string(DiffKind kind);

struct Finding {
  bool regression = true;  // false: a note (a fixed case, a new case, a changed environment)
  DiffKind kind = DiffKind::NewFailure;
  std::string subject;     // the case id, suite test, series name or benchmark
  std::string detail;      // what changed, with the figures
  // "REGRESSION error_growth linear_x/output: max_abs_err 1.1e-16 -> 4.0e-13 (x3.6e+03 > x10)"
  std::string line() const;
};

struct DiffResult {
  std::vector<Finding> findings;  // regressions first, most severe kind first
  int regressions() const;
};

// Both reports must have passed validate_report (report_inputs.h).
DiffResult diff_reports(const nlohmann::json& base, const nlohmann::json& current, const DiffOptions& options);

// The "diff" section embedded in a report made against a baseline.
nlohmann::json diff_section(const DiffResult& result, const DiffOptions& options, const std::string& baseline_path,
                            const nlohmann::json& baseline);

// "N regression(s) against BASE (error growth > x10, slowdown > 10%)".
std::string diff_summary_line(const DiffResult& result, const DiffOptions& options, const std::string& baseline_path);

}  // namespace ttt::harness
