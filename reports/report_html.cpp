#include <reports/report_html.h>

#include "report_template.h"  // generated from reports/report.html: kReportTemplate

#include <stdexcept>

namespace ttt::harness {
namespace {

// Where the template takes the data; it appears once, inside the data <script> element.
constexpr const char* kDataMarker = "@TTT_REPORT_JSON@";

}  // namespace

std::string json_for_script_element(const nlohmann::json& report) {
  const auto text = report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  // These characters only occur inside JSON strings, where the \u form means the same.
  for (const char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fill_page_template(const char* page_template, const std::string& marker, const nlohmann::json& data,
                               const std::string& template_name) {
  std::string page(page_template);
  const auto at = page.find(marker);
  if (at == std::string::npos) throw std::logic_error(template_name + " has no " + marker);
  page.replace(at, marker.size(), json_for_script_element(data));
  return page;
}

std::string render_html_report(const nlohmann::json& report) {
  return fill_page_template(kReportTemplate, kDataMarker, report, "reports/report.html");
}

}  // namespace ttt::harness
