#pragma once
// The HTML report: one self-contained file (inline CSS, JS and SVG; no network) drawn by the
// page's own script from the report JSON embedded in it. The template is reports/report.html,
// compiled into the binary so that the tool works from any directory. Torch-free.

#include <nlohmann/json.hpp>

#include <string>

namespace ttt::harness {

// The page for `report` (a report as written by --json, with any "suites", "long_sequence",
// "benchmarks" and "diff" sections).
std::string render_html_report(const nlohmann::json& report);

// `report` as JSON text that is safe inside <script type="application/json">: '<', '>' and
// '&' as \u escapes so that no "</script>" or "<!--" in a case id or message can end the
// element, and invalid UTF-8 from input files replaced instead of throwing.
std::string json_for_script_element(const nlohmann::json& report);

// A compiled-in page template with `data` (as json_for_script_element gives it) in place of
// its one `marker`; `template_name` names the template in the error when the marker is missing.
std::string fill_page_template(const char* page_template, const std::string& marker, const nlohmann::json& data,
                               const std::string& template_name);

}  // namespace ttt::harness
