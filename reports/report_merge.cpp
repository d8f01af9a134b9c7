#include <reports/report_merge.h>

#include <reports/report_fields.h>
#include <reports/report_inputs.h>
#include <reports/report_json.h>
#include <reports/report_junit.h>

#include <algorithm>
#include <optional>
#include <map>
#include <stdexcept>

namespace ttt::harness {
namespace {

// The report's shard, or none; a malformed one fails naming the file.
std::optional<Shard> shard_of(const nlohmann::json& report, const std::string& path) {
  if (!report.contains("shard")) return std::nullopt;
  const JsonPlace place{path, "/shard"};
  const auto& s = require_object(report["shard"], place);
  Shard shard{static_cast<int>(integer_member(s, "index", place)), static_cast<int>(integer_member(s, "count", place))};
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    place.fail("shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) +
               " is not one of 1..count");
  }
  return shard;
}

// Concatenates `array_key` of `section` over the reports that have it; the first such
// report's other fields are kept, and "source" lists every file read.
void merge_section(nlohmann::json& merged, const std::vector<nlohmann::json>& reports, const std::string& section,
                   const std::string& array_key) {
  nlohmann::json out;
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& r : reports) {
    if (!r.contains(section)) continue;
    const auto& s = r[section];
    if (out.is_null()) {
      out = s;
      out[array_key] = nlohmann::json::array();
    }
    for (const auto& item : s.value(array_key, nlohmann::json::array())) out[array_key].push_back(item);
    sources.push_back(s.value("source", nlohmann::json(nullptr)));
  }
  if (out.is_null()) return;
  if (sources.size() > 1) out["source"] = sources;
  merged[section] = out;
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("--shard '" + text + "': " + why + " (expected i/n with 1 <= i <= n, e.g. 2/3)");
  };
  if (slash == std::string::npos) throw bad("no '/'");
  Shard shard;
  try {
    std::size_t used = 0;
    shard.index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw bad("the index is not a number");
    const auto rest = text.substr(slash + 1);
    shard.count = std::stoi(rest, &used);
    if (used != rest.size()) throw bad("the count is not a number");
  } catch (const std::invalid_argument&) {
    throw bad("not two numbers");
  } catch (const std::out_of_range&) {
    throw bad("a number is out of range");
  }
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) throw bad("out of range");
  return shard;
}

nlohmann::json merge_reports(const std::vector<std::string>& paths, const std::vector<std::string>& command,
                             int expected_shards) {
  if (paths.empty()) throw ReportInputError("report --merge: no report to merge");
  std::vector<nlohmann::json> reports;
  std::map<int, std::string> shard_files;
  int count = 0;
  int sharded = 0;
  for (const auto& path : paths) {
    reports.push_back(load_report(path));
    const auto shard = shard_of(reports.back(), path);
    if (!shard) continue;
    ++sharded;
    if (count != 0 && shard->count != count) {
      throw ReportInputError(path + ": shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) +
                             " does not belong with the shards of " + std::to_string(count) + " in " +
                             shard_files.begin()->second);
    }
    count = shard->count;
    const auto [it, added] = shard_files.emplace(shard->index, path);
    if (!added) {
      throw ReportInputError(path + ": shard " + std::to_string(shard->index) + "/" + std::to_string(count) +
                             " is also " + it->second);
    }
  }
  if (sharded != 0 && sharded != static_cast<int>(paths.size())) {
    throw ReportInputError("report --merge: " + std::to_string(paths.size() - sharded) +
                           " of the reports were not made with --shard, the others were: merge shards of one run");
  }
  if (expected_shards != 0) {
    if (sharded == 0) throw ReportInputError("report --merge --shards: none of the reports was made with --shard");
    if (count != expected_shards) {
      throw ReportInputError(shard_files.begin()->second + ": a shard of " + std::to_string(count) +
                             ", but the run had " + std::to_string(expected_shards) + " (--shards)");
    }
  }
  nlohmann::json cases = nlohmann::json::array();
  nlohmann::json missing = nlohmann::json::array();
  for (int i = 1; i <= count; ++i) {
    if (shard_files.count(i)) continue;
    const auto name = "shard " + std::to_string(i) + "/" + std::to_string(count);
    cases.push_back(case_json(error_result(
        name, "missing: no report from this shard (given " + std::to_string(sharded) + " of " + std::to_string(count) +
                  "); its fixtures were not checked")));
    missing.push_back(i);
  }

  std::map<std::string, std::string> file_owner;
  nlohmann::json merged_from = nlohmann::json::array();
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    for (const auto& c : r["cases"]) {
      const auto file = c.value("file", std::string());
      const auto [it, added] = file_owner.emplace(file, paths[i]);
      if (!added && c.value("status", std::string()) != "ERROR") {
        throw ReportInputError(paths[i] + ": the fixture " + file + " is also in " + it->second +
                               " (shards of one run never share a file)");
      }
      cases.push_back(c);
    }
    const auto& env = r["environment"];
    merged_from.push_back({{"path", paths[i]},
                           {"shard", r.value("shard", nlohmann::json(nullptr))},
                           {"generated_utc", r.value("generated_utc", std::string())},
                           {"host", env.value("host", std::string())},
                           {"device", env.value("device", std::string())},
                           {"device_name", env.value("device_name", std::string())},
                           {"git_commit", env.value("git_commit", std::string())},
                           {"summary", r["summary"]}});
  }
  // Sorted by file, the missing shards first (their lines lead the merged run's output).
  std::stable_sort(cases.begin() + static_cast<std::ptrdiff_t>(missing.size()), cases.end(),
                   [](const nlohmann::json& a, const nlohmann::json& b) {
                     return a.value("file", std::string()) < b.value("file", std::string());
                   });

  auto merged = report_json(cases, reports.front()["environment"], command);
  merged["merged_from"] = merged_from;
  if (!missing.empty()) merged["missing_shards"] = {{"count", count}, {"indices", missing}};
  merge_section(merged, reports, "suites", "tests");
  if (merged.contains("suites")) merged["suites"]["summary"] = suites_summary(merged["suites"]["tests"]);
  merge_section(merged, reports, "long_sequence", "series");
  merge_section(merged, reports, "benchmarks", "results");
  return merged;
}

}  // namespace ttt::harness
