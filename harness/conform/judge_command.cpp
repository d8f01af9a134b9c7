#include <harness/conform/judge_command.h>

#include <harness/conform/golden_units.h>

#include <harness/runner/fixture_files.h>

#include <harness/fixture/actual_file.h>

#include <map>
#include <ostream>
#include <set>

namespace ttt::conform {

int run_judge(const JudgeOptions& options, const std::vector<std::string>& command, std::ostream& out) {
  std::optional<RunLines> lines;
  try {
    lines.emplace(options.lines, out);
  } catch (const std::exception& e) {
    out << "ERROR " << e.what() << std::endl;
    return 2;
  }
  // The actual files first, by case id; one that cannot be read, or a second one for a case,
  // is an unusable input.
  std::vector<harness::CaseResult> unusable;
  std::map<std::string, harness::ActualFile> actuals;
  for (const auto& file : harness::collect_fixture_files(options.actual, unusable)) {
    try {
      auto actual = harness::read_actual_file(file);
      const auto [it, added] = actuals.emplace(actual.case_id, actual);
      if (!added) {
        unusable.push_back(harness::error_result(
            file, "a second actual file for case " + actual.case_id + " (the first: " + it->second.file + ")"));
      }
    } catch (const std::exception& e) {
      unusable.push_back(harness::error_result(file, e.what()));
    }
  }
  for (const auto& r : unusable) lines->record(r);
  nlohmann::json port = nlohmann::json::object();
  for (const auto& [id, actual] : actuals) {
    if (actual.port.is_object()) port = actual.port;  // what the port says of itself, from any of its files
  }
  port["spec"] = "judge";
  port["device"] = options.lines.device;

  std::set<std::string> matched;
  const auto selected = [&](const std::string& id) { return lines->selected(id); };
  lines->for_each_fixture(options.golden, [&](const harness::Fixture& fixture, const std::string& trust) {
    const auto it = actuals.find(fixture.case_id);
    if (it != actuals.end()) matched.insert(fixture.case_id);
    for (auto result : judge_actual_on_fixture(fixture, it == actuals.end() ? nullptr : &it->second, selected)) {
      result.manifest = trust;
      lines->record(std::move(result));
    }
  });
  for (const auto& [id, actual] : actuals) {
    if (!matched.count(id)) {
      lines->record(harness::error_result(actual.file, "its case " + id + " is not among the golden cases given"));
    }
  }
  const int forced = !actuals.empty() && matched.empty() ? 2 : actuals.empty() && unusable.empty() ? 2 : 0;
  if (forced) {
    lines->record(harness::error_result(
        "judge", actuals.empty() ? "no actual file found under the ACTUAL paths given"
                                 : "none of the " + std::to_string(actuals.size()) + " actual files matches a golden case"));
  }
  return lines->finish(port, nlohmann::json::object(), command, "the golden files given", forced);
}

}  // namespace ttt::conform
