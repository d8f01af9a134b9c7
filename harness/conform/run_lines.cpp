#include <harness/conform/run_lines.h>

#include <harness/runner/environment.h>
#include <harness/runner/fixture_files.h>
#include <reports/report_command.h>
#include <reports/report_json.h>

#include <ostream>

namespace ttt::conform {
namespace {

std::optional<std::regex> pattern(const std::string& option, const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return std::regex(text);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument(option + " \"" + text + "\" is not a regular expression (" + e.what() + ")");
  }
}

}  // namespace

RunLines::RunLines(const LineOptions& options, std::ostream& out)
    : options_(options),
      out_(out),
      filter_(pattern("--filter", options.filter)),
      exclude_(pattern("--exclude", options.exclude)) {
  if (!options.expectations_path.empty()) expectations_ = Expectations::load(options.expectations_path);
}

bool RunLines::selected(const std::string& id) {
  const bool yes = (!filter_ || std::regex_search(id, *filter_)) && (!exclude_ || !std::regex_search(id, *exclude_));
  selected_ += yes;
  return yes;
}

void RunLines::record(harness::CaseResult result) {
  if (!result.case_id.empty()) expectations_.apply(result);
  const auto json = harness::case_json(result);
  cases_.push_back(json);
  out_ << json.value("line", std::string()) << std::endl;
}

void RunLines::for_each_fixture(const std::vector<std::string>& paths,
                                const std::function<void(const harness::Fixture&, const std::string&)>& run) {
  std::vector<harness::CaseResult> unusable;
  const auto files = harness::collect_fixture_files(paths, unusable);
  for (const auto& r : unusable) record(r);
  harness::ManifestCache manifests;
  for (const auto& file : files) {
    std::string trust = "not checked";
    if (!options_.no_manifest) {
      const auto why = manifests.verify(file, trust);
      if (!why.empty()) {
        record(harness::error_result(file, why + " (pass --no-manifest to run it anyway)"));
        continue;
      }
    }
    std::optional<harness::Fixture> fixture;
    try {
      fixture = harness::load_fixture(file);
    } catch (const std::exception& e) {
      record(harness::error_result(file, e.what()));
      continue;
    }
    run(*fixture, trust);
  }
}

int RunLines::finish(const nlohmann::json& port, const nlohmann::json& extra, const std::vector<std::string>& command,
                     const std::string& of_what, int forced) {
  if (forced == 0 && selected_ == 0 && !options_.allow_empty) {
    record(harness::error_result("--filter/--exclude", "selected no case or check (of " + of_what +
                                                           "; --allow-empty if that is intended)"));
    forced = 2;
  }
  const auto summary = harness::summarize(cases_);
  const auto unused = expectations_.unused();
  for (const auto& entry : unused) out_ << "NOTE --expectations " << entry << std::endl;
  if (summary.errors > 0) out_ << summary.errors << " unusable input(s) (ERROR)" << std::endl;
  out_ << summary.line() << std::endl;
  auto report = harness::report_json(cases_, harness::describe_environment(options_.device), command);
  report["port"] = port;
  report["expectations"] = {{"file", options_.expectations_path}, {"unused", unused}};
  report.update(extra);
  harness::write_report_files(report, options_.json_path, options_.html_path);
  return forced != 0 ? forced : summary.exit_code();
}

}  // namespace ttt::conform
