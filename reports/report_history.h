#pragma once
// `ttt-harness history REPORT.json... | FOLDER...`: a nightly job read as a history. Each
// figure of each night's report becomes a series over the nights, ordered by when each
// report was made, and a change point is marked where a series moved beyond its noise, with
// the commit range it moved in:
//   - a case: its status (a flip between PASS and FAIL/ERROR), and its margin (error /
//     allowed): moved by more than `error_factor` (and more than the spread of the nights
//     before it, squared) from the median of up to three nights before it;
//   - a benchmark: the C++/reference tokens/s of each night; with repetitions, a change of
//     more than `speed_change` whose Mann-Whitney test against the pooled nights before it
//     (up to three) gives p < 0.05 (reports/bench_stats.h); without, a change of more than
//     `speed_change` and three times the spread of the nights before;
//   - a suite test: a flip between pass and fail.
// After a change point the series' "before" starts again from it. Writes history.json (schema
// in docs/REPORT_SCHEMA.md) and a self-contained page (reports/history.html). Torch-free.

#include <iosfwd>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ttt::harness {

struct HistoryOptions {
  double error_factor = 2.0;   // a margin this many times higher or lower than before
  double speed_change = 0.10;  // a C++/reference ratio this much lower or higher than before
};

// The report files under `inputs` (files, or folders searched for *.json files whose "schema"
// is a ttt-harness report), validated; throws ReportInputError naming a file at fault.
std::vector<std::string> collect_reports(const std::vector<std::string>& inputs);

nlohmann::json build_history(const std::vector<std::string>& report_paths, const HistoryOptions& options);

std::string render_html_history(const nlohmann::json& history);

struct HistoryCommandOptions {
  std::vector<std::string> inputs;
  std::string json_path;
  std::string html_path;
  HistoryOptions options;
};
// One line per change point (`CHANGE <kind> <subject> at <night> (<commit>..<commit>): ...`)
// and a summary line; 0 written, 2 an input was unusable.
int run_history_command(const HistoryCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ttt::harness
