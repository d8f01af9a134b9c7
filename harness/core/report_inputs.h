#pragma once
// The files a report is assembled from besides the fixture run: the long-sequence error
// series, the benchmark figures, and a saved report (for `report --from` and `diff`).
// Each is validated field by field; anything unusable is a ReportInputError naming the file
// and the field, never a crash or a half-drawn report. Torch-free.

#include <harness/core/report_fields.h>

#include <nlohmann/json.hpp>

#include <string>

namespace ttt::harness {

// Newest schema_version of the inputs written by the long suite and by bench/run.
constexpr int kLongSeriesSchemaVersion = 1;
constexpr int kBenchSchemaVersion = 1;

// $TTT_REPORT_DIR/long_sequence.json from the `long` suite:
// {"schema_version": 1, "series": [{"name", "positions": [int], "max_abs_err": [number|null],
//  "bound", "passed", ...}]}. Returns the report's "long_sequence" section (with "source").
nlohmann::json long_series_section(const std::string& path);
void validate_long_series(const nlohmann::json& section, const JsonPlace& place);

// bench/run --json: {"schema_version": 1, "environment": {...}, "results": [{"name", "impl":
// "cpp"|"reference", "tokens_per_s", ...}]}. Returns the report's "benchmarks" section.
nlohmann::json benchmarks_section(const std::string& path);
void validate_benchmarks(const nlohmann::json& section, const JsonPlace& place);

// The "suites" section (made from ctest's JUnit XML by report_junit.h).
void validate_suites(const nlohmann::json& section, const JsonPlace& place);

// A report written by `ttt-harness check --json`: schema name and version, every case's
// verdict fields, and every optional section.
nlohmann::json load_report(const std::string& path);
void validate_report(const nlohmann::json& report, const JsonPlace& place);

}  // namespace ttt::harness
