#pragma once
// The identity of the JSON report (docs/REPORT_SCHEMA.md), shared by the torch side that
// writes it and the torch-free side that reads it back (report --from, diff).

#include <string>

namespace ttt::harness {

constexpr const char* kReportSchemaName = "ttt-harness-report";
// Bumped only when a reader of version N could misread a report: adding fields keeps it.
constexpr int kReportSchemaVersion = 1;

}  // namespace ttt::harness
