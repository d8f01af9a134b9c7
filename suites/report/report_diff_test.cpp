// The regression diff: every kind of planted regression is reported and makes `ttt-harness
// diff` exit 1; an identical pair exits 0; unusable input exits 2 naming the file.
#include "report_test_support.h"

#include <reports/report_diff.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace ttt::testing {
namespace {

using harness::DiffOptions;
using harness::DiffResult;
using harness::Finding;
using nlohmann::json;

json& find_case(json& report, const std::string& id) {
  for (auto& c : report["cases"]) {
    if (c["case"] == id) return c;
  }
  throw std::runtime_error("no case " + id);
}

const Finding* find(const DiffResult& result, const std::string& kind, const std::string& subject) {
  for (const auto& f : result.findings) {
    if (to_string(f.kind) == kind && f.subject == subject) return &f;
  }
  return nullptr;
}

std::string all_lines(const DiffResult& result) {
  std::string out;
  for (const auto& f : result.findings) out += f.line() + "\n";
  return out;
}

TEST(ReportDiff, IdenticalReportsHaveNoRegressions) {
  const auto report = synthetic_report();
  const auto result = harness::diff_reports(report, report, DiffOptions{});
  EXPECT_EQ(result.regressions(), 0) << all_lines(result);
}

TEST(ReportDiff, ErrorThatGrewBeyondTheFactorIsARegressionButNotBelowIt) {
  const auto base = synthetic_report();
  auto grown = base;
  find_case(grown, "linear_rope_f32_b2_l75_k16")["comparisons"][0]["max_abs_err"] = 1.2e-6 * 50;  // x50
  auto result = harness::diff_reports(base, grown, DiffOptions{});
  const auto* f = find(result, "error_growth", "linear_rope_f32_b2_l75_k16/output");
  ASSERT_NE(f, nullptr) << all_lines(result);
  EXPECT_TRUE(f->regression);
  EXPECT_NE(f->detail.find("x50"), std::string::npos) << f->detail;

  DiffOptions lenient;
  lenient.error_growth = 100;
  EXPECT_EQ(harness::diff_reports(base, grown, lenient).regressions(), 0);

  auto slightly = base;
  find_case(slightly, "linear_rope_f32_b2_l75_k16")["comparisons"][0]["max_abs_err"] = 1.2e-6 * 5;
  EXPECT_EQ(harness::diff_reports(base, slightly, DiffOptions{}).regressions(), 0);
}

TEST(ReportDiff, RoundingNoiseOnABitExactCaseIsNotAGrowth) {
  // 0 -> 4e-16 on a float64 tensor of scale 3: a few roundings, not an infinite growth.
  const auto base = synthetic_report();
  auto noisy = base;
  find_case(noisy, "mlp_decode_f64_p6_t5_k1")["comparisons"][0]["max_abs_err"] = 4e-16;
  const auto result = harness::diff_reports(base, noisy, DiffOptions{});
  EXPECT_EQ(result.regressions(), 0) << all_lines(result);
  // ... but 0 -> 1e-12 is.
  find_case(noisy, "mlp_decode_f64_p6_t5_k1")["comparisons"][0]["max_abs_err"] = 1e-12;
  EXPECT_NE(find(harness::diff_reports(base, noisy, DiffOptions{}), "error_growth", "mlp_decode_f64_p6_t5_k1/decode_output"),
            nullptr);
}

TEST(ReportDiff, NewFailureMissingCaseAndNewSkipAreRegressions) {
  const auto base = synthetic_report();
  auto current = base;
  auto& failing = find_case(current, "linear_rope_f64_b2_l64_k16");
  failing["status"] = "FAIL";
  failing["comparisons"][0]["passed"] = false;
  failing["comparisons"][0]["max_abs_err"] = 1e-3;
  find_case(current, "linear_rope_f32_b2_l75_k16")["status"] = "SKIP";
  auto& cases = current["cases"];
  cases.erase(std::remove_if(cases.begin(), cases.end(), [](const json& c) { return c["case"] == "mlp_decode_f64_p6_t5_k1"; }),
              cases.end());
  const auto result = harness::diff_reports(base, current, DiffOptions{});
  const auto* failure = find(result, "new_failure", "linear_rope_f64_b2_l64_k16");
  ASSERT_NE(failure, nullptr) << all_lines(result);
  EXPECT_NE(failure->detail.find("PASS -> FAIL"), std::string::npos);
  EXPECT_NE(failure->detail.find("output max_abs_err=0.001"), std::string::npos) << failure->detail;
  EXPECT_NE(find(result, "missing_case", "mlp_decode_f64_p6_t5_k1"), nullptr) << all_lines(result);
  EXPECT_NE(find(result, "new_skip", "linear_rope_f32_b2_l75_k16"), nullptr) << all_lines(result);
  // The worst news comes first.
  EXPECT_STREQ(to_string(result.findings.front().kind), "new_failure");
}

TEST(ReportDiff, AFixedCaseIsANoteNotARegression) {
  const auto base = synthetic_report();
  auto current = base;
  auto& fixed = find_case(current, kInjectedCaseId);
  fixed["status"] = "PASS";
  fixed["comparisons"][0]["passed"] = true;
  fixed["comparisons"][0]["max_abs_err"] = 1e-16;
  const auto result = harness::diff_reports(base, current, DiffOptions{});
  const auto* note = find(result, "fixed", kInjectedCaseId);
  ASSERT_NE(note, nullptr) << all_lines(result);
  EXPECT_FALSE(note->regression);
  EXPECT_EQ(result.regressions(), 0) << all_lines(result);
}

TEST(ReportDiff, SuiteTestsSeriesAndBenchmarks) {
  const auto base = synthetic_report();
  auto current = base;
  current["suites"]["tests"][0]["status"] = "fail";                         // pass -> fail
  current["suites"]["tests"].erase(2);                                      // a test went missing
  current["long_sequence"]["series"][0]["max_abs_err"][5] = 5e-3;            // series error x2000
  current["benchmarks"]["results"][0]["tokens_per_s"] = 42000 * 0.75;       // C++ 25% slower
  current["benchmarks"]["results"][2]["tokens_per_s"] = 39000 * 0.95;       // 5%: within 10%
  current["benchmarks"]["results"].erase(4);                                // a C++ case went missing
  const auto result = harness::diff_reports(base, current, DiffOptions{});
  const auto lines = all_lines(result);
  EXPECT_NE(find(result, "new_failure", "GoldenParity.MatchesReference/linear_rope_f64"), nullptr) << lines;
  EXPECT_NE(find(result, "missing_test", "Device.CudaMatchesCpu"), nullptr) << lines;
  EXPECT_NE(find(result, "error_growth", "linear float32 vs float64"), nullptr) << lines;
  const auto* slow = find(result, "slowdown", "prefill linear float32 cpu batch=1 seq_len=512");
  ASSERT_NE(slow, nullptr) << lines;
  EXPECT_NE(slow->detail.find("-25%"), std::string::npos) << slow->detail;
  EXPECT_EQ(find(result, "slowdown", "prefill linear float32 cpu batch=1 seq_len=2048"), nullptr) << lines;
  EXPECT_NE(find(result, "missing_benchmark", "prefill linear float32 cpu batch=1 seq_len=8192"), nullptr) << lines;
  EXPECT_EQ(result.regressions(), 5) << lines;
}

TEST(ReportDiff, BenchRunNamesKeepThreadCountsApartAndAFailedCaseSaysWhy) {
  // bench/run names spell every field; the same case at 1 and 2 threads is two cases.
  const auto result_for = [](int threads, double tokens_per_s) {
    const auto name = "prefill/linear/float32/cpu/B:1/L:512/threads:" + std::to_string(threads);
    return json{{"name", name}, {"impl", "cpp"}, {"layer_type", "linear"}, {"dtype", "float32"}, {"device", "cpu"},
                {"batch", 1}, {"seq_len", 512}, {"threads", threads}, {"tokens_per_s", tokens_per_s}};
  };
  auto base = synthetic_report();
  base["benchmarks"]["results"] = {result_for(1, 2000), result_for(2, 3800)};
  auto current = base;
  current["benchmarks"]["results"][1]["tokens_per_s"] = 0.0;
  current["benchmarks"]["results"][1]["error"] = "CUDA out of memory";
  const auto result = harness::diff_reports(base, current, DiffOptions{});
  const auto* slow = find(result, "slowdown", "prefill/linear/float32/cpu/B:1/L:512/threads:2");
  ASSERT_NE(slow, nullptr) << all_lines(result);
  EXPECT_NE(slow->detail.find("failed to run: CUDA out of memory"), std::string::npos) << slow->detail;
  EXPECT_EQ(result.regressions(), 1) << all_lines(result);
}

TEST(ReportDiff, SectionsAbsentFromTheNewReportAreNotedNotFailed) {
  const auto base = synthetic_report();
  auto current = base;
  current.erase("benchmarks");
  const auto result = harness::diff_reports(base, current, DiffOptions{});
  EXPECT_NE(find(result, "section_missing", "benchmarks"), nullptr) << all_lines(result);
  EXPECT_EQ(result.regressions(), 0);
}

// The command itself, on files: what the nightly job and a person run.
class DiffCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = test_folder();
    base_ = folder_ + "/base.json";
    write_json(base_, synthetic_report());
  }
  std::string folder_, base_;
};

TEST_F(DiffCommand, IdenticalPairExitsZero) {
  const auto same = folder_ + "/same.json";
  write_json(same, synthetic_report());
  const auto run = run_harness("diff " + quote(base_) + " " + quote(same));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("no regressions against"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("REGRESSION"), std::string::npos) << run.output;
}

TEST_F(DiffCommand, EachPlantedRegressionIsPrintedAndExitsOne) {
  auto planted = synthetic_report();
  find_case(planted, "linear_rope_f32_b2_l75_k16")["comparisons"][0]["max_abs_err"] = 1.2e-6 * 30;  // grew x30
  auto& failing = find_case(planted, "linear_rope_f64_b2_l64_k16");                                // new failure
  failing["status"] = "FAIL";
  failing["comparisons"][0]["passed"] = false;
  planted["cases"].erase(1);                                                    // mlp_decode_f64_p6_t5_k1 missing
  planted["benchmarks"]["results"][2]["tokens_per_s"] = 39000 * 0.5;          // 50% slower
  const auto current = folder_ + "/new.json";
  write_json(current, planted);

  const auto run = run_harness("diff " + quote(base_) + " " + quote(current));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  for (const auto* expected :
       {"REGRESSION new_failure linear_rope_f64_b2_l64_k16: case PASS -> FAIL",
        "REGRESSION missing_case mlp_decode_f64_p6_t5_k1:",
        "REGRESSION error_growth linear_rope_f32_b2_l75_k16/output: max_abs_err 1.2e-06 -> 3.6e-05 (x30 > x10)",
        "REGRESSION slowdown prefill linear float32 cpu batch=1 seq_len=2048: C++ 39000 -> 19500 tokens/s (-50%",
        "4 regressions against"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << "missing: " << expected << "\n" << run.output;
  }

  // A larger stated factor and threshold accept the growth and the slowdown.
  const auto lenient = run_harness("diff --error-growth 50 --slowdown 0.6 " + quote(base_) + " " + quote(current));
  EXPECT_EQ(lenient.exit_code, 1) << lenient.output;
  EXPECT_NE(lenient.output.find("2 regressions against"), std::string::npos) << lenient.output;
}

TEST_F(DiffCommand, UnusableInputExitsTwoNamingTheFile) {
  const auto not_json = folder_ + "/not_json.json";
  write_text(not_json, "{\"schema\": \"ttt-harness-report\", ");
  auto wrong_type = synthetic_report();
  wrong_type["cases"][2]["comparisons"][0]["max_abs_err"] = "big";
  const auto wrong_type_path = folder_ + "/wrong_type.json";
  write_json(wrong_type_path, wrong_type);
  auto other_schema = synthetic_report();
  other_schema["schema"] = "something-else";
  const auto other_schema_path = folder_ + "/other_schema.json";
  write_json(other_schema_path, other_schema);
  auto future = synthetic_report();
  future["schema_version"] = 99;
  const auto future_path = folder_ + "/future.json";
  write_json(future_path, future);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {not_json, "not valid JSON"},
      {wrong_type_path, "/cases/2/comparisons/0/max_abs_err: expected a number, found string"},
      {other_schema_path, "/schema: expected \"ttt-harness-report\""},
      {future_path, "schema_version 99 is not one this tool reads"},
      {folder_ + "/absent.json", "cannot read the file"},
  };
  for (const auto& [path, why] : cases) {
    const auto run = run_harness("diff " + quote(base_) + " " + quote(path));
    EXPECT_EQ(run.exit_code, 2) << path << "\n" << run.output;
    EXPECT_NE(run.output.find(path + ": "), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(why), std::string::npos) << run.output;
  }
  const auto usage = run_harness("diff " + quote(base_));
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
}

}  // namespace
}  // namespace ttt::testing
