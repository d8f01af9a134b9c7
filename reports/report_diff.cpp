#include <reports/report_diff.h>
#include <reports/bench_stats.h>

#include <reports/report_inputs.h>
#include <reports/verdict.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace ttt::harness {
namespace {

using nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Severity order: regressions before notes, then the kinds in their declared order, so the
// first lines a reader sees are the worst news.
int kind_rank(const Finding& f) { return (f.regression ? 0 : 100) + static_cast<int>(f.kind); }

std::string num(double value) {
  if (std::isinf(value)) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", value);
  return buf;
}

std::string tokens_per_s(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", value);
  return buf;
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", fraction * 100);
  return buf;
}

// Half the gap between 1 and the next representable value: the size of one rounding.
// c10's names ("Float", "BFloat16", "Half") are accepted too: the long suite writes them.
double unit_roundoff(const std::string& dtype) {
  if (dtype == "float32" || dtype == "Float") return kUnitRoundoffFloat32;
  if (dtype == "bfloat16" || dtype == "BFloat16") return kUnitRoundoffBFloat16;
  if (dtype == "float16" || dtype == "Half") return kUnitRoundoffFloat16;
  return kUnitRoundoffFloat64;  // float64, and any dtype this tool does not know
}

// null in a report stands for a non-finite value.
double number_or_inf(const json& object, const char* key, double fallback) {
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  return it->is_number() ? it->get<double>() : kInf;
}

struct ComparisonView {
  double max_abs_err = 0;
  double allowed = 0;
  double scale = 1;
  bool passed = true;
};

struct CaseView {
  std::string status, dtype, message;
  std::map<std::string, ComparisonView> comparisons;
  std::string first_failure;  // "output max_abs=1e-3 allowed=2e-6" for a FAIL
};

std::string case_key(const json& c) {
  const auto id = text_member(c, "case");
  return id.empty() ? "file " + text_member(c, "file") : id;
}

std::map<std::string, CaseView> cases_of(const json& report) {
  std::map<std::string, CaseView> cases;
  for (const auto& c : report["cases"]) {
    CaseView view;
    view.status = text_member(c, "status");
    view.dtype = text_member(c, "dtype");
    view.message = text_member(c, "message");
    for (const auto& comparison : c.value("comparisons", json::array())) {
      ComparisonView cv;
      cv.max_abs_err = number_or_inf(comparison, "max_abs_err", 0);
      cv.allowed = number_or_inf(comparison, "allowed_abs_err", 0);
      cv.scale = number_or_inf(comparison, "scale", 1);
      cv.passed = comparison.value("passed", true);
      const auto tensor = text_member(comparison, "tensor");
      if (!cv.passed && view.first_failure.empty()) {
        view.first_failure = tensor + " max_abs_err=" + num(cv.max_abs_err) + " allowed=" + num(cv.allowed);
      }
      view.comparisons[tensor] = cv;
    }
    cases[case_key(c)] = std::move(view);
  }
  return cases;
}

// A status as a case or a suite test spells it; nullopt for absent ("") or unknown.
std::optional<Status> status_from(const std::string& text) {
  const auto status = case_status_from(text);
  return status ? status : suite_test_status_from(text);
}
bool is_failure(const std::string& text) {
  const auto status = status_from(text);
  return status == Status::Fail || status == Status::Error;
}
bool ran(const std::string& text) {
  const auto status = status_from(text);
  return status == Status::Pass || status == Status::Fail;
}
// Did not run: SKIP (this machine cannot), NOT_SUPPORTED (the port does not offer it).
bool is_skip(const std::string& text) {
  const auto status = status_from(text);
  return status == Status::Skip || status == Status::NotSupported;
}

class Collector {
 public:
  explicit Collector(const DiffOptions& options) : options_(options) {}

  void add(bool regression, DiffKind kind, const std::string& subject, const std::string& detail) {
    findings_.push_back({regression, kind, subject, detail});
  }

  // One status transition of a case, suite test or series; `why` describes the new failure.
  void status_change(const std::string& what, const std::string& subject, const std::string& before,
                     const std::string& after, const std::string& why) {
    const std::string change = (before.empty() ? "(absent)" : before) + " -> " + after;
    if (is_failure(after) && !is_failure(before)) {
      add(true, DiffKind::NewFailure, subject, what + " " + change + (why.empty() ? "" : ": " + why));
    } else if (is_skip(after) && ran(before)) {
      add(true, DiffKind::NewSkip, subject, what + " " + change + (why.empty() ? "" : ": " + why));
    } else if (is_failure(before) && !is_failure(after)) {
      add(false, DiffKind::Fixed, subject, what + " " + change);
    } else if (before.empty()) {
      add(false, DiffKind::NewCase, subject, what + " new in this report (" + after + ")");
    }
  }

  // The error of one tensor or series, before and after; `floor` is what a smaller error counts as.
  void error_change(const std::string& subject, double before, double after, double floor) {
    if (std::isinf(before) || after <= 0) return;
    const double growth = after / std::max({before, floor, std::numeric_limits<double>::min()});
    if (growth > options_.error_growth) {
      add(true, DiffKind::ErrorGrowth, subject,
          "max_abs_err " + num(before) + " -> " + num(after) + " (x" + num(growth) + " > x" +
              num(options_.error_growth) + ")");
    }
  }

  DiffResult finish() {
    std::stable_sort(findings_.begin(), findings_.end(),
                     [](const Finding& a, const Finding& b) { return kind_rank(a) < kind_rank(b); });
    return {std::move(findings_)};
  }

  const DiffOptions& options() const { return options_; }

 private:
  DiffOptions options_;
  std::vector<Finding> findings_;
};

void diff_cases(const json& base, const json& current, Collector& out) {
  const auto before = cases_of(base);
  const auto after = cases_of(current);
  for (const auto& [key, was] : before) {
    if (after.count(key) == 0) out.add(true, DiffKind::MissingCase, key, "case " + was.status + " in the baseline, absent now");
  }
  for (const auto& [key, now] : after) {
    const auto found = before.find(key);
    const std::string was_status = found == before.end() ? "" : found->second.status;
    const auto why = case_status_from(now.status) == Status::Fail ? now.first_failure : now.message;
    out.status_change("case", key, was_status, now.status, why);
    if (found == before.end()) continue;
    for (const auto& [tensor, comparison] : now.comparisons) {
      const auto old = found->second.comparisons.find(tensor);
      if (old == found->second.comparisons.end()) continue;
      const double floor = unit_roundoff(now.dtype) * (std::isfinite(comparison.scale) ? comparison.scale : 1.0);
      out.error_change(key + "/" + tensor, old->second.max_abs_err, comparison.max_abs_err, floor);
    }
  }
}

void diff_suites(const json& base, const json& current, Collector& out) {
  if (!base.contains("suites")) return;
  if (!current.contains("suites")) {
    out.add(false, DiffKind::SectionMissing, "suites", "the baseline has suite results, this report has none (--junit)");
    return;
  }
  std::map<std::string, json> before;
  for (const auto& t : base["suites"]["tests"]) before[text_member(t, "name")] = t;
  std::set<std::string> seen;
  for (const auto& t : current["suites"]["tests"]) {
    const auto name = text_member(t, "name");
    seen.insert(name);
    const auto found = before.find(name);
    out.status_change("suite test", name, found == before.end() ? "" : text_member(found->second, "status"),
                      text_member(t, "status"), text_member(t, "message").substr(0, 200));
  }
  for (const auto& [name, t] : before) {
    if (seen.count(name) == 0) out.add(true, DiffKind::MissingTest, name, "suite test " + text_member(t, "status") + " in the baseline, absent now");
  }
}

double series_max(const json& series) {
  double worst = 0;
  for (const auto& e : series["max_abs_err"]) worst = std::max(worst, e.is_number() ? e.get<double>() : kInf);
  return worst;
}

void diff_long_series(const json& base, const json& current, Collector& out) {
  if (!base.contains("long_sequence")) return;
  if (!current.contains("long_sequence")) {
    out.add(false, DiffKind::SectionMissing, "long_sequence",
            "the baseline has long-sequence series, this report has none (--long-series)");
    return;
  }
  std::map<std::string, json> before;
  for (const auto& s : base["long_sequence"]["series"]) before[text_member(s, "name")] = s;
  std::set<std::string> seen;
  const auto verdict = [](const json& s) {
    return std::string(suite_test_spelling(s.value("passed", false) ? Status::Pass : Status::Fail));
  };
  for (const auto& s : current["long_sequence"]["series"]) {
    const auto name = text_member(s, "name");
    seen.insert(name);
    const auto found = before.find(name);
    const auto why = "max_abs_err " + num(series_max(s)) + " bound " + num(number_or_inf(s, "bound", 0));
    out.status_change("long series", name, found == before.end() ? "" : verdict(found->second), verdict(s), why);
    if (found != before.end()) {
      out.error_change(name, series_max(found->second), series_max(s), unit_roundoff(text_member(s, "dtype")));
    }
  }
  for (const auto& [name, s] : before) {
    if (seen.count(name) == 0) out.add(true, DiffKind::MissingSeries, name, "long series in the baseline, absent now");
  }
}

void diff_benchmarks(const json& base, const json& current, Collector& out) {
  if (!base.contains("benchmarks")) return;
  if (!current.contains("benchmarks")) {
    out.add(false, DiffKind::SectionMissing, "benchmarks", "the baseline has benchmark figures, this report has none (--bench)");
    return;
  }
  // impl -> key -> result
  std::map<std::string, std::map<std::string, json>> before, after;
  for (const auto& r : base["benchmarks"]["results"]) before[text_member(r, "impl")][benchmark_key(r)] = r;
  for (const auto& r : current["benchmarks"]["results"]) after[text_member(r, "impl")][benchmark_key(r)] = r;
  const double threshold = out.options().slowdown;
  for (const auto& [key, was_result] : before["cpp"]) {
    const auto now_it = after["cpp"].find(key);
    if (now_it == after["cpp"].end()) {
      out.add(true, DiffKind::MissingBenchmark, key, "C++ benchmark in the baseline, absent now");
      continue;
    }
    const double was = was_result["tokens_per_s"].get<double>();
    const double now = now_it->second["tokens_per_s"].get<double>();
    const std::string failed_now = text_member(now_it->second, "error");
    const std::string cpp_alone = "C++ " + tokens_per_s(was) + " -> " + tokens_per_s(now) + " tokens/s";
    // The reference timed in the same run tells a slower machine from a slower port: with
    // enough repetitions on both sides of both runs, the verdict is the C++/reference ratio's,
    // and only a significant fall counts (a loaded machine slows both sides alike).
    const auto ref_before = before["reference"].find(key);
    const auto ref_after = after["reference"].find(key);
    std::optional<SpeedChange> change;
    if (ref_before != before["reference"].end() && ref_after != after["reference"].end()) {
      change = relative_speed_change(relative_speed_samples(was_result, ref_before->second),
                                     relative_speed_samples(now_it->second, ref_after->second));
    }
    if (change) {
      const bool fell = change->change < -threshold;
      const bool significant = change->test.p_value < kSpeedAlpha;
      if (!fell) continue;
      std::string detail = "C++/reference tokens/s " + num(change->before_median) + " -> " + num(change->after_median) +
                           " (-" + percent(-change->change) + ", threshold " + percent(threshold) + ") over " +
                           std::to_string(change->before_n) + " and " + std::to_string(change->after_n) +
                           " samples, Mann-Whitney p = " + num(change->test.p_value) +
                           (significant ? " < " : " >= ") + num(kSpeedAlpha) + "; " + cpp_alone;
      if (!failed_now.empty()) detail += "; failed to run: " + failed_now;
      out.add(significant, DiffKind::Slowdown, key, significant ? detail : "not significant: " + detail);
      continue;
    }
    if (was <= 0 || now >= was * (1 - threshold)) continue;
    std::string detail = cpp_alone + " (-" + percent(1 - now / was) + ", threshold " + percent(threshold) + ")";
    if (ref_before != before["reference"].end() && ref_after != after["reference"].end() &&
        ref_before->second["tokens_per_s"].get<double>() > 0) {
      const double ref_change =
          ref_after->second["tokens_per_s"].get<double>() / ref_before->second["tokens_per_s"].get<double>() - 1;
      detail += std::string("; Python reference ") + (ref_change < 0 ? "-" : "+") + percent(std::fabs(ref_change));
    }
    detail += "; judged on C++ tokens/s alone: fewer than " + std::to_string(kMinSpeedSamples) +
              " repetitions of C++ and reference in each run";
    if (!failed_now.empty()) detail += "; failed to run: " + failed_now;
    out.add(true, DiffKind::Slowdown, key, detail);
  }
}

void diff_environment(const json& base, const json& current, Collector& out) {
  const auto b = base.value("environment", json::object());
  const auto c = current.value("environment", json::object());
  for (const char* key : {"device", "device_name", "libtorch_version", "host"}) {
    const auto was = b.contains(key) ? b[key].dump() : "";
    const auto now = c.contains(key) ? c[key].dump() : "";
    if (!was.empty() && !now.empty() && was != now) {
      out.add(false, DiffKind::Environment, key, "baseline " + was + ", now " + now + " (figures may not be comparable)");
    }
  }
}

}  // namespace

const char* to_string(DiffKind kind) {
  switch (kind) {
    case DiffKind::NewFailure: return "new_failure";
    case DiffKind::MissingCase: return "missing_case";
    case DiffKind::MissingTest: return "missing_test";
    case DiffKind::MissingSeries: return "missing_series";
    case DiffKind::NewSkip: return "new_skip";
    case DiffKind::ErrorGrowth: return "error_growth";
    case DiffKind::Slowdown: return "slowdown";
    case DiffKind::MissingBenchmark: return "missing_benchmark";
    case DiffKind::SectionMissing: return "section_missing";
    case DiffKind::Environment: return "environment";
    case DiffKind::Fixed: return "fixed";
    case DiffKind::NewCase: return "new_case";
  }
  return "unknown";
}

std::string Finding::line() const {
  return std::string(regression ? "REGRESSION " : "NOTE ") + to_string(kind) + " " + subject + ": " + detail;
}

int DiffResult::regressions() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return f.regression; }));
}

DiffResult diff_reports(const json& base, const json& current, const DiffOptions& options) {
  Collector out(options);
  diff_cases(base, current, out);
  diff_suites(base, current, out);
  diff_long_series(base, current, out);
  diff_benchmarks(base, current, out);
  diff_environment(base, current, out);
  return out.finish();
}

std::string diff_summary_line(const DiffResult& result, const DiffOptions& options, const std::string& baseline_path) {
  const int n = result.regressions();
  const std::string count = n == 0 ? "no regressions" : std::to_string(n) + (n == 1 ? " regression" : " regressions");
  return count + " against " + baseline_path + " (error growth > x" + num(options.error_growth) + ", slowdown > " +
         percent(options.slowdown) + ")";
}

json diff_section(const DiffResult& result, const DiffOptions& options, const std::string& baseline_path,
                  const json& baseline) {
  json findings = json::array();
  for (const auto& f : result.findings) {
    findings.push_back({{"regression", f.regression}, {"kind", to_string(f.kind)}, {"subject", f.subject}, {"detail", f.detail}});
  }
  const auto environment = baseline.value("environment", json::object());
  return {
      {"baseline", baseline_path},
      {"baseline_generated_utc", baseline.value("generated_utc", json(nullptr))},
      {"baseline_git_commit", environment.value("git_commit", json(nullptr))},
      {"error_growth", options.error_growth},
      {"slowdown", options.slowdown},
      {"regressions", result.regressions()},
      {"summary", diff_summary_line(result, options, baseline_path)},
      {"findings", findings},
  };
}

}  // namespace ttt::harness
