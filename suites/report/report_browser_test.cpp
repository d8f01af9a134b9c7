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

  Page open(const std::string& html) const {
    const auto log = folder_ + "/chromium.log";
    const auto dom = folder_ + "/dom.html";
    const auto run = run_command("timeout 120 " + quote(chromium_) + flags() + " --dump-dom " +
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

  std::string chromium_, folder_;
};

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
  ASSERT_EQ(made.exit_code, 0) << made.output;
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

  screenshot(html, "synthetic-report.png", "1400,2400");
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
  expect_contains(page.dom, "1 change point(s), 1 for the worse");
  EXPECT_EQ(count_of(page.dom, "class=\"change-row\""), 1u);
  EXPECT_EQ(count_of(page.dom, "class=\"change-marker\""), 1u);
  expect_contains(page.dom, "prefill/linear/float32/cpu/B:1/L:512/threads:1");
  expect_contains(page.dom, "0892a5835f..1642cc4558");
  EXPECT_EQ(count_of(page.dom, "<tr><td class=\"num\">"), 5u);  // the nights
  EXPECT_GE(count_of(page.dom, "<svg"), 44u);                     // 2 benchmarks (ratio, tokens/s), 40 cases
  expect_contains(page.dom, "40 cases that did not move");
  screenshot(html, "history-rehearsal.png", "1300,1800");
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
  screenshot(html, "fixtures-report.png", "1400,1400");
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
  screenshot(folder_ + "/switched.html", "conformance-report.png", "1400,1400");

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

}  // namespace
}  // namespace ttt::testing
