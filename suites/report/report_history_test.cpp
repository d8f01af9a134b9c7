// `ttt-harness history`: five synthetic nights built from the synthetic report, the fourth
// with planted regressions (the layer 15% slower against the reference, over repetitions; a
// case's error x5; a suite test that fails), the third on a machine slower for both sides.
// Exactly the planted changes are marked, at the night they happened, with the commit range;
// the loaded night and the unchanged nights are not.
#include "report_test_support.h"
#include "ttt_paths.h"

#include <reports/report_history.h>

#include <gtest/gtest.h>

#include <set>

namespace ttt::testing {
namespace {

using nlohmann::json;

const std::vector<std::vector<double>> kJitter = {{0.00, 0.01, -0.01, 0.02, -0.015},
                                                   {0.01, -0.005, 0.015, -0.02, 0.0},
                                                   {-0.01, 0.0, 0.02, 0.005, -0.02}};

// bench/run results of the linear L=512 prefill with five repetitions each side.
json bench_pair(double cpp_seconds, double ref_seconds, int night) {
  json results = json::array();
  for (const auto& [impl, seconds] : {std::pair<std::string, double>{"cpp", cpp_seconds}, {"reference", ref_seconds}}) {
    results.push_back(bench_result(impl, 512, seconds, kJitter[(night + (impl == "cpp" ? 0 : 1)) % 3]));
  }
  return results;
}

// Night i of five: commit c<i>, made on day i.
json night(int i, double cpp_seconds, double ref_seconds) {
  auto r = synthetic_report();
  r["generated_utc"] = "2026-11-2" + std::to_string(i) + "T02:00:00Z";
  r["environment"]["git_commit"] = "c" + std::to_string(i) + "000000000000";
  r["benchmarks"]["results"] = bench_pair(cpp_seconds, ref_seconds, i);
  for (auto& c : r["cases"]) {  // check writes the deciding comparison's margin on the case
    if (!c["comparisons"].empty()) c["margin"] = c["comparisons"][0]["margin"];
  }
  return r;
}

std::vector<std::string> write_nights(const std::string& folder) {
  std::vector<json> nights = {night(0, 0.010, 0.020), night(1, 0.010, 0.020),
                              night(2, 0.010 / 0.8, 0.020 / 0.8),  // loaded: both sides 20% slower
                              night(3, 0.010 / 0.85, 0.020), night(4, 0.010 / 0.85, 0.020)};  // planted, persists
  for (int i : {3, 4}) {
    for (auto& c : nights[i]["cases"]) {
      if (c["case"] == "linear_rope_f32_b2_l75_k16") c["margin"] = c["margin"].get<double>() * 5;
    }
    nights[i]["suites"]["tests"][0]["status"] = "fail";
  }
  std::vector<std::string> paths;
  for (int i = 4; i >= 0; --i) {  // written out of order: the history orders by generated_utc
    paths.push_back(folder + "/night" + std::to_string(i) + ".json");
    write_json(paths.back(), nights[i]);
  }
  return paths;
}

TEST(History, MarksThePlantedChangesAndNothingElse) {
  const auto folder = test_folder();
  write_nights(folder);
  write_text(folder + "/notes.json", "{\"not\": \"a report\"}");  // ignored: not a report
  const auto history = harness::build_history(harness::collect_reports({folder}), harness::HistoryOptions{});
  ASSERT_EQ(history["nights"].size(), 5u);
  EXPECT_EQ(history["nights"][0]["git_commit"], "c0000000000000");
  std::set<std::string> marked;
  for (const auto& p : history["change_points"]) {
    EXPECT_EQ(p["night"], 3) << p.dump();
    EXPECT_EQ(p["from_commit"], "c2000000000000");
    EXPECT_EQ(p["to_commit"], "c3000000000000");
    EXPECT_TRUE(p["worse"].get<bool>()) << p.dump();
    marked.insert(p["kind"].get<std::string>() + " " + p["subject"].get<std::string>());
  }
  const auto suite_test = synthetic_report()["suites"]["tests"][0]["name"].get<std::string>();
  EXPECT_EQ(marked, (std::set<std::string>{"benchmark prefill/linear/float32/cpu/B:1/L:512/threads:1",
                                           "case linear_rope_f32_b2_l75_k16", "suite_test " + suite_test}))
      << history["change_points"].dump(1);
  for (const auto& b : history["benchmarks"]) {
    for (const auto& p : b["change_points"]) {
      EXPECT_NE(p["detail"].get<std::string>().find("Mann-Whitney p = "), std::string::npos) << p.dump();
    }
  }
}

TEST(History, CommandLinesAndUnusableInput) {
  const auto folder = test_folder();
  write_nights(folder);
  const auto run = run_harness("history " + quote(folder) + " --json " + quote(folder + "/h.json") + " --html " +
                               quote(folder + "/h.html"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("CHANGE benchmark prefill/linear/float32/cpu/B:1/L:512/threads:1 at night 3 "
                            "2026-11-23T02:00:00Z (c200000000..c300000000): C++/reference tokens/s"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("5 nights, "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(", 3 change point(s)"), std::string::npos) << run.output;
  // A file that is not a report, given by name, is refused naming it.
  write_text(folder + "/broken.json", "{\"schema\": \"ttt-harness-report\", \"schema_version\": 1}");
  const auto bad = run_harness("history " + quote(folder + "/broken.json"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("broken.json"), std::string::npos) << bad.output;
  const auto empty = run_harness("history " + quote(folder + "/absent"));
  EXPECT_EQ(empty.exit_code, 2) << empty.output;
}

// Five real nightly rehearsals (history-rehearsal/README.md): a plain night, its rerun, a night
// with the second core loaded, and two nights with the layer planted 15% slower. The history
// marks the planted night's prefill benchmark and nothing else.
TEST(History, RealRehearsalMarksThePlantedNightOnly) {
  const auto history = harness::build_history(
      harness::collect_reports({std::string(TTT_SOURCE_DIR) + "/suites/report/history-rehearsal"}),
      harness::HistoryOptions{});
  ASSERT_EQ(history["nights"].size(), 5u);
  ASSERT_EQ(history["change_points"].size(), 1u) << history["change_points"].dump(1);
  const auto& p = history["change_points"][0];
  EXPECT_EQ(p["kind"], "benchmark");
  EXPECT_EQ(p["subject"], "prefill/linear/float32/cpu/B:1/L:512/threads:1");
  EXPECT_EQ(p["night"], 3);
  EXPECT_EQ(p["to_commit"].get<std::string>().substr(0, 7), "1642cc4");
  EXPECT_TRUE(p["worse"].get<bool>());
  EXPECT_EQ(history["cases"].size(), 40u);
}

}  // namespace
}  // namespace ttt::testing
