// The HTML report in a real browser (Debian's chromium, headless): the page's script runs to
// its end with no console message, and the rendered DOM holds what a reviewer needs first
// (the verdict, the counts, the regressions, the failures, the plots, every case id), with
// markup from input files shown as text. A screenshot is kept for a person to look at.
#include "report_test_support.h"
#include "ttt_paths.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace ttt::testing {
namespace {

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const auto found = run_command(std::string("command -v ") + name);
    if (found.exit_code == 0 && !found.output.empty()) return found.output.substr(0, found.output.find('\n'));
  }
  return "";
}

// Where screenshots are kept: beside the other reports when the tests run from scripts/test
// ($TTT_REPORT_DIR), else in the build tree.
std::string screenshot_folder() {
  const char* report_dir = std::getenv("TTT_REPORT_DIR");
  const auto folder = report_dir != nullptr && *report_dir ? fs::path(report_dir) / "report-browser-test"
                                                            : fs::path(TTT_REPORT_TEST_OUT) / "screenshots";
  fs::create_directories(folder);
  return folder.string();
}

struct Page {
  std::string dom;      // the DOM after the page's script ran
  std::string console;  // every console line chromium logged for the page
  std::string log;      // chromium's whole stderr, for diagnosis
};

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    // Only a machine without the browser skips: scripts/setup installs it, so CI runs this.
    if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup installs it)";
    folder_ = test_folder();
  }

  std::string flags() const {
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
    return " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
           " --no-default-browser-check --disable-extensions --hide-scrollbars --user-data-dir=" +
           quote(folder_ + "/chromium-profile") + " --enable-logging=stderr --v=0";
  }

  // `size` ("1280,900"): the window the page is laid out in; chromium's headless default is
  // 800x600, which says nothing about a reviewer's screen.
  Page open(const std::string& html, const std::string& size = "") const {
    const auto log = folder_ + "/chromium.log";
    const auto dom = folder_ + "/dom.html";
    const auto window = size.empty() ? std::string() : " --window-size=" + size;
    const auto run = run_command("timeout 120 " + quote(chromium_) + flags() + window + " --dump-dom " +
                                 quote("file://" + html) + " > " + quote(dom) + " 2> " + quote(log));
    EXPECT_EQ(run.exit_code, 0) << "chromium failed: " << read_text(log);
    Page page{read_text(dom), "", read_text(log)};
    std::istringstream lines(page.log);
    for (std::string line; std::getline(lines, line);) {
      if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) page.console += line + "\n";
    }
    return page;
  }

  void screenshot(const std::string& html, const std::string& name, const std::string& size) const {
    const auto path = screenshot_folder() + "/" + name;
    fs::remove(path);
    const auto run = run_command("timeout 120 " + quote(chromium_) + flags() + " --window-size=" + size +
                                 " --screenshot=" + quote(path) + " " + quote("file://" + html) + " > /dev/null 2>&1");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    ASSERT_TRUE(fs::exists(path)) << "no screenshot at " << path;
    EXPECT_GT(fs::file_size(path), 10000u) << path << " looks empty";
    std::cout << "screenshot: " << path << std::endl;
  }

  // A copy of the page `html` with `script` run after the page's own (what a reviewer's clicks
  // or a measurement do), as `name` in the test's folder.
  std::string with_script(const std::string& html, const std::string& name, const std::string& script) const {
    auto text = read_text(html);
    text.replace(text.rfind("</body>"), 7, "<script>" + script + "</script></body>");
    const auto path = folder_ + "/" + name;
    write_text(path, text);
    return path;
  }

  // `report.json` written from `report`, drawn as `name`.html by `ttt-harness report`.
  std::string page_of(const nlohmann::json& report, const std::string& name) const {
    const auto json_path = folder_ + "/" + name + ".json";
    const auto html = folder_ + "/" + name + ".html";
    write_json(json_path, report);
    const auto made = run_harness("report --from " + quote(json_path) + " --html " + quote(html));
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return html;
  }

  std::string chromium_, folder_;
};

// The value of the attribute `name` that a test's script set on <body>, or "(absent)".
std::string body_attribute(const std::string& dom, const std::string& name) {
  std::smatch found;
  if (!std::regex_search(dom, found, std::regex("<body[^>]*\\s" + name + "=\"([^\"]*)\""))) return "(absent)";
  return found[1].str();
}

void expect_contains(const std::string& dom, const std::string& text) {
  EXPECT_NE(dom.find(text), std::string::npos) << "the page does not show: " << text;
}

size_t count_of(const std::string& dom, const std::string& text) {
  size_t n = 0;
  for (auto at = dom.find(text); at != std::string::npos; at = dom.find(text, at + 1)) ++n;
  return n;
}

TEST_F(Browser, SyntheticReportWithBaselineRendersEverythingAReviewerNeeds) {
  // A baseline from which the synthetic report regressed: a case that passed now fails, a
  // benchmark lost 40%.
  auto baseline = synthetic_report();
  for (auto& c : baseline["cases"]) {
    if (c["case"] == kInjectedCaseId) {
      c["status"] = "PASS";
      c["comparisons"][0]["passed"] = true;
      c["comparisons"][0]["max_abs_err"] = 1e-16;
    }
  }
  baseline["benchmarks"]["results"][2]["tokens_per_s"] = 65000;
  write_json(folder_ + "/base.json", baseline);
  write_json(folder_ + "/report.json", synthetic_report());

  const auto html = folder_ + "/report.html";
  const auto made = run_harness("report --from " + quote(folder_ + "/report.json") + " --html " + quote(html) +
                                " --baseline " + quote(folder_ + "/base.json"));
  ASSERT_EQ(made.exit_code, 1) << made.output;  // written, and a regression: exit 1, as check --baseline
  EXPECT_NE(made.output.find("3 regressions against"), std::string::npos) << made.output;  // failure, growth, slowdown

  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  expect_contains(page.dom, "data-report-ready=\"1\"");  // the script ran to its end

  // The summary at the top.
  expect_contains(page.dom, "data-verdict=\"REGRESSION\"");
  expect_contains(page.dom, "data-count=\"cases-passed\">3<");
  expect_contains(page.dom, "data-count=\"cases-failed\">1<");
  expect_contains(page.dom, "data-count=\"cases-skipped\">1<");
  expect_contains(page.dom, "data-count=\"cases-errors\">1<");
  expect_contains(page.dom, "data-count=\"suites-failed\">1<");
  expect_contains(page.dom, "data-count=\"suites-skipped\">1<");
  expect_contains(page.dom, "data-count=\"long-failed\">1<");
  expect_contains(page.dom, "data-count=\"bench-total\">3<");
  expect_contains(page.dom, "data-count=\"regressions\">3<");
  // The regressions, then each failure with its figures.
  expect_contains(page.dom, "id=\"diff\"");
  expect_contains(page.dom, "slowdown");
  expect_contains(page.dom, "new_failure");
  expect_contains(page.dom, "data-failure=\"LongSequence.Linear16k\"");
  expect_contains(page.dom, "Expected: (err) &lt;= (bound)");
  expect_contains(page.dom, "data-failure=\"mlp float32 vs float64\"");
  expect_contains(page.dom, "fixtures/broken.h5");
  expect_contains(page.dom, "id=\"notes\"");  // a case judged with a note is listed with it
  expect_contains(page.dom, "NOTE: config keys the contract does not define, judged without them: \"pre_conv\"=true");
  // The plots, drawn as inline SVG.
  for (const auto* plot : {"id=\"plot-margins\"", "id=\"plot-long\"", "id=\"plot-bench\""}) expect_contains(page.dom, plot);
  // bench/run's targets, each with its value and the limit it is held to.
  expect_contains(page.dom, "id=\"bench-targets\"");
  expect_contains(page.dom, "<td>missed</td><td>prefill linear L=2048 FLOP/s / matmul rate (1 thread)</td><td>0.62 (best of 0.66)</td>");
  expect_contains(page.dom, "<td>not measured</td>");
  expect_contains(page.dom, "matmul 80.00GFLOP/s median (same run)");
  EXPECT_GE(count_of(page.dom, "<svg"), 4u);  // margins, two long series, benchmarks
  EXPECT_GE(count_of(page.dom, "<polyline"), 2u);
  // Every case in the sortable table.
  expect_contains(page.dom, "id=\"cases-table\"");
  for (const auto* id : {"linear_rope_f64_b2_l64_k16", "mlp_decode_f64_p6_t5_k1", "linear_rope_f32_b2_l75_k16",
                         "mlp_rope_f32_cuda_only"}) {
    expect_contains(page.dom, std::string("data-key=\"") + id + "\"");
  }
  expect_contains(page.dom, "id=\"suites-table\"");
  expect_contains(page.dom, "id=\"provenance\"");
  // Markup in a case id or a message is text on the page, never elements.
  EXPECT_EQ(page.dom.find("<img src=\"x\""), std::string::npos) << "markup from a case id became an element";
  EXPECT_EQ(page.dom.find("<img src=x"), std::string::npos);
  expect_contains(page.dom, "linear_&lt;img src=x onerror=alert(1)&gt;_f64");
  expect_contains(page.dom, "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;!-- not a comment");
  // Self-contained: nothing fetched from elsewhere.
  const auto source = read_text(html);
  EXPECT_EQ(std::regex_search(source, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)")), false);

  screenshot(html, "synthetic-report.png", "1280,2400");
}

// The history page of the five real nightly rehearsals (suites/report/history-rehearsal): the
// script runs to its end with no console message, one change point in the table and one
// marker on the one chart that moved, every night listed, every benchmark and case drawn.
TEST_F(Browser, HistoryPageDrawsTheTrendsAndMarksThePlantedNight) {
  const auto html = folder_ + "/history.html";
  const auto made = run_harness("history " + quote(std::string(TTT_SOURCE_DIR) + "/suites/report/history-rehearsal") +
                                " --html " + quote(html));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  expect_contains(page.dom, "data-rendered=\"true\"");
  expect_contains(page.dom, "1 change point, 1 for the worse");
  EXPECT_EQ(count_of(page.dom, "class=\"change-row\""), 1u);
  EXPECT_EQ(count_of(page.dom, "class=\"change-marker\""), 1u);
  expect_contains(page.dom, "prefill/linear/float32/cpu/B:1/L:512/threads:1");
  expect_contains(page.dom, "0892a5835f..1642cc4558");
  EXPECT_EQ(count_of(page.dom, "<tr><td class=\"num\">"), 5u);  // the nights
  EXPECT_GE(count_of(page.dom, "<svg"), 44u);                     // 2 benchmarks (ratio, tokens/s), 40 cases
  expect_contains(page.dom, "40 cases that did not move");
  screenshot(html, "history-rehearsal.png", "1280,1800");
}

TEST_F(Browser, CaseTableSortsFiltersAndOpensDetails) {
  write_json(folder_ + "/report.json", synthetic_report());
  const auto html = folder_ + "/report.html";
  ASSERT_EQ(run_harness("report --from " + quote(folder_ + "/report.json") + " --html " + quote(html)).exit_code, 0);
  // What a reviewer's clicks do, scripted after the page's own script: sort by case id,
  // open the first row's details, then filter.
  auto page_text = read_text(html);
  const std::string clicks = R"js(<script>
    var table = document.getElementById("cases-table");
    Array.prototype.find.call(table.querySelectorAll("th"), function (th) { return th.textContent.indexOf("case") === 0; }).click();
    document.body.setAttribute("data-sorted", Array.prototype.map.call(table.querySelectorAll("tbody tr[data-key]"), function (tr) { return tr.getAttribute("data-key"); }).join("|"));
    table.querySelector("tbody button.toggle").click();
    document.body.setAttribute("data-details", table.querySelectorAll("tr.detail").length);
    var filter = table.parentNode.parentNode.querySelector("input.filter");
    filter.value = "mlp_";
    filter.dispatchEvent(new Event("input"));
    document.body.setAttribute("data-filtered", table.querySelectorAll("tbody tr[data-key]").length);
  </script></body>)js";
  page_text.replace(page_text.rfind("</body>"), 7, clicks);
  const auto clicked = folder_ + "/clicked.html";
  write_text(clicked, page_text);

  const auto page = open(clicked);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  expect_contains(page.dom, "data-sorted=\"file fixtures/broken.h5|linear_&lt;img src=x onerror=alert(1)&gt;_f64|"
                            "linear_rope_f32_b2_l75_k16|linear_rope_f64_b2_l64_k16|mlp_decode_f64_p6_t5_k1|mlp_rope_f32_cuda_only\"");
  expect_contains(page.dom, "data-details=\"1\"");
  expect_contains(page.dom, "data-filtered=\"2\"");
  expect_contains(page.dom, "hidden_size");  // the opened details show the config
}

TEST_F(Browser, ReportFromCommittedFixturesRenders) {
  // The real path: check runs two committed fixtures and writes both reports.
  const auto json_path = folder_ + "/report.json";
  const auto html = folder_ + "/report.html";
  const std::string fixtures = TTT_FIXTURES_DIR;
  const auto run = run_harness("check " + quote(fixtures + "/linear_decode_f32_p21_t11_k8.h5") + " " +
                               quote(fixtures + "/mlp_rope_f64_b2_l13_k1.h5") + " --json " +
                               quote(json_path) + " --html " + quote(html));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto report = nlohmann::json::parse(read_text(json_path));
  ASSERT_EQ(report["cases"].size(), 2u);
  EXPECT_EQ(report["summary"]["passed"], 2);

  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  expect_contains(page.dom, "data-report-ready=\"1\"");
  expect_contains(page.dom, "data-verdict=\"PASSED\"");
  expect_contains(page.dom, "data-count=\"cases-passed\">2<");
  expect_contains(page.dom, "data-key=\"linear_decode_f32_p21_t11_k8\"");
  expect_contains(page.dom, "data-key=\"mlp_rope_f64_b2_l13_k1\"");
  expect_contains(page.dom, "id=\"plot-margins\"");
  expect_contains(page.dom, "cd831db10c8c9a0f6340f02da5613316a8a92b67");  // fixture provenance
  screenshot(html, "fixtures-report.png", "1280,1400");
}

// A port's conformance report and the matrix of ports (ttt-harness conform, matrix): the page
// names the port, counts what it does not support and what its expectations file lists apart
// from its failures, and the matrix holds one row per case or check, one column per port.
TEST_F(Browser, ConformanceReportAndMatrixRender) {
  const std::string source = TTT_SOURCE_DIR;
  const std::string port = "python:" + source + "/suites/conformance/example_port/audio_ttt.py:with_use_rope_ignored";
  const auto expectations = folder_ + "/expectations.txt";
  write_text(expectations, "check/use_rope\\.config_takes_effect   the flag is being wired up (our issue 7)\n");
  const std::string only = " --filter " + quote("linear_decode_f64_p5_t14_k8|linear_norope_f64_b2_l48_k16|check/use_rope");
  const auto switched = run_harness("conform --port " + quote(port) + only + " --expectations " + quote(expectations) +
                                    " --json " + quote(folder_ + "/switched.json") + " --html " + quote(folder_ + "/switched.html"));
  ASSERT_EQ(switched.exit_code, 1) << switched.output;  // the live flip still fails
  const auto cpp = run_harness("conform --port cpp" + only + " --json " + quote(folder_ + "/cpp.json"));
  ASSERT_EQ(cpp.exit_code, 0) << cpp.output;

  const auto page = open(folder_ + "/switched.html");
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  expect_contains(page.dom, "data-report-ready=\"1\"");
  expect_contains(page.dom, "ttt-harness conformance: audio-ttt example port 1.0-test");
  expect_contains(page.dom, "id=\"port\"");
  expect_contains(page.dom, "data-count=\"cases-not-supported\">1<");  // the decode case's /state
  expect_contains(page.dom, "data-count=\"cases-known\">1<");
  expect_contains(page.dom, "id=\"known-failures\"");
  expect_contains(page.dom, "the flag is being wired up (our issue 7)");
  expect_contains(page.dom, "data-failure=\"check/use_rope.live_flip_both_ways\"");
  screenshot(folder_ + "/switched.html", "conformance-report.png", "1280,1400");

  const auto html = folder_ + "/matrix.html";
  const auto matrix = run_harness("matrix " + quote(folder_ + "/cpp.json") + " " + quote(folder_ + "/switched.json") +
                                  " --html " + quote(html) + " --json " + quote(folder_ + "/matrix.json"));
  ASSERT_EQ(matrix.exit_code, 0) << matrix.output;
  const auto m = open(html);
  EXPECT_EQ(m.console, "") << "the page logged to the console";
  expect_contains(m.dom, "data-matrix-ready=\"1\"");
  expect_contains(m.dom, "5 rows \u00b7 2 ports");
  expect_contains(m.dom, "data-case=\"linear_decode_f64_p5_t14_k8/state\"");
  expect_contains(m.dom, "incident 3: ");
  expect_contains(m.dom, "FAIL (known)");
  expect_contains(m.dom, "N/S");
  screenshot(html, "conformance-matrix.png", "1280,900");
}

// ---- what a reviewer reads off the cases table and the plots ----

// The cells of `table` (a DOM table of the page) under the headers `a` and `b`, row by row:
// "a vs b|a vs b". JavaScript, for the scripts below.
const char* kCellsOf = R"js(
  function cellsOf(table, a, b) {
    var heads = Array.prototype.map.call(table.querySelectorAll(":scope > thead th"), function (th) { return th.textContent; });
    var ia = heads.indexOf(a), ib = heads.indexOf(b);
    return Array.prototype.map.call(table.querySelectorAll(":scope > tbody > tr"), function (tr) {
      return (tr.cells[ia] ? tr.cells[ia].textContent : "?") + " vs " + (tr.cells[ib] ? tr.cells[ib].textContent : "?");
    }).join("|");
  }
  function rowOf(key) {
    return Array.prototype.find.call(document.querySelectorAll("#cases-table tbody tr[data-key]"), function (tr) { return tr.getAttribute("data-key") === key; });
  }
  function cellText(tr, header) {
    var heads = Array.prototype.map.call(document.querySelectorAll("#cases-table thead th"), function (th) { return th.textContent; });
    var i = heads.indexOf(header);
    return i < 0 || !tr ? "(no column " + header + ")" : tr.cells[i].textContent;
  }
)js";

// A float64 failure at 1e-6 relative showed actual and expected at three digits, both
// "-0.935": the page prints them with the fewest digits that tell them apart, down to the last
// bit of a float64 (17 digits).
TEST_F(Browser, WorstValuesShowTheDigitsThatDiffer) {
  auto report = synthetic_report();
  for (auto& c : report["cases"]) {
    if (c["case"] != kInjectedCaseId) continue;
    c["comparisons"][0]["actual_at_worst"] = -0.9351234;
    c["comparisons"][0]["expected_at_worst"] = -0.9351243;
    auto last_bits = c["comparisons"][0];
    last_bits["tensor"] = "grad/W1";
    last_bits["actual_at_worst"] = 2.2006568636449035;
    last_bits["expected_at_worst"] = 2.2006568636449013;
    c["comparisons"].push_back(last_bits);
    auto equal = c["comparisons"][0];
    equal["tensor"] = "grad/b1";
    equal["actual_at_worst"] = -0.5;
    equal["expected_at_worst"] = -0.5;
    c["comparisons"].push_back(equal);
  }
  const auto html = with_script(page_of(report, "report"), "worst.html", std::string(kCellsOf) + R"js(
    document.body.setAttribute("data-card", cellsOf(document.querySelector("#failures .card table"), "actual @ worst", "expected @ worst"));
    var row = Array.prototype.find.call(document.querySelectorAll("#cases-table tbody tr[data-key]"), function (tr) { return tr.getAttribute("data-key").indexOf("onerror") >= 0; });
    row.querySelector("button.toggle").click();
    document.body.setAttribute("data-detail", cellsOf(document.querySelector("#cases-table tr.detail table"), "actual @ worst", "expected @ worst"));
  )js");
  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  const std::string expected = "-0.935123 vs -0.935124|2.200656863644904 vs 2.200656863644901|-0.5 vs -0.5";
  EXPECT_EQ(body_attribute(page.dom, "data-card"), expected);
  EXPECT_EQ(body_attribute(page.dom, "data-detail"), expected);
}

// `check` of committed fixtures: a bfloat16 prefill case (decided by its layer-norm white-box
// check near its bound, outputs near half of theirs), a bfloat16 decode case and a float64 one.
struct RealReport {
  std::string json_path, html;
};
RealReport check_real_fixtures(const std::string& folder) {
  const std::string fixtures = TTT_FIXTURES_DIR;
  RealReport r{folder + "/real.json", folder + "/real.html"};
  const auto run = run_harness("check " + quote(fixtures + "/linear_rope_bf16_b2_l75_k16.h5") + " " +
                               quote(fixtures + "/mlp_decode_bf16_p20_t10_k8.h5") + " " +
                               quote(fixtures + "/linear_rope_f64_b2_l64_k16.h5") + " --json " + quote(r.json_path) +
                               " --html " + quote(r.html));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  return r;
}

bool white_box_by_name(const std::string& tensor) {
  return tensor == "rope_cos" || tensor == "rope_sin" || tensor.rfind("layer_rope_", 0) == 0 ||
         tensor.rfind("layer_norm_", 0) == 0;
}

// The largest margin among a case's golden comparisons (white_box false) or white-box ones,
// and the golden tensor it belongs to.
std::pair<double, std::string> largest_margin(const nlohmann::json& c, bool white_box) {
  std::pair<double, std::string> best{-1, ""};
  for (const auto& m : c["comparisons"]) {
    if (white_box_by_name(m["tensor"].get<std::string>()) != white_box || !m["margin"].is_number()) continue;
    if (m["margin"].get<double>() > best.first) best = {m["margin"].get<double>(), m["tensor"].get<std::string>()};
  }
  return best;
}

double number_in(const std::string& text) {
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not a number: \"" << text << "\"";
    return -1;
  }
}

// The bfloat16 cases sat at 0.92-0.98 of their bound on the red line, the deciding statistic
// being the layer-norm check in a column headed max_abs_err: a reviewer read "about to fail"
// where the outputs are far inside theirs. The JSON says which comparisons are white-box; the
// table names the deciding statistic with its unit and shows the outputs' margin beside the
// white-box one; the margin plot's large dot is the outputs'.
TEST_F(Browser, CasesTableNamesTheDecidingStatisticAndBothMargins) {
  const auto real = check_real_fixtures(folder_);
  const auto report = nlohmann::json::parse(read_text(real.json_path));
  ASSERT_EQ(report["cases"].size(), 3u);
  for (const auto& c : report["cases"]) {
    for (const auto& m : c["comparisons"]) {
      const auto tensor = m["tensor"].get<std::string>();
      ASSERT_TRUE(m.contains("check")) << c["case"] << " " << tensor << ": no \"check\" field";
      EXPECT_EQ(m["check"], white_box_by_name(tensor) ? "white_box" : "golden") << c["case"] << " " << tensor;
    }
  }
  const auto& bf16 = report["cases"][0];
  ASSERT_EQ(bf16["case"], "linear_rope_bf16_b2_l75_k16");
  ASSERT_EQ(bf16["decisive"], "layer_norm_centered");  // the C++ verdict, unchanged
  const auto outputs = largest_margin(bf16, false);
  const auto white_box = largest_margin(bf16, true);
  ASSERT_LT(outputs.first, 0.8);
  ASSERT_GT(white_box.first, 0.9);

  const auto html = with_script(real.html, "measured.html", std::string(kCellsOf) + R"js(
    var heads = Array.prototype.map.call(document.querySelectorAll("#cases-table thead th"), function (th) { return th.textContent; });
    document.body.setAttribute("data-heads", heads.join("|"));
    var bf16 = rowOf("linear_rope_bf16_b2_l75_k16"), f64 = rowOf("linear_rope_f64_b2_l64_k16");
    document.body.setAttribute("data-deciding", cellText(bf16, "deciding check"));
    document.body.setAttribute("data-deciding-f64", cellText(f64, "deciding check"));
    document.body.setAttribute("data-outputs", cellText(bf16, "outputs' margin"));
    document.body.setAttribute("data-white-box", cellText(bf16, "white-box margin"));
    var plotRow = Array.prototype.find.call(document.querySelectorAll("#plot-margins g.margin-row"), function (g) { return g.getAttribute("data-key") === "linear_rope_bf16_b2_l75_k16"; });
    var big = plotRow && plotRow.querySelector("circle.case-dot");
    var worst = plotRow && Array.prototype.find.call(plotRow.querySelectorAll("circle[data-tensor]"), function (c) { return c.getAttribute("data-tensor") === ")js" + outputs.second + R"js("; });
    document.body.setAttribute("data-big-dot", big && worst ? big.getAttribute("cx") + " at " + worst.getAttribute("cx") : "(absent)");
    document.body.setAttribute("data-white-box-dots", plotRow ? plotRow.querySelectorAll("circle.white-box-dot").length : -1);
    document.body.setAttribute("data-legend", (document.getElementById("margin-legend") || { textContent: "(absent)" }).textContent);
  )js");
  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  const auto heads = body_attribute(page.dom, "data-heads");
  for (const auto* head : {"deciding check", "outputs' margin", "white-box margin"}) {
    EXPECT_NE(heads.find(head), std::string::npos) << heads;
  }
  EXPECT_EQ(heads.find("max_abs_err"), std::string::npos) << heads;
  const auto deciding = body_attribute(page.dom, "data-deciding");
  EXPECT_NE(deciding.find("layer_norm_centered"), std::string::npos) << deciding;
  EXPECT_NE(deciding.find("err / rounding bound (units)"), std::string::npos) << deciding;
  const auto deciding_f64 = body_attribute(page.dom, "data-deciding-f64");
  EXPECT_NE(deciding_f64.find("max |err| (abs)"), std::string::npos) << deciding_f64;
  EXPECT_NEAR(number_in(body_attribute(page.dom, "data-outputs")), outputs.first, 0.01);
  EXPECT_NEAR(number_in(body_attribute(page.dom, "data-white-box")), white_box.first, 0.01);
  const auto big_dot = body_attribute(page.dom, "data-big-dot");
  ASSERT_NE(big_dot.find(" at "), std::string::npos) << big_dot;
  EXPECT_EQ(big_dot.substr(0, big_dot.find(" at ")), big_dot.substr(big_dot.find(" at ") + 4)) << "large dot not at " << outputs.second;
  EXPECT_EQ(body_attribute(page.dom, "data-white-box-dots"), "6");  // rope_cos/sin, layer_rope_cos/sin, layer_norm_centered/std
  EXPECT_NE(body_attribute(page.dom, "data-legend").find("white-box"), std::string::npos);
}

// A report written before comparisons carried "check": the page tells the white-box ones by
// their tensor names.
TEST_F(Browser, OlderReportWithoutCheckFieldTellsWhiteBoxByName) {
  auto report = synthetic_report();
  auto outputs = report["cases"][0]["comparisons"][0];
  outputs["tensor"] = "output";
  outputs["margin"] = 0.4;
  auto norm = outputs;
  norm["tensor"] = "layer_norm_centered";
  norm["margin"] = 0.98;
  norm["tolerance"] = {{"rule", "units"}, {"name", "layer norm"}, {"bound", 1}, {"text", "err/derived bound <= 1"}};
  auto table = outputs;
  table["tensor"] = "rope_cos";
  table["margin"] = 0.0;
  report["cases"][0]["comparisons"] = {table, norm, outputs};
  report["cases"][0]["decisive"] = "layer_norm_centered";
  const auto key = report["cases"][0]["case"].get<std::string>();
  const auto html = with_script(page_of(report, "old"), "old-measured.html", std::string(kCellsOf) + R"js(
    var row = rowOf(")js" + key + R"js(");
    document.body.setAttribute("data-outputs", cellText(row, "outputs' margin"));
    document.body.setAttribute("data-white-box", cellText(row, "white-box margin"));
    document.body.setAttribute("data-deciding", cellText(row, "deciding check"));
    document.body.setAttribute("data-other", cellText(rowOf("mlp_decode_f64_p6_t5_k1"), "white-box margin"));
  )js");
  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  EXPECT_EQ(body_attribute(page.dom, "data-outputs"), "0.4");
  EXPECT_EQ(body_attribute(page.dom, "data-white-box"), "0.98");
  EXPECT_NE(body_attribute(page.dom, "data-deciding").find("layer_norm_centered"), std::string::npos);
  EXPECT_EQ(body_attribute(page.dom, "data-other"), "");  // no white-box comparison: blank
}

// "1 cases": every count on the three pages agrees with its number.
TEST_F(Browser, CountsOfOneReadInTheSingular) {
  auto report = synthetic_report();
  report["cases"] = {report["cases"][0]};
  report["suites"]["tests"] = {report["suites"]["tests"][0]};
  report["long_sequence"]["series"] = {report["long_sequence"]["series"][0]};
  report["benchmarks"]["results"] = {report["benchmarks"]["results"][0]};
  auto baseline = report;
  baseline["benchmarks"]["results"][0]["tokens_per_s"] = 65000;  // one regression: a slowdown
  write_json(folder_ + "/base.json", baseline);
  write_json(folder_ + "/one.json", report);
  const auto made = run_harness("report --from " + quote(folder_ + "/one.json") + " --html " + quote(folder_ + "/one.html") +
                                " --baseline " + quote(folder_ + "/base.json"));
  ASSERT_TRUE(fs::exists(folder_ + "/one.html")) << made.output;  // (the exit status tells of the regression)
  const auto html = with_script(folder_ + "/one.html", "one-measured.html", R"js(
    document.body.setAttribute("data-tiles", Array.prototype.map.call(document.querySelectorAll(".tile .big"), function (b) { return b.textContent; }).join("|"));
    document.body.setAttribute("data-title", document.title);
  )js");
  const auto page = open(html);
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  EXPECT_EQ(body_attribute(page.dom, "data-tiles"), "1 case|1 test|1 series|1 case|1 regression");
  EXPECT_EQ(body_attribute(page.dom, "data-title"), "ttt-harness report: REGRESSION (1/1 case passed)");
  expect_contains(page.dom, "1 regression against the baseline");

  const auto matrix = run_harness("matrix " + quote(folder_ + "/one.json") + " --html " + quote(folder_ + "/matrix.html") +
                                  " --json " + quote(folder_ + "/matrix.json"));
  ASSERT_EQ(matrix.exit_code, 0) << matrix.output;
  const auto m = open(folder_ + "/matrix.html");
  EXPECT_EQ(m.console, "") << "the page logged to the console";
  expect_contains(m.dom, " \u00b7 1 port \u00b7 ");
  EXPECT_EQ(m.dom.find("1 rows"), std::string::npos);
}

// At 1280 px the cases table scrolled sideways and hid a column: it must fit its container,
// its rows closed and with every row's details open, on real reports (long RoPE-table
// messages) and the synthetic one.
TEST_F(Browser, CasesTableFitsA1280PixelWindow) {
  const auto real = check_real_fixtures(folder_);
  const std::string measure = R"js(
    // The wider of the table and what its scroll container holds (a details row's own tables
    // overflowing their cell), against the container's width.
    var table = document.getElementById("cases-table"), box = table.parentNode;
    function fit() { return Math.max(table.scrollWidth, box.scrollWidth) + "/" + box.clientWidth; }
    document.body.setAttribute("data-fit", fit());
    for (var b; (b = table.querySelector("button.toggle[aria-expanded=false]"));) b.click();
    document.body.setAttribute("data-fit-open", fit());
    document.body.setAttribute("data-page-fit", document.documentElement.scrollWidth + "/" + window.innerWidth);
  )js";
  const auto fits = [](const std::string& measured) {
    const auto slash = measured.find('/');
    return slash != std::string::npos && std::stoi(measured.substr(0, slash)) <= std::stoi(measured.substr(slash + 1));
  };
  for (const auto& [name, html] : {std::pair<std::string, std::string>{"real", real.html}, {"synthetic", page_of(synthetic_report(), "synthetic")}}) {
    const auto page = open(with_script(html, name + "-fit.html", measure), "1280,900");
    EXPECT_EQ(page.console, "") << "the page logged to the console";
    for (const auto* what : {"data-fit", "data-fit-open", "data-page-fit"}) {
      const auto measured = body_attribute(page.dom, what);
      std::cout << name << " " << what << " (scrollWidth/clientWidth): " << measured << std::endl;
      EXPECT_TRUE(fits(measured)) << name << " " << what << ": " << measured;
    }
  }
  screenshot(real.html, "fixtures-bf16-report-1280.png", "1280,1600");
  // The same with every row's details open, as a reviewer reads them.
  screenshot(with_script(real.html, "real-open.html", R"js(
    for (var b; (b = document.querySelector("#cases-table button.toggle[aria-expanded=false]"));) b.click();
    // The table alone and whole: the sections above it hidden, its scroll box unbounded.
    Array.prototype.forEach.call(document.querySelectorAll("#report > *"), function (n) { if (n.id !== "cases") n.style.display = "none"; });
    document.querySelector("#cases .scroll").style.maxHeight = "none";
  )js"), "fixtures-bf16-report-details-1280.png", "1280,2400");
}

// Every plot on the report and history pages has its axes titled with their units.
TEST_F(Browser, EveryPlotHasAxisTitlesWithUnits) {
  const std::string count = R"js(
    var svgs = document.querySelectorAll("svg"), bare = [], labels = {};
    Array.prototype.forEach.call(svgs, function (s, i) {
      var found = s.querySelectorAll(".axis-label");
      if (!found.length) bare.push(s.getAttribute("aria-label") || "svg " + i);
      Array.prototype.forEach.call(found, function (l) { labels[l.textContent] = true; });
    });
    document.body.setAttribute("data-svgs", svgs.length);
    document.body.setAttribute("data-unlabelled", bare.length + (bare.length ? ": " + bare.slice(0, 4).join("; ") : ""));
    document.body.setAttribute("data-labels", Object.keys(labels).sort().join("|"));
  )js";
  const auto report = open(with_script(page_of(synthetic_report(), "report"), "report-axes.html", count));
  EXPECT_EQ(report.console, "") << "the page logged to the console";
  EXPECT_EQ(body_attribute(report.dom, "data-svgs"), "4");  // margins, two long series, benchmarks
  EXPECT_EQ(body_attribute(report.dom, "data-unlabelled"), "0");
  const auto labels = body_attribute(report.dom, "data-labels");
  for (const auto* label : {"error / allowed error (ratio, log scale)", "max |error| (absolute, log scale)", "position (tokens)",
                            "tokens/s"}) {
    EXPECT_NE(labels.find(label), std::string::npos) << "no axis titled " << label << " in " << labels;
  }

  const auto history = folder_ + "/history.html";
  const auto made = run_harness("history " + quote(std::string(TTT_SOURCE_DIR) + "/suites/report/history-rehearsal") +
                                " --html " + quote(history));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto page = open(with_script(history, "history-axes.html", count));
  EXPECT_EQ(page.console, "") << "the page logged to the console";
  EXPECT_EQ(body_attribute(page.dom, "data-unlabelled"), "0");
  const auto history_labels = body_attribute(page.dom, "data-labels");
  for (const auto* label : {"tokens/s", "ratio", "err / allowed"}) {
    EXPECT_NE(history_labels.find(label), std::string::npos) << "no axis titled " << label << " in " << history_labels;
  }
}

}  // namespace
}  // namespace ttt::testing
