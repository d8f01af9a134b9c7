#include <reports/report_matrix.h>

#include <harness/fixture/atomic_file.h>
#include <reports/report_html.h>
#include <reports/report_inputs.h>
#include <reports/report_json.h>
#include <reports/report_schema.h>

#include "matrix_template.h"  // generated from reports/matrix.html: kMatrixTemplate

#include <map>
#include <ostream>

namespace ttt::harness {
namespace {

using json = nlohmann::json;

// A column: the port a report judged (conform, judge), or this repository's layer (check).
json column_of(const json& report, const std::string& path) {
  json column = {{"report", path}, {"generated_utc", report.value("generated_utc", std::string())}};
  const auto port = report.find("port");
  if (port != report.end() && port->is_object()) {
    column["name"] = port->value("name", std::string("(unnamed port)"));
    column["version"] = port->value("version", std::string());
    column["spec"] = port->value("spec", std::string());
    column["device"] = port->value("device", std::string());
  } else {
    const auto& env = report.value("environment", json::object());
    column["name"] = "ttt C++ layer (check, with its white-box checks)";
    column["version"] = env.value("git_commit", std::string()).substr(0, 12);
    column["spec"] = "check";
    column["device"] = env.value("device", std::string());
  }
  column["summary"] = report.value("summary", json::object());
  return column;
}

// Golden cases by id (a case's /state and /grads lines right after it), then the property
// checks (check/...) in the order the reports list them (the registry's).
bool row_before(const std::string& a, const std::string& b) {
  const bool ca = a.rfind("check/", 0) == 0, cb = b.rfind("check/", 0) == 0;
  if (ca != cb) return cb;
  return !ca && a < b;  // checks keep their first appearance
}

}  // namespace

json build_matrix(const std::vector<std::string>& report_paths) {
  json columns = json::array();
  std::vector<std::string> order;
  std::map<std::string, std::map<std::size_t, json>> cells;
  json incidents = json::object();
  for (std::size_t i = 0; i < report_paths.size(); ++i) {
    const auto report = load_report(report_paths[i]);
    columns.push_back(column_of(report, report_paths[i]));
    for (const auto& c : report["cases"]) {
      // An unusable input has no case id: it is its column's, by the file it names.
      const auto id = c.value("case", std::string()).empty() ? "(input) " + c.value("file", std::string())
                                                             : c.value("case", std::string());
      if (!cells.count(id)) order.push_back(id);
      cells[id][i] = {{"status", c.value("status", std::string())},
                      {"margin", c.value("margin", json(nullptr))},
                      {"line", c.value("line", std::string())},
                      {"expected_failure", c.value("expected_failure", json(nullptr))}};
    }
    for (const auto& check : report.value("checks", json::array())) {
      if (check.is_object() && check.contains("case")) incidents[check.value("case", std::string())] = check;
    }
  }
  std::stable_sort(order.begin(), order.end(), row_before);
  json rows = json::array();
  for (const auto& id : order) {
    json row = {{"case", id}, {"cells", json::array()}};
    if (incidents.contains(id)) {
      row["incident"] = incidents[id].value("incident", json(nullptr));
      row["what"] = incidents[id].value("what", std::string());
    }
    for (std::size_t i = 0; i < report_paths.size(); ++i) {
      const auto it = cells[id].find(i);
      row["cells"].push_back(it == cells[id].end() ? json(nullptr) : it->second);
    }
    rows.push_back(row);
  }
  return {{"schema", "ttt-harness-matrix"}, {"schema_version", 1}, {"generated_utc", utc_now()},
          {"ports", columns}, {"rows", rows}};
}

int run_matrix_command(const MatrixCommandOptions& options, std::ostream& out, std::ostream& err) {
  json matrix;
  try {
    matrix = build_matrix(options.reports);
    if (!options.json_path.empty()) write_file_atomically(options.json_path, matrix.dump(1) + "\n");
    if (!options.html_path.empty()) {
      write_file_atomically(options.html_path,
                            fill_page_template(kMatrixTemplate, "@TTT_MATRIX_JSON@", matrix, "reports/matrix.html"));
    }
  } catch (const std::exception& e) {
    err << "ttt-harness matrix: " << e.what() << std::endl;
    return 2;
  }
  for (const auto& p : matrix["ports"]) {
    const auto& s = p["summary"];
    out << "PORT " << p["name"].get<std::string>() << " (" << p["spec"].get<std::string>() << "): "
        << s.value("passed", 0) << " passed, " << s.value("failed", 0) << " failed, "
        << s.value("port_errors", 0) << " ERROR from the port, " << s.value("not_supported", 0) << " not supported, "
        << s.value("skipped", 0) << " skipped" << std::endl;
  }
  out << matrix["rows"].size() << " rows x " << matrix["ports"].size() << " ports" << std::endl;
  if (!options.json_path.empty()) out << "JSON matrix: " << options.json_path << std::endl;
  if (!options.html_path.empty()) out << "HTML matrix: " << options.html_path << std::endl;
  return 0;
}

}  // namespace ttt::harness
