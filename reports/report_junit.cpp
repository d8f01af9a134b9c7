#include <reports/report_junit.h>

#include <reports/report_fields.h>
#include <reports/verdict.h>

#include <pugixml.hpp>

#include <cstdlib>
#include <sstream>

namespace ttt::harness {
namespace {

constexpr size_t kMaxMessageChars = 4000;
constexpr size_t kTailLines = 15;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// GoogleTest's progress lines ("[ RUN      ] ...", "[  FAILED  ] ...") end a message block.
bool is_gtest_marker(const std::string& line) { return line.rfind("[ ", 0) == 0 || line.rfind("[==", 0) == 0 || line.rfind("[--", 0) == 0; }

std::string cap(std::string text) {
  if (text.size() <= kMaxMessageChars) return text;
  text.resize(kMaxMessageChars);
  return text + "\n... (cut at " + std::to_string(kMaxMessageChars) + " characters)";
}

// Every block that starts with a line ending in `header` (e.g. ": Failure"), up to the next
// GoogleTest marker line.
std::string blocks_after(const std::vector<std::string>& lines, const std::string& header) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!ends_with(lines[i], header)) continue;
    for (size_t j = i; j < lines.size() && (j == i || !is_gtest_marker(lines[j])); ++j) {
      if (j > i && ends_with(lines[j], header)) break;
      out += lines[j] + "\n";
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// ctest's JUnit spells its own statuses ("fail", "notrun", "disabled") in the attribute.
Status status_of(const pugi::xml_node& testcase) {
  const std::string status = testcase.attribute("status").as_string();
  if (testcase.child("failure") || testcase.child("error") || status == "fail") return Status::Fail;
  if (testcase.child("skipped") || status == "notrun" || status == "disabled") return Status::Skip;
  return Status::Pass;
}

nlohmann::json test_json(const pugi::xml_node& testcase, const std::map<std::string, std::vector<std::string>>& labels) {
  const std::string name = testcase.attribute("name").as_string();
  const std::string output = testcase.child("system-out").text().as_string();
  const auto status = status_of(testcase);
  std::string message;
  if (status == Status::Fail) {
    const auto failure = testcase.child("failure") ? testcase.child("failure") : testcase.child("error");
    const std::string attribute = failure.attribute("message").as_string();
    const auto excerpt = failure_excerpt(output);
    message = attribute.empty() ? excerpt : attribute + (excerpt.empty() ? "" : "\n" + excerpt);
    if (message.empty()) message = "failed with no output (a crash or a ctest timeout; see the ctest log)";
  } else if (status == Status::Skip) {
    message = skip_reason(output);
    if (message.empty()) message = testcase.child("skipped").attribute("message").as_string();
  }
  const auto found = labels.find(name);
  return {
      {"name", name},
      {"labels", found == labels.end() ? std::vector<std::string>{} : found->second},
      {"status", suite_test_spelling(status)},
      {"seconds", testcase.attribute("time").as_double()},
      {"message", message},
  };
}

}  // namespace

std::string failure_excerpt(const std::string& output) {
  const auto lines = split_lines(output);
  auto blocks = blocks_after(lines, ": Failure");
  if (!blocks.empty()) return cap(blocks);
  std::string tail;
  for (size_t i = lines.size() > kTailLines ? lines.size() - kTailLines : 0; i < lines.size(); ++i) {
    tail += lines[i] + "\n";
  }
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  return cap(tail);
}

std::string skip_reason(const std::string& output) { return cap(blocks_after(split_lines(output), ": Skipped")); }

std::map<std::string, std::vector<std::string>> read_ctest_labels(const std::string& path) {
  const auto document = read_json_document(path);
  const JsonPlace place{path, ""};
  std::map<std::string, std::vector<std::string>> labels;
  const auto& tests = require_array(require_member(document, "tests", place), place.at("tests"));
  for (size_t i = 0; i < tests.size(); ++i) {
    const auto where = place.at("tests").at(i);
    const auto name = string_member(tests[i], "name", where);
    const auto properties = tests[i].find("properties");
    if (properties == tests[i].end()) continue;
    require_array(*properties, where.at("properties"));
    for (size_t p = 0; p < properties->size(); ++p) {
      const auto& property = (*properties)[p];
      const auto at = where.at("properties").at(p);
      if (string_member(property, "name", at) != "LABELS") continue;
      const auto& value = require_member(property, "value", at);
      // ctest writes a list; a single label may come as a plain string.
      if (value.is_string()) {
        labels[name].push_back(value.get<std::string>());
        continue;
      }
      require_array(value, at.at("value"));
      for (size_t v = 0; v < value.size(); ++v) {
        if (!value[v].is_string()) at.at("value").at(v).fail("expected a string label");
        labels[name].push_back(value[v].get<std::string>());
      }
    }
  }
  return labels;
}

nlohmann::json suites_section(const std::string& junit_path, const std::string& ctest_tests_path) {
  pugi::xml_document document;
  const auto parsed = document.load_file(junit_path.c_str());
  if (parsed.status == pugi::status_file_not_found || parsed.status == pugi::status_io_error) {
    throw ReportInputError(junit_path + ": cannot read the file (missing or not readable)");
  }
  if (!parsed) {
    throw ReportInputError(junit_path + ": not valid XML: " + parsed.description() + " at byte " +
                           std::to_string(parsed.offset));
  }
  const auto root = document.document_element();
  const std::string root_name = root.name();
  if (root_name != "testsuite" && root_name != "testsuites") {
    throw ReportInputError(junit_path + ": not JUnit XML: the root element is <" + root_name +
                           ">, expected <testsuite> or <testsuites>");
  }
  const auto labels = ctest_tests_path.empty() ? std::map<std::string, std::vector<std::string>>{}
                                               : read_ctest_labels(ctest_tests_path);
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& node : root.select_nodes("//testcase")) tests.push_back(test_json(node.node(), labels));
  return {
      {"source", junit_path},
      {"labels_source", ctest_tests_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(ctest_tests_path)},
      {"summary", suites_summary(tests)},
      {"tests", tests},
  };
}

nlohmann::json suites_summary(const nlohmann::json& tests) {
  int passed = 0, failed = 0, skipped = 0;
  double seconds = 0;
  for (const auto& test : tests) {
    const auto status = suite_test_status_from(test.value("status", std::string()));
    passed += status == Status::Pass;
    failed += status == Status::Fail;
    skipped += status == Status::Skip;
    seconds += test.value("seconds", 0.0);
  }
  return {{"passed", passed}, {"failed", failed}, {"skipped", skipped}, {"total", passed + failed + skipped},
          {"seconds", seconds}};
}

}  // namespace ttt::harness
