#pragma once
// Assembling and writing reports, shared by `check` and the two torch-free commands
// `ttt-harness report --from REPORT.json --html PATH` and `ttt-harness diff BASE.json NEW.json`.

#include <reports/report_diff.h>

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace ttt::harness {

// Result files folded into a report besides the fixture run; an empty path is left out.
struct ReportSources {
  std::string junit_path;        // ctest --output-junit XML -> "suites"
  std::string ctest_tests_path;  // ctest --show-only=json-v1 output: the suite tests' labels
  std::string long_series_path;  // the long suite's long_sequence.json -> "long_sequence"
  std::string bench_path;        // bench/run --json output -> "benchmarks"
};

// Throws ReportInputError naming the file when one cannot be used.
void add_report_sections(nlohmann::json& report, const ReportSources& sources);

// Diffs `report` against the (loaded) baseline, stores the "diff" section, prints each
// regression's line and the diff's summary line; returns the number of regressions. check
// --baseline and report --baseline both go through here, so both print and exit alike (1 on a
// regression).
int diff_against_baseline(nlohmann::json& report, const nlohmann::json& baseline, const std::string& baseline_path,
                          const DiffOptions& options, std::ostream& out);

// Each file written atomically (never half-written); an empty path is skipped.
void write_report_files(const nlohmann::json& report, const std::string& json_path, const std::string& html_path);

struct ReportCommandOptions {
  std::string from_path;      // a report written by check --json
  std::vector<std::string> merge_paths;  // or: the reports of check --shard runs, merged (report_merge.h)
  int shards = 0;             // --merge: the number of shards the run was started with (0: as the reports say)
  std::string html_path;      // the page to write
  std::string json_path;      // optional: the report with the folded-in sections, as JSON
  std::string baseline_path;  // optional: show the diff against this report
  ReportSources sources;
  DiffOptions diff;
};
// 0 written, 1 written and --baseline found a regression, 2 an input was unusable or a shard's
// report is missing (the merged report is still written, the missing shard an ERROR case in it) (message on `err` naming the file). `command` is
// recorded as a merged report's command line.
int run_report_command(const ReportCommandOptions& options, const std::vector<std::string>& command, std::ostream& out,
                       std::ostream& err);

struct DiffCommandOptions {
  std::string base_path;
  std::string new_path;
  DiffOptions diff;
};
// One line per finding, then a summary; 1 on any regression, 0 otherwise, 2 unusable input.
int run_diff_command(const DiffCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ttt::harness
