#pragma once
// The conformance matrix: several ports' reports side by side, one row per golden case or
// property check, one column per port (`ttt-harness matrix REPORT.json...`), as JSON and a
// self-contained page (reports/matrix.html). A report of `check` is a column too: this
// repository's layer, judged in process with its white-box checks. Torch-free.

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace ttt::harness {

// Throws ReportInputError naming the file and field of a report that cannot be used.
nlohmann::json build_matrix(const std::vector<std::string>& report_paths);

struct MatrixCommandOptions {
  std::vector<std::string> reports;
  std::string json_path, html_path;
};
// Prints one line per port (its counts) and where the files went; 0, or 2 for an unusable report.
int run_matrix_command(const MatrixCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ttt::harness
