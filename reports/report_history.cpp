#include <reports/report_history.h>

#include <harness/fixture/atomic_file.h>
#include <reports/bench_stats.h>
#include <reports/report_fields.h>
#include <reports/report_html.h>
#include <reports/report_inputs.h>
#include <reports/report_json.h>

#include "history_template.h"  // generated from reports/history.html: kHistoryTemplate

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>

namespace fs = std::filesystem;

namespace ttt::harness {
namespace {

using json = nlohmann::json;
constexpr std::size_t kWindow = 3;  // nights before a point that it is judged against

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

bool is_report_file(const fs::path& path) {
  std::ifstream in(path);
  const auto doc = json::parse(in, nullptr, false);
  return doc.is_object() && doc.value("schema", std::string()) == "ttt-harness-report";
}

struct Night {
  std::string path;
  json report;
};

// A change point: where in the nights, and what moved.
json change_point(const std::vector<Night>& nights, std::size_t at, const std::string& kind, const std::string& subject,
                  const std::string& detail, bool worse) {
  const auto commit = [&](std::size_t i) {
    return nights[i].report["environment"].value("git_commit", std::string());
  };
  return {{"kind", kind},
          {"subject", subject},
          {"night", at},
          {"generated_utc", nights[at].report.value("generated_utc", std::string())},
          {"from_commit", at > 0 ? commit(at - 1) : std::string()},
          {"to_commit", commit(at)},
          {"worse", worse},
          {"detail", detail}};
}

bool failing(const std::string& status) { return status == "FAIL" || status == "ERROR" || status == "fail"; }
bool passing(const std::string& status) { return status == "PASS" || status == "pass"; }

// A flip between passing and failing (absent and skipped nights are not compared).
void status_changes(const std::vector<Night>& nights, const std::vector<std::string>& status, const std::string& kind,
                    const std::string& subject, json& points) {
  std::string last;
  for (std::size_t i = 0; i < status.size(); ++i) {
    if (!passing(status[i]) && !failing(status[i])) continue;
    if (!last.empty() && passing(last) != passing(status[i])) {
      points.push_back(change_point(nights, i, kind, subject, last + " -> " + status[i], failing(status[i])));
    }
    last = status[i];
  }
}

// Ratio spread of positive values: max / min (1 for fewer than two).
double spread(const std::vector<double>& values) {
  if (values.size() < 2) return 1;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return *lo > 0 ? *hi / *lo : 1;
}

// A series of positive numbers (NaN = no value that night): a point moved when it is more
// than `factor` (and more than the spread of the window before it, squared) away from the
// window's median, in ratio. The window restarts at each change point.
void level_changes(const std::vector<Night>& nights, const std::vector<double>& values, double factor,
                   const std::string& kind, const std::string& subject, const std::string& what, bool higher_is_worse,
                   json& points) {
  std::vector<double> window;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    if (!(x > 0) || !std::isfinite(x)) continue;
    if (!window.empty()) {
      const double before = median(window);
      const double s = spread(window);
      const double threshold = std::max(factor, s * s);
      const double ratio = x / before;
      if (ratio > threshold || ratio < 1 / threshold) {
        const bool worse = higher_is_worse ? ratio > 1 : ratio < 1;
        points.push_back(change_point(nights, i, kind, subject,
                                      what + " " + num(before) + " -> " + num(x) + " (x" + num(ratio) +
                                          ", beyond x" + num(threshold) + " of the " + std::to_string(window.size()) +
                                          " night(s) before)",
                                      worse));
        window.clear();
      }
    }
    window.push_back(x);
    if (window.size() > kWindow) window.erase(window.begin());
  }
}

// A series as JSON: a number per night, null where there was none.
json finite_or_null(const std::vector<double>& values) {
  json out = json::array();
  for (double x : values) out.push_back(std::isfinite(x) ? json(x) : json(nullptr));
  return out;
}

// A benchmark's change points: each night's C++/reference ratio against the nights before it
// (up to kWindow, restarting at each change point). With round samples on both sides, a move
// beyond `speed_change` that the U test finds significant; without, a move beyond
// `speed_change` and three times the spread of the nights before.
void benchmark_changes(const std::vector<Night>& nights, const std::vector<double>& ratio,
                       const std::vector<std::vector<double>>& samples, double speed_change, const std::string& key,
                       json& points) {
  std::vector<std::vector<double>> window;
  std::vector<double> window_ratio;
  for (std::size_t i = 0; i < ratio.size(); ++i) {
    if (!std::isfinite(ratio[i])) continue;
    if (!window_ratio.empty()) {
      std::vector<double> pooled;
      for (const auto& w : window) pooled.insert(pooled.end(), w.begin(), w.end());
      const auto change = relative_speed_change(pooled, samples[i]);
      const double before = median(window_ratio);
      const double moved = ratio[i] / before - 1;
      bool marked = false;
      std::string detail;
      if (change) {
        marked = std::fabs(change->change) > speed_change && change->test.p_value < kSpeedAlpha;
        detail = "C++/reference tokens/s " + num(change->before_median) + " -> " + num(change->after_median) + " (" +
                 (change->change < 0 ? "-" : "+") + num(std::fabs(change->change) * 100) + "%), Mann-Whitney p = " +
                 num(change->test.p_value) + " over " + std::to_string(change->before_n) + " and " +
                 std::to_string(change->after_n) + " samples";
      } else {
        const double noise = 3 * (spread(window_ratio) - 1);
        marked = std::fabs(moved) > std::max(speed_change, noise);
        detail = "C++/reference tokens/s " + num(before) + " -> " + num(ratio[i]) + " (" + (moved < 0 ? "-" : "+") +
                 num(std::fabs(moved) * 100) + "%; no repetitions: beyond " +
                 num(std::max(speed_change, noise) * 100) + "% of the nights before)";
      }
      if (marked) {
        points.push_back(change_point(nights, i, "benchmark", key, detail, moved < 0));
        window.clear();
        window_ratio.clear();
      }
    }
    window.push_back(samples[i]);
    window_ratio.push_back(ratio[i]);
    if (window.size() > kWindow) {
      window.erase(window.begin());
      window_ratio.erase(window_ratio.begin());
    }
  }
}

}  // namespace

std::vector<std::string> collect_reports(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(input, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".json" && is_report_file(it->path())) {
          found.push_back(it->path().string());
        }
      }
      if (found.empty()) throw ReportInputError(input + ": the folder holds no ttt-harness report (*.json)");
      std::sort(found.begin(), found.end());
      paths.insert(paths.end(), found.begin(), found.end());
    } else if (fs::exists(input, ec)) {
      paths.push_back(input);
    } else {
      throw ReportInputError(input + ": no such file or folder");
    }
  }
  return paths;
}

json build_history(const std::vector<std::string>& report_paths, const HistoryOptions& options) {
  std::vector<Night> nights;
  for (const auto& path : report_paths) nights.push_back({path, load_report(path)});
  std::stable_sort(nights.begin(), nights.end(), [](const Night& a, const Night& b) {
    return a.report.value("generated_utc", std::string()) < b.report.value("generated_utc", std::string());
  });
  const std::size_t n = nights.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();

  json nights_json = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = nights[i].report;
    const auto& env = r["environment"];
    nights_json.push_back({{"night", i},
                           {"path", nights[i].path},
                           {"generated_utc", r.value("generated_utc", std::string())},
                           {"git_commit", env.value("git_commit", std::string())},
                           {"git_dirty", env.value("git_dirty", false)},
                           {"host", env.value("host", std::string())},
                           {"device", env.value("device", std::string())},
                           {"device_name", env.value("device_name", std::string())},
                           {"summary", r["summary"]}});
  }

  json points = json::array();
  // Cases, by case id (the file for an unusable one).
  std::map<std::string, std::pair<std::vector<double>, std::vector<std::string>>> cases;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& c : nights[i].report["cases"]) {
      auto key = c.value("case", std::string());
      if (key.empty()) key = c.value("file", std::string());
      auto& [margins, status] = cases[key];
      margins.resize(n, nan);
      status.resize(n);
      margins[i] = c.contains("margin") && c["margin"].is_number() ? c["margin"].get<double>() : nan;
      status[i] = c.value("status", std::string());
    }
  }
  json cases_json = json::array();
  for (const auto& [key, series] : cases) {
    const auto& [margins, status] = series;
    json mine = json::array();
    status_changes(nights, status, "case", key, mine);
    level_changes(nights, margins, options.error_factor, "case", key, "margin (error / allowed)", true, mine);
    cases_json.push_back({{"key", key}, {"margin", finite_or_null(margins)}, {"status", status}, {"change_points", mine}});
    for (const auto& p : mine) points.push_back(p);
  }

  // Benchmarks: the C++ result of each key with the reference of the same night.
  struct Bench {
    std::vector<double> cpp, reference, ratio;
    std::vector<std::vector<double>> samples;
  };
  std::map<std::string, Bench> benches;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = nights[i].report;
    if (!r.contains("benchmarks")) continue;
    std::map<std::string, json> reference;
    for (const auto& b : r["benchmarks"]["results"]) {
      if (b.value("impl", std::string()) == "reference") reference[benchmark_key(b)] = b;
    }
    for (const auto& b : r["benchmarks"]["results"]) {
      if (b.value("impl", std::string()) != "cpp") continue;
      auto& bench = benches[benchmark_key(b)];
      bench.cpp.resize(n, nan);
      bench.reference.resize(n, nan);
      bench.ratio.resize(n, nan);
      bench.samples.resize(n);
      bench.cpp[i] = b.value("tokens_per_s", nan);
      const auto ref = reference.find(benchmark_key(b));
      if (ref == reference.end()) continue;
      bench.reference[i] = ref->second.value("tokens_per_s", nan);
      bench.samples[i] = relative_speed_samples(b, ref->second);
      bench.ratio[i] = bench.samples[i].empty() ? bench.cpp[i] / bench.reference[i] : median(bench.samples[i]);
    }
  }
  json benches_json = json::array();
  for (const auto& [key, b] : benches) {
    json mine = json::array();
    benchmark_changes(nights, b.ratio, b.samples, options.speed_change, key, mine);
    json reps = json::array();
    for (const auto& s : b.samples) reps.push_back(s.size());
    benches_json.push_back({{"key", key},
                            {"cpp_tokens_per_s", finite_or_null(b.cpp)},
                            {"reference_tokens_per_s", finite_or_null(b.reference)},
                            {"ratio", finite_or_null(b.ratio)},
                            {"repetitions", reps},
                            {"change_points", mine}});
    for (const auto& p : mine) points.push_back(p);
  }

  // Suite tests.
  std::map<std::string, std::vector<std::string>> tests;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = nights[i].report;
    if (!r.contains("suites")) continue;
    for (const auto& t : r["suites"]["tests"]) {
      auto& status = tests[t.value("name", std::string())];
      status.resize(n);
      status[i] = t.value("status", std::string());
    }
  }
  json suites_json = json::array();
  for (const auto& [name, status] : tests) {
    json mine = json::array();
    status_changes(nights, status, "suite_test", name, mine);
    suites_json.push_back({{"name", name}, {"status", status}, {"change_points", mine}});
    for (const auto& p : mine) points.push_back(p);
  }

  std::stable_sort(points.begin(), points.end(),
                   [](const json& a, const json& b) { return a["night"].get<int>() < b["night"].get<int>(); });
  return {{"schema", "ttt-harness-history"},
          {"schema_version", 1},
          {"generated_utc", utc_now()},
          {"options", {{"error_factor", options.error_factor}, {"speed_change", options.speed_change},
                       {"window", kWindow}, {"alpha", kSpeedAlpha}}},
          {"nights", nights_json},
          {"change_points", points},
          {"cases", cases_json},
          {"benchmarks", benches_json},
          {"suites", suites_json}};
}

std::string render_html_history(const json& history) {
  return fill_page_template(kHistoryTemplate, "@TTT_HISTORY_JSON@", history, "reports/history.html");
}

int run_history_command(const HistoryCommandOptions& options, std::ostream& out, std::ostream& err) {
  json history;
  try {
    history = build_history(collect_reports(options.inputs), options.options);
    if (!options.json_path.empty()) write_file_atomically(options.json_path, history.dump(1) + "\n");
    if (!options.html_path.empty()) write_file_atomically(options.html_path, render_html_history(history));
  } catch (const std::exception& e) {
    err << "ttt-harness history: " << e.what() << std::endl;
    return 2;
  }
  const auto& nights = history["nights"];
  for (const auto& p : history["change_points"]) {
    const auto short_commit = [](const json& c) { return c.get<std::string>().substr(0, 10); };
    out << "CHANGE " << p["kind"].get<std::string>() << " " << p["subject"].get<std::string>() << " at night "
        << p["night"].get<int>() << " " << p["generated_utc"].get<std::string>() << " ("
        << short_commit(p["from_commit"]) << ".." << short_commit(p["to_commit"]) << "): "
        << p["detail"].get<std::string>() << (p["worse"].get<bool>() ? "" : " [better]") << "\n";
  }
  out << nights.size() << " nights, " << history["cases"].size() << " cases, " << history["benchmarks"].size()
      << " benchmarks, " << history["suites"].size() << " suite tests, " << history["change_points"].size()
      << " change point(s)" << std::endl;
  if (!options.json_path.empty()) out << "JSON history: " << options.json_path << std::endl;
  if (!options.html_path.empty()) out << "HTML history: " << options.html_path << std::endl;
  return 0;
}

}  // namespace ttt::harness
