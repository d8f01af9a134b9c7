#include <reports/report_command.h>

#include <harness/fixture/atomic_file.h>
#include <reports/report_html.h>
#include <reports/report_inputs.h>
#include <reports/report_json.h>
#include <reports/report_junit.h>
#include <reports/report_merge.h>

#include <sys/stat.h>

#include <ostream>

namespace ttt::harness {
namespace {

// When a folded-in file was written: scripts/main folds in whatever an earlier scripts/test
// left in out/, and a reviewer should see how old it is.
nlohmann::json modified_utc(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return nullptr;
  return utc_timestamp(info.st_mtime);
}

}  // namespace

void add_report_sections(nlohmann::json& report, const ReportSources& sources) {
  if (!sources.junit_path.empty()) {
    report["suites"] = suites_section(sources.junit_path, sources.ctest_tests_path);
    report["suites"]["source_modified_utc"] = modified_utc(sources.junit_path);
  }
  if (!sources.long_series_path.empty()) {
    report["long_sequence"] = long_series_section(sources.long_series_path);
    report["long_sequence"]["source_modified_utc"] = modified_utc(sources.long_series_path);
  }
  if (!sources.bench_path.empty()) {
    report["benchmarks"] = benchmarks_section(sources.bench_path);
    report["benchmarks"]["source_modified_utc"] = modified_utc(sources.bench_path);
  }
}

int diff_against_baseline(nlohmann::json& report, const nlohmann::json& baseline, const std::string& baseline_path,
                          const DiffOptions& options, std::ostream& out) {
  const auto result = diff_reports(baseline, report, options);
  report["diff"] = diff_section(result, options, baseline_path, baseline);
  for (const auto& finding : result.findings) {
    if (finding.regression) out << finding.line() << std::endl;
  }
  out << diff_summary_line(result, options, baseline_path) << std::endl;
  return result.regressions();
}

void write_report_files(const nlohmann::json& report, const std::string& json_path, const std::string& html_path) {
  // replace: a message with invalid UTF-8 (from a test's output) must not lose the report.
  if (!json_path.empty()) {
    write_file_atomically(json_path, report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  if (!html_path.empty()) write_file_atomically(html_path, render_html_report(report));
}

int run_report_command(const ReportCommandOptions& options, const std::vector<std::string>& command, std::ostream& out,
                       std::ostream& err) {
  int regressions = 0;
  bool unusable = false;  // a shard's report is missing: the report is written, the exit is 2
  try {
    auto report = options.merge_paths.empty() ? load_report(options.from_path)
                                              : merge_reports(options.merge_paths, command, options.shards);
    if (report.contains("missing_shards")) {
      const auto& m = report["missing_shards"];
      for (const auto& index : m["indices"]) {
        if (options.merge_paths.empty()) {
          err << "ttt-harness report: " << options.from_path << " was merged with shard " << index.get<int>() << "/"
              << m["count"].get<int>() << " missing (an ERROR case in it)" << std::endl;
        } else {
          err << "ttt-harness report: --merge: shard " << index.get<int>() << "/" << m["count"].get<int>()
              << " is missing (given: " << options.merge_paths.size() << " of " << m["count"].get<int>()
              << "); the merged report names it as an ERROR case" << std::endl;
        }
      }
      unusable = true;
    }
    if (!options.merge_paths.empty()) {
      const auto& s = report["summary"];
      out << "merged " << options.merge_paths.size() << " reports: " << s["passed"] << " passed, " << s["failed"]
          << " failed, " << s["skipped"] << " skipped, " << s["errors"] << " unusable (ERROR)" << std::endl;
    }
    add_report_sections(report, options.sources);
    if (!options.baseline_path.empty()) {
      regressions = diff_against_baseline(report, load_report(options.baseline_path), options.baseline_path,
                                          options.diff, out);
    }
    write_report_files(report, options.json_path, options.html_path);
  } catch (const std::exception& e) {
    err << "ttt-harness report: " << e.what() << std::endl;
    return 2;
  }
  if (!options.json_path.empty()) out << "JSON report: " << options.json_path << std::endl;
  if (!options.html_path.empty()) out << "HTML report: " << options.html_path << std::endl;
  return unusable ? 2 : regressions > 0 ? 1 : 0;
}

int run_diff_command(const DiffCommandOptions& options, std::ostream& out, std::ostream& err) {
  DiffResult result;
  try {
    const auto base = load_report(options.base_path);
    const auto current = load_report(options.new_path);
    result = diff_reports(base, current, options.diff);
  } catch (const std::exception& e) {
    err << "ttt-harness diff: " << e.what() << std::endl;
    return 2;
  }
  for (const auto& finding : result.findings) out << finding.line() << "\n";
  out << diff_summary_line(result, options.diff, options.base_path) << std::endl;
  return result.regressions() > 0 ? 1 : 0;
}

}  // namespace ttt::harness
