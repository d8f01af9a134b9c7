#pragma once
// Suite results for the report: ctest's JUnit XML (`ctest --output-junit`) read with pugixml
// into the report's "suites" section. Torch-free.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace ttt::harness {

// Per test: name, labels, status "pass" | "fail" | "skip", seconds, and for a failure or a
// skip the lines of its output that say why. `ctest_tests_path`, when not empty, is the output
// of `ctest --show-only=json-v1` (JUnit XML carries no labels). Throws ReportInputError
// naming the file for anything unreadable.
nlohmann::json suites_section(const std::string& junit_path, const std::string& ctest_tests_path = "");

// The section's "summary" from its "tests": passed, failed, skipped, total, seconds (also for
// a section merged from several reports, report --merge).
nlohmann::json suites_summary(const nlohmann::json& tests);

// Test name -> its LABELS property, from `ctest --show-only=json-v1` output.
std::map<std::string, std::vector<std::string>> read_ctest_labels(const std::string& path);

// The lines of a test's output that explain a failure (GoogleTest's "file:line: Failure"
// blocks), else its last lines; capped so that one noisy test cannot bloat the report.
std::string failure_excerpt(const std::string& output);
// GoogleTest's "file:line: Skipped" message, else "".
std::string skip_reason(const std::string& output);

}  // namespace ttt::harness
