#include <reports/report_json.h>

#include <chrono>
#include <ctime>
#include <set>

namespace ttt::harness {
namespace {

const char* rule_name(Tolerance::Rule rule) {
  switch (rule) {
    case Tolerance::Rule::Relative: return "relative";
    case Tolerance::Rule::Absolute: return "absolute";
    case Tolerance::Rule::Units: return "units";
    case Tolerance::Rule::ReferenceError: return "reference_error";
  }
  return "relative";
}

}  // namespace

std::string utc_timestamp(std::time_t time) {
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string utc_now() { return utc_timestamp(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())); }

nlohmann::json comparison_json(const Comparison& c) {
  nlohmann::json out = {
      {"tensor", c.tensor},
      {"check", to_string(c.check)},
      {"passed", c.passed},
      {"max_abs_err", c.max_abs_err},
      {"max_rel_err", c.max_rel_err},
      {"scale", c.scale},
      {"allowed_abs_err", c.allowed},
      {"margin", c.nonfinite > 0 || !c.not_compared.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.margin())},
      {"not_compared", c.not_compared},
      {"worst_index", c.worst_index},
      {"actual_at_worst", c.actual_at_worst},
      {"expected_at_worst", c.expected_at_worst},
      {"reference_err", c.reference_err},
      {"diff_to_golden", c.diff_to_golden},
      {"nonfinite", c.nonfinite},
      {"tolerance",
       {{"rule", rule_name(c.tolerance.rule)},
        {"name", c.tolerance.name},
        {"bound", c.tolerance.bound},
        {"multiple", c.tolerance.multiple},
        {"floor", c.tolerance.floor},
        {"text", c.tolerance.describe()}}},
  };
  if (c.tolerance.rule == Tolerance::Rule::ReferenceError) {
    out["statistic"] = c.deciding_statistic();
    out["rms_err"] = c.rms_err;
    out["reference_rms_err"] = c.reference_rms_err;
    out["rms_allowed"] = c.rms_allowed;
    out["row_err"] = c.row_err;
    out["reference_row_err"] = c.reference_row_err;
    out["row_allowed"] = c.row_allowed;
    out["tolerance"]["rms_multiple"] = c.tolerance.rms_multiple;
    out["tolerance"]["row_multiple"] = c.tolerance.row_multiple;
    out["tolerance"]["row_floor"] = c.tolerance.row_floor;
  }
  return out;
}

nlohmann::json case_json(const CaseResult& r) {
  nlohmann::json comparisons = nlohmann::json::array();
  for (const auto& c : r.comparisons) comparisons.push_back(comparison_json(c));
  const auto* decisive = r.decisive();
  return {
      {"file", r.file},
      {"case", r.case_id},
      {"layer_type", r.layer_type},
      {"mode", r.mode},
      {"dtype", r.dtype},
      {"status", to_string(r.status)},
      {"message", r.message},
      {"notes", r.notes},
      {"line", r.line()},
      {"seconds", r.seconds},
      {"manifest", r.manifest},
      {"error_source", r.status == Status::Error ? nlohmann::json(to_string(r.error_source)) : nlohmann::json(nullptr)},
      {"expected_failure", r.expected_failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.expected_failure)},
      {"decisive", decisive ? nlohmann::json(decisive->tensor) : nlohmann::json(nullptr)},
      // The deciding comparison's max_abs_err / allowed (> 1 fails); null when not finite or no comparison.
      {"margin", decisive && decisive->nonfinite == 0 && decisive->not_compared.empty()
                     ? nlohmann::json(decisive->margin())
                     : nlohmann::json(nullptr)},
      {"comparisons", comparisons},
      {"config", r.config},
      {"provenance", r.provenance},
  };
}

std::string RunSummary::line() const {
  std::string out = std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
                    std::to_string(skipped) + " skipped";
  const auto add = [&](int n, const std::string& what) {
    if (n > 0) out += ", " + std::to_string(n) + " " + what;
  };
  add(not_supported, "not supported");
  add(port_errors, "ERROR from the port");
  add(expected_failures, "known failure" + std::string(expected_failures == 1 ? "" : "s"));
  add(unexpected_passes, "known failure" + std::string(unexpected_passes == 1 ? "" : "s") + " passing now");
  return out;
}

RunSummary summarize(const nlohmann::json& cases) {
  RunSummary s;
  for (const auto& c : cases) {
    const auto status = case_status_from(c.value("status", std::string()));
    const auto source = c.find("error_source");
    const bool port_error = status == Status::Error && source != c.end() && source->is_string() &&
                            source->get<std::string>() == to_string(ErrorSource::Port);
    const auto known = c.find("expected_failure");
    const bool listed = known != c.end() && known->is_string() && !known->get<std::string>().empty();
    if (listed && status == Status::Pass) {
      ++s.passed;
      ++s.unexpected_passes;
    } else if (listed && (status == Status::Fail || port_error || status == Status::NotSupported)) {
      ++s.expected_failures;
    } else if (status == Status::Pass) {
      ++s.passed;
    } else if (status == Status::Fail) {
      ++s.failed;
    } else if (status == Status::Skip) {
      ++s.skipped;
    } else if (status == Status::NotSupported) {
      ++s.not_supported;
    } else if (port_error) {
      ++s.port_errors;
    } else {
      ++s.errors;  // ERROR of an input, or a status this version does not know: never counted as passed
    }
  }
  return s;
}

nlohmann::json report_json(const nlohmann::json& cases, const nlohmann::json& environment,
                           const std::vector<std::string>& command) {
  const auto summary = summarize(cases);
  std::set<std::string> dtypes;
  for (const auto& c : cases) {
    const auto dtype = c.value("dtype", std::string());
    if (!dtype.empty()) dtypes.insert(dtype);
  }
  auto env = environment;
  env["dtypes"] = dtypes;
  return {
      {"schema", kReportSchemaName},
      {"schema_version", kReportSchemaVersion},
      {"generated_utc", utc_now()},
      {"command", command},
      {"environment", env},
      {"summary",
       {{"passed", summary.passed},
        {"failed", summary.failed},
        {"skipped", summary.skipped},
        {"errors", summary.errors},
        {"port_errors", summary.port_errors},
        {"not_supported", summary.not_supported},
        {"expected_failures", summary.expected_failures},
        {"unexpected_passes", summary.unexpected_passes},
        {"total", static_cast<int>(cases.size())},
        {"exit_code", summary.exit_code()}}},
      {"cases", cases},
  };
}

}  // namespace ttt::harness
