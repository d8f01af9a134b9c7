#include <reports/report_inputs.h>

#include <reports/report_schema.h>
#include <reports/verdict.h>

#include <set>

namespace ttt::harness {
namespace {

void optional_string_fields(const nlohmann::json& object, const JsonPlace& place,
                            std::initializer_list<const char*> keys) {
  for (const char* key : keys) optional_string(object, key, place);
}

void optional_integer_fields(const nlohmann::json& object, const JsonPlace& place,
                             std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const auto it = object.find(key);
    if (it != object.end() && !it->is_null()) integer_member(object, key, place);
  }
}

void validate_one_series(const nlohmann::json& series, const JsonPlace& place) {
  require_object(series, place);
  string_member(series, "name", place);
  optional_string_fields(series, place, {"layer_type", "dtype", "device"});
  optional_integer_fields(series, place, {"seq_len", "mini_batch_size"});
  number_member(series, "bound", place);
  bool_member(series, "passed", place);
  const auto& positions = require_array(require_member(series, "positions", place), place.at("positions"));
  const auto& errors = require_array(require_member(series, "max_abs_err", place), place.at("max_abs_err"));
  for (size_t i = 0; i < positions.size(); ++i) {
    if (!positions[i].is_number_integer()) {
      place.at("positions").at(i).fail("expected an integer position, found " + json_type_name(positions[i]));
    }
  }
  // null stands for a non-finite error (JSON has no NaN or infinity).
  for (size_t i = 0; i < errors.size(); ++i) {
    if (!errors[i].is_number() && !errors[i].is_null()) {
      place.at("max_abs_err").at(i).fail("expected a number or null, found " + json_type_name(errors[i]));
    }
  }
  if (positions.size() != errors.size()) {
    place.fail(std::to_string(positions.size()) + " positions but " + std::to_string(errors.size()) +
               " max_abs_err values");
  }
}

void validate_one_benchmark(const nlohmann::json& result, const JsonPlace& place) {
  require_object(result, place);
  string_member(result, "name", place);
  const auto impl = string_member(result, "impl", place);
  if (impl != "cpp" && impl != "reference") {
    place.at("impl").fail("expected \"cpp\" or \"reference\", found \"" + impl + "\"");
  }
  if (number_member(result, "tokens_per_s", place) < 0) place.at("tokens_per_s").fail("negative throughput");
  optional_string_fields(result, place, {"layer_type", "dtype", "device"});
  optional_integer_fields(result, place, {"batch", "seq_len"});
}

// bench/run's targets (optional): what is measured, its value (null: not measured in that
// run), and met (null likewise); the page shows them as they are.
void validate_one_target(const nlohmann::json& target, const JsonPlace& place) {
  require_object(target, place);
  string_member(target, "what", place);
  optional_number(target, "value", place);
  optional_bool(target, "met", place);
  optional_string_fields(target, place, {"target", "limit"});
}

// An optional member that, when present, is an array of strings (a test's labels, a case's notes).
void optional_string_array(const nlohmann::json& object, const char* key, const JsonPlace& place) {
  const auto member = object.find(key);
  if (member == object.end()) return;
  require_array(*member, place.at(key));
  for (size_t i = 0; i < member->size(); ++i) {
    if (!(*member)[i].is_string()) place.at(key).at(i).fail("expected a string");
  }
}

void validate_one_suite_test(const nlohmann::json& test, const JsonPlace& place) {
  require_object(test, place);
  string_member(test, "name", place);
  const auto status = string_member(test, "status", place);
  if (!suite_test_status_from(status)) place.at("status").fail("expected pass, fail or skip, found \"" + status + "\"");
  optional_number(test, "seconds", place);
  optional_string(test, "message", place);
  optional_string_array(test, "labels", place);
}

void validate_one_case(const nlohmann::json& c, const JsonPlace& place) {
  require_object(c, place);
  const auto status = string_member(c, "status", place);
  if (!case_status_from(status)) {
    place.at("status").fail("expected PASS, FAIL, SKIP, ERROR or NOT_SUPPORTED, found \"" + status + "\"");
  }
  const auto source = optional_string(c, "error_source", place);
  if (!source.empty() && source != to_string(ErrorSource::Input) && source != to_string(ErrorSource::Port)) {
    place.at("error_source").fail("expected \"input\", \"port\" or null, found \"" + source + "\"");
  }
  string_member(c, "case", place);
  string_member(c, "file", place);
  optional_string_fields(c, place, {"layer_type", "mode", "dtype", "message", "decisive", "manifest", "expected_failure"});
  optional_string_array(c, "notes", place);
  const auto comparisons = c.find("comparisons");
  if (comparisons == c.end()) return;
  require_array(*comparisons, place.at("comparisons"));
  for (size_t i = 0; i < comparisons->size(); ++i) {
    const auto where = place.at("comparisons").at(i);
    const auto& comparison = require_object((*comparisons)[i], where);
    string_member(comparison, "tensor", where);
    bool_member(comparison, "passed", where);
    // null: the error was not finite (JSON cannot carry infinity).
    optional_number(comparison, "max_abs_err", where);
    optional_number(comparison, "allowed_abs_err", where);
    optional_number(comparison, "scale", where);
    optional_number(comparison, "margin", where);
    for (const char* key : {"rms_err", "rms_allowed", "row_err", "row_allowed"}) {
      optional_number(comparison, key, where);  // the reference-error rule's other statistics
    }
    optional_string(comparison, "statistic", where);
    optional_string(comparison, "check", where);  // "golden" or "white_box"; absent before the field
  }
}

template <typename Validate>
void validate_each(const nlohmann::json& parent, const char* key, const JsonPlace& place, Validate validate) {
  const auto& items = require_array(require_member(parent, key, place), place.at(key));
  for (size_t i = 0; i < items.size(); ++i) validate(items[i], place.at(key).at(i));
}

}  // namespace

void validate_long_series(const nlohmann::json& section, const JsonPlace& place) {
  require_schema_version(section, kLongSeriesSchemaVersion, place);
  validate_each(section, "series", place, validate_one_series);
}

nlohmann::json long_series_section(const std::string& path) {
  auto document = read_json_document(path);
  validate_long_series(document, {path, ""});
  document["source"] = path;
  return document;
}

void validate_benchmarks(const nlohmann::json& section, const JsonPlace& place) {
  require_schema_version(section, kBenchSchemaVersion, place);
  const auto environment = section.find("environment");
  if (environment != section.end() && !environment->is_null()) require_object(*environment, place.at("environment"));
  validate_each(section, "results", place, validate_one_benchmark);
  if (section.contains("targets")) validate_each(section, "targets", place, validate_one_target);
}

namespace {

void add_benchmark_keys(nlohmann::json& section) {
  for (auto& result : section["results"]) result["key"] = benchmark_key(result);
}

}  // namespace

std::string benchmark_key(const nlohmann::json& result) {
  const std::string name = text_member(result, "name");
  std::string key = name;
  for (const char* field : {"layer_type", "dtype", "device"}) {
    const auto value = text_member(result, field);
    if (!value.empty() && name.find(value) == std::string::npos) key += " " + value;
  }
  for (const char* field : {"batch", "seq_len", "threads"}) {
    if (!result.contains(field) || !result[field].is_number_integer()) continue;
    const auto value = std::to_string(result[field].get<long long>());
    if (name.find(value) == std::string::npos) key += std::string(" ") + field + "=" + value;
  }
  return key;
}

nlohmann::json benchmarks_section(const std::string& path) {
  auto document = read_json_document(path);
  validate_benchmarks(document, {path, ""});
  document["source"] = path;
  add_benchmark_keys(document);
  return document;
}

void validate_suites(const nlohmann::json& section, const JsonPlace& place) {
  validate_each(section, "tests", place, validate_one_suite_test);
}

void validate_report(const nlohmann::json& report, const JsonPlace& place) {
  require_object(report, place);
  const auto schema = string_member(report, "schema", place);
  if (schema != kReportSchemaName) {
    place.at("schema").fail("expected \"" + std::string(kReportSchemaName) + "\", found \"" + schema + "\"");
  }
  require_schema_version(report, kReportSchemaVersion, place);
  validate_each(report, "cases", place, validate_one_case);
  const auto environment = report.find("environment");
  if (environment != report.end()) require_object(*environment, place.at("environment"));
  if (report.contains("suites")) validate_suites(report["suites"], place.at("suites"));
  if (report.contains("long_sequence")) validate_long_series(report["long_sequence"], place.at("long_sequence"));
  if (report.contains("benchmarks")) validate_benchmarks(report["benchmarks"], place.at("benchmarks"));
}

nlohmann::json load_report(const std::string& path) {
  auto report = read_json_document(path);
  validate_report(report, {path, ""});
  if (report.contains("benchmarks")) add_benchmark_keys(report["benchmarks"]);
  return report;
}

}  // namespace ttt::harness
