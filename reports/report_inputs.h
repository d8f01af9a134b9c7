#pragma once
// The files a report is assembled from besides the fixture run: the long-sequence error
// series, the benchmark figures, and a saved report (for `report --from` and `diff`).
// Each is validated field by field; anything unusable is a ReportInputError naming the file
// and the field, never a crash or a half-drawn report. Torch-free.

#include <reports/report_fields.h>

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
// "cpp"|"reference", "tokens_per_s", ...}]}. Returns the report's "benchmarks" section, each
// result with its "key" (benchmark_key).
nlohmann::json benchmarks_section(const std::string& path);

// One benchmark case across impls and reports: the name, plus each identifying field whose
// value the name does not already spell ("prefill/linear/float32/cpu/B:1/L:512/threads:1"
// stays as it is; a bare "prefill" gains " linear float32 cpu batch=1 seq_len=512"). The one
// definition: `diff` matches benchmarks by it, and the page groups C++ with the reference by
// the "key" the report carries.
std::string benchmark_key(const nlohmann::json& result);
void validate_benchmarks(const nlohmann::json& section, const JsonPlace& place);

// The "suites" section (made from ctest's JUnit XML by report_junit.h).
void validate_suites(const nlohmann::json& section, const JsonPlace& place);

// A report written by `ttt-harness check --json`: schema name and version, every case's
// verdict fields, and every optional section. Benchmark results get their "key" (a report
// written before keys were recorded still draws).
nlohmann::json load_report(const std::string& path);
void validate_report(const nlohmann::json& report, const JsonPlace& place);

}  // namespace ttt::harness
