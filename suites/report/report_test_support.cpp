#include "report_test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ttt::testing {
namespace {

json comparison(const std::string& tensor, double err, double allowed, double scale, bool passed) {
  return {{"tensor", tensor},
          {"passed", passed},
          {"max_abs_err", err},
          {"max_rel_err", err / scale},
          {"scale", scale},
          {"allowed_abs_err", allowed},
          {"margin", err / allowed},
          {"worst_index", {0, 3, 7}},
          {"actual_at_worst", 0.5 + err},
          {"expected_at_worst", 0.5},
          {"reference_err", 0.0},
          {"diff_to_golden", 0.0},
          {"nonfinite", 0},
          {"tolerance", {{"rule", "relative"}, {"name", "test"}, {"text", "rel <= 1.0e-10"}}}};
}

json a_case(const std::string& id, const std::string& dtype, const std::string& status, json comparisons,
            const std::string& message = "") {
  return {{"file", "fixtures/" + id + ".h5"},
          {"case", id},
          {"layer_type", id.rfind("mlp", 0) == 0 ? "mlp" : "linear"},
          {"mode", "prefill"},
          {"dtype", dtype},
          {"status", status},
          {"message", message},
          {"seconds", 0.02},
          {"manifest", "verified"},
          {"decisive", comparisons.empty() ? json(nullptr) : comparisons[0]["tensor"]},
          {"comparisons", comparisons},
          {"config", {{"hidden_size", 64}, {"mini_batch_size", 8}}},
          {"provenance", {{"reference_commit", "cd831db10c8c9a0f6340f02da5613316a8a92b67"}, {"seed", 7}}}};
}

json series(const std::string& name, double scale, double bound, bool passed, bool with_nonfinite) {
  json positions = json::array(), errors = json::array();
  for (int p = 16; p <= 4096; p += 16) {
    positions.push_back(p);
    errors.push_back(scale * (1.0 + p / 1024.0));
  }
  if (with_nonfinite) errors[errors.size() - 3] = nullptr;
  return {{"name", name}, {"layer_type", "linear"}, {"dtype", "float32"}, {"device", "cpu"}, {"seq_len", 4096},
          {"mini_batch_size", 16}, {"positions", positions}, {"max_abs_err", errors}, {"bound", bound},
          {"passed", passed}};
}

json bench_result(const std::string& impl, int seq_len, double tokens_per_s) {
  return {{"name", "prefill"}, {"impl", impl}, {"layer_type", "linear"}, {"dtype", "float32"}, {"device", "cpu"},
          {"batch", 1}, {"seq_len", seq_len}, {"tokens_per_s", tokens_per_s}};
}

}  // namespace

json synthetic_report() {
  json cases = json::array();
  cases.push_back(a_case("linear_rope_f64_b2_l64_k16", "float64", "PASS",
                         {comparison("output", 1.1e-15, 3.8e-10, 3.8, true), comparison("grad/W1", 4e-15, 2e-9, 20, true)}));
  cases.push_back(a_case("mlp_decode_f64_p6_t5_k1", "float64", "PASS", {comparison("decode_output", 0.0, 3e-10, 3, true)}));
  cases.push_back(a_case("linear_rope_f32_b2_l75_k16", "float32", "PASS", {comparison("output", 1.2e-6, 2.6e-6, 4, true)}));
  cases.back()["notes"] = {"config keys the contract does not define, judged without them: \"pre_conv\"=true"};
  cases.push_back(a_case(kInjectedCaseId, "float64", "FAIL", {comparison("output", 1e-6, 3.8e-10, 3.8, false)},
                         kInjectedMessage));
  cases.push_back(a_case("mlp_rope_f32_cuda_only", "float32", "SKIP", json::array(),
                         "(CUDA requested but no CUDA device is available)"));
  json unusable = a_case("", "", "ERROR", json::array(), "fixtures/broken.h5: /outputs/output: shape [2, 3] differs");
  unusable["file"] = "fixtures/broken.h5";
  cases.push_back(unusable);

  json tests = json::array();
  tests.push_back({{"name", "GoldenParity.MatchesReference/linear_rope_f64"}, {"labels", {"golden"}}, {"status", "pass"},
                   {"seconds", 0.4}, {"message", ""}});
  tests.push_back({{"name", "LongSequence.Linear16k"}, {"labels", {"long"}}, {"status", "fail"}, {"seconds", 93.5},
                   {"message", "long_test.cpp:40: Failure\nExpected: (err) <= (bound), actual: 3e-4 vs 1e-4"}});
  tests.push_back({{"name", "Device.CudaMatchesCpu"}, {"labels", {"gpu", "device"}}, {"status", "skip"},
                   {"seconds", 0.01}, {"message", "no CUDA device"}});

  return {
      {"schema", "ttt-harness-report"},
      {"schema_version", 1},
      {"generated_utc", "2026-11-23T12:00:00Z"},
      {"command", {"ttt-harness", "check", "fixtures"}},
      {"environment",
       {{"git_commit", "0123456789abcdef0123456789abcdef01234567"}, {"git_dirty", false}, {"libtorch_version", "2.15.0"},
        {"cuda_available", false}, {"device", "cpu"}, {"device_name", "Test CPU"}, {"threads", 1}, {"host", "ci"},
        {"dtypes", {"float32", "float64"}}}},
      {"summary", {{"passed", 3}, {"failed", 1}, {"skipped", 1}, {"errors", 1}, {"total", 6}, {"exit_code", 2}}},
      {"cases", cases},
      {"suites",
       {{"source", "out/ctest-junit.xml"}, {"summary", {{"passed", 1}, {"failed", 1}, {"skipped", 1}, {"total", 3}}},
        {"tests", tests}}},
      {"long_sequence",
       {{"schema_version", 1},
        {"source", "out/long_sequence.json"},
        {"series",
         {series("linear float32 vs float64", 2e-6, 1e-4, true, false),
          series("mlp float32 vs float64", 4e-5, 1e-4, false, true)}}}},
      {"benchmarks",
       {{"schema_version", 1},
        {"source", "out/bench.json"},
        {"environment", {{"device_name", "Test CPU"}}},
        {"results",
         {bench_result("cpp", 512, 42000), bench_result("reference", 512, 21000), bench_result("cpp", 2048, 39000),
          bench_result("reference", 2048, 26000), bench_result("cpp", 8192, 30000)}},
        {"targets",
         {{{"what", "prefill linear L=2048 FLOP/s / matmul rate (1 thread)"}, {"value", 0.62}, {"value_best", 0.66},
           {"target", ">= 80%"}, {"met", false}, {"limit", "matmul 80.00GFLOP/s median (same run)"}},
          {{"what", "prefill linear L=2048 tokens/s 2 threads / 1 thread"}, {"value", nullptr}, {"target", ">= 1.7"},
           {"met", nullptr}, {"limit", "not measured: run bench/run --threads 1,2"}}}}}},
  };
}

json bench_result(const std::string& impl, int seq_len, double base_seconds, const std::vector<double>& jitter) {
  json seconds = json::array();
  for (double j : jitter) seconds.push_back(base_seconds * (1 + j));
  const double tokens = seq_len;
  return {{"name", "prefill/linear/float32/cpu/B:1/L:" + std::to_string(seq_len) + "/threads:1"},
          {"impl", impl}, {"layer_type", "linear"}, {"dtype", "float32"}, {"device", "cpu"}, {"batch", 1},
          {"seq_len", seq_len}, {"threads", 1}, {"tokens_per_iteration", tokens}, {"seconds_all", seconds},
          {"tokens_per_s", tokens / base_seconds}};
}

std::string test_folder() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto folder = fs::path(TTT_REPORT_TEST_OUT) / (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder.string();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_json(const std::string& path, const json& value) { write_text(path, value.dump(2)); }

CommandResult run_command(const std::string& command_line) {
  const auto run = run_command_line(command_line);
  CommandResult result;
  result.exit_code = run.exit_code;
  for (const auto& line : run.lines) result.output += line + "\n";
  result.output += run.stderr_text;
  return result;
}

CommandResult run_harness(const std::string& arguments) {
  return run_command(quote(TTT_HARNESS_EXE) + " " + arguments);
}

}  // namespace ttt::testing
