// The `ttt-harness check` contract, end to end, on the built binary (docs/CLI.md):
// one line per case `PASS|FAIL|SKIP <case> ...` or `ERROR <file>: <reason>`, then
// `N passed, N failed, N skipped`; exit 0 when all passed, 1 when a case failed, 2 when an
// input was unusable (which wins); every file verified against its folder's MANIFEST.json
// unless --no-manifest; --json writes a report whose summary matches the printed line.
//
// Each test is its own process under ctest, so the one full run over fixtures/ (~30 s on one
// thread) is done once, by CommittedFixtures.AllPassAndJsonReportAgrees; the others use
// single files or the small negative folder.
#include "ttt_cli_paths.h"
#include "ttt_paths.h"

#include "suites/support/cli_run.h"
#include "suites/support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kFixtures = TTT_FIXTURES_DIR;
const std::string kNegative = TTT_SOURCE_DIR "/suites/golden/negative";
// A small good case (L < K, single row) and the negative copy of another good case whose
// output golden was nudged by one part in a million.
const std::string kGoodCase = "linear_rope_f64_b1_l5_k16";
const std::string kNudgedCase = "neg_nudged_linear_rope_f64_b2_l75_k16";
const std::string kNudgedOriginal = "linear_rope_f64_b2_l75_k16";

using Run = ttt::testing::CliRun;
using ttt::testing::read_text;

using ttt::testing::TempDir;

// Runs `ttt-harness check ARGS...`; stdout line by line, stderr kept for diagnostics.
Run check(const std::vector<std::string>& args) {
  return ttt::testing::run_command_line(ttt::testing::check_command_line(TTT_HARNESS_EXECUTABLE, args));
}

// The stems of the .h5 files below `folder`, as check lists them (sub-folders searched).
std::vector<std::string> h5_stems(const std::string& folder) {
  std::vector<std::string> stems;
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    if (e.path().extension() == ".h5") stems.push_back(e.path().stem().string());
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

std::string summary_line(size_t passed, size_t failed, size_t skipped) {
  return std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " + std::to_string(skipped) +
         " skipped";
}

// The case id of a `PASS|FAIL|SKIP <case> ...` line.
std::string case_of(const std::string& line) {
  std::istringstream in(line);
  std::string verdict, id;
  in >> verdict >> id;
  return id;
}

// Every line is a verdict, the unusable-file count, or the final summary (which is last).
void expect_only_contract_lines(const Run& run) {
  static const std::regex verdict(R"((PASS|FAIL|SKIP) \S+ .*)");
  static const std::regex error(R"(ERROR .+: .+)");
  static const std::regex unusable(R"(\d+ unusable file\(s\) \(ERROR\))");
  static const std::regex summary(R"(\d+ passed, \d+ failed, \d+ skipped)");
  ASSERT_FALSE(run.lines.empty()) << run.output();
  EXPECT_TRUE(std::regex_match(run.last(), summary)) << run.output();
  for (size_t i = 0; i + 1 < run.lines.size(); ++i) {
    const auto& l = run.lines[i];
    EXPECT_TRUE(std::regex_match(l, verdict) || std::regex_match(l, error) || std::regex_match(l, unusable))
        << "not a contract line: " << l << "\n" << run.output();
  }
}

// The report's summary agrees with the printed line and the exit status.
void expect_json_agrees(const fs::path& json_path, const Run& run) {
  ASSERT_TRUE(fs::exists(json_path)) << run.output();
  nlohmann::json report;
  ASSERT_NO_THROW(report = nlohmann::json::parse(read_text(json_path))) << json_path;
  const auto& s = report.at("summary");
  EXPECT_EQ(summary_line(s.at("passed").get<size_t>(), s.at("failed").get<size_t>(), s.at("skipped").get<size_t>()),
            run.last());
  EXPECT_EQ(s.at("exit_code").get<int>(), run.exit_code);
  EXPECT_EQ(s.at("errors").get<size_t>(), run.starting_with("ERROR ").size());
  const auto& cases = report.at("cases");
  ASSERT_TRUE(cases.is_array());
  EXPECT_EQ(cases.size(), s.at("total").get<size_t>());
  // Every case of the report is a line that was printed, with the same verdict.
  std::multiset<std::string> printed(run.lines.begin(), run.lines.end());
  for (const auto& c : cases) {
    const auto line = c.at("line").get<std::string>();
    EXPECT_EQ(printed.count(line), 1u) << "report line not printed: " << line;
    EXPECT_EQ(line.rfind(c.at("status").get<std::string>() + " ", 0), 0u) << line;
  }
}

TEST(CommittedFixtures, AllPassAndJsonReportAgrees) {
  TempDir dir("all");
  const auto json_path = dir.path() / "report.json";
  const auto run = check({kFixtures, "--json", json_path.string()});
  const auto stems = h5_stems(kFixtures);
  ASSERT_GE(stems.size(), 24u);
  EXPECT_EQ(run.exit_code, 0) << run.output();
  expect_only_contract_lines(run);
  const auto passes = run.starting_with("PASS ");
  EXPECT_EQ(passes.size(), stems.size()) << run.output();
  std::vector<std::string> ids;
  for (const auto& l : passes) ids.push_back(case_of(l));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, stems) << "one PASS line per fixture, named by its case id";
  EXPECT_EQ(run.last(), summary_line(stems.size(), 0, 0)) << run.output();
  EXPECT_TRUE(run.starting_with("FAIL ").empty() && run.starting_with("ERROR ").empty() &&
              run.starting_with("SKIP ").empty())
      << run.output();
  expect_json_agrees(json_path, run);
}

TEST(NegativeFixtures, EveryFileFailsAndTheRunExits1) {
  const auto run = check({kNegative});
  const auto stems = h5_stems(kNegative);
  ASSERT_GE(stems.size(), 8u);
  EXPECT_EQ(run.exit_code, 1) << run.output();
  expect_only_contract_lines(run);
  const auto fails = run.starting_with("FAIL ");
  std::vector<std::string> ids;
  for (const auto& l : fails) ids.push_back(case_of(l));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, stems) << "one FAIL line per negative file\n" << run.output();
  EXPECT_EQ(run.last(), summary_line(0, stems.size(), 0)) << run.output();
  for (const auto& l : fails) {
    // A wrong stored RoPE table fails on the table, in float32 ulps; every other breakage on a
    // golden tensor at the float64 bound.
    const bool table = case_of(l).rfind("neg_ropetable_", 0) == 0;
    EXPECT_NE(l.find(table ? " rope_" : "(rel <= 1.0e-10)"), std::string::npos) << l;
    if (table) {
      EXPECT_NE(l.find("float32 ulps"), std::string::npos) << l;
    }
  }
}

TEST(UnusableInput, MissingPathIsAnErrorAndExits2) {
  const std::string missing = TTT_BINARY_DIR "/no/such/fixture.h5";
  const auto run = check({missing});
  EXPECT_EQ(run.exit_code, 2) << run.output();
  expect_only_contract_lines(run);
  const auto errors = run.starting_with("ERROR " + missing + ": ");
  EXPECT_EQ(errors.size(), 1u) << run.output();
  EXPECT_EQ(run.last(), summary_line(0, 0, 0)) << run.output();
}

// --device cuda where CUDA cannot run is an unusable input: one ERROR line, no case run, exit
// 2 (it once printed a SKIP line per case and exited 0, so a nightly with a broken driver went
// green). On a machine with a working GPU the run passes instead, and this test skips.
TEST(UnusableInput, CudaWithoutACudaDeviceExits2) {
  const auto run = check({kFixtures + "/" + kGoodCase + ".h5", "--device", "cuda"});
  if (run.exit_code == 0 && !run.starting_with("PASS ").empty()) GTEST_SKIP() << "a CUDA device is usable here";
  EXPECT_EQ(run.exit_code, 2) << run.output();
  expect_only_contract_lines(run);
  const auto errors = run.starting_with("ERROR --device cuda: ");
  ASSERT_EQ(errors.size(), 1u) << run.output();
  EXPECT_NE(errors[0].find("CUDA"), std::string::npos) << errors[0];
  EXPECT_TRUE(run.starting_with("SKIP ").empty()) << run.output();
  EXPECT_TRUE(run.starting_with("PASS ").empty()) << run.output();
  EXPECT_EQ(run.last(), summary_line(0, 0, 0)) << run.output();
}

TEST(UnusableInput, MixedRunExits2AndStillPrintsEveryVerdict) {
  TempDir dir("mixed");
  const auto json_path = dir.path() / "report.json";
  const std::string missing = TTT_BINARY_DIR "/no/such/folder";
  const auto run = check({kFixtures + "/" + kGoodCase + ".h5", kNegative, missing, "--json", json_path.string()});
  const auto negatives = h5_stems(kNegative);
  EXPECT_EQ(run.exit_code, 2) << "an unusable input wins over a failed case\n" << run.output();
  expect_only_contract_lines(run);
  EXPECT_EQ(run.starting_with("PASS " + kGoodCase + " ").size(), 1u) << run.output();
  EXPECT_EQ(run.starting_with("FAIL ").size(), negatives.size()) << run.output();
  for (const auto& id : negatives) EXPECT_EQ(run.starting_with("FAIL " + id + " ").size(), 1u) << id;
  EXPECT_EQ(run.starting_with("ERROR " + missing + ": ").size(), 1u) << run.output();
  EXPECT_EQ(run.last(), summary_line(1, negatives.size(), 0)) << run.output();
  expect_json_agrees(json_path, run);
}

// --filter: only the matching cases are run and counted, whatever the folder holds.
TEST(Filter, OnlyMatchingCasesAreRunAndCounted) {
  const auto run = check({kNegative, "--filter", "^neg_nudged_"});
  EXPECT_EQ(run.exit_code, 1) << run.output();
  expect_only_contract_lines(run);
  EXPECT_EQ(run.starting_with("FAIL ").size(), 1u) << run.output();
  EXPECT_EQ(run.starting_with("FAIL " + kNudgedCase + " output ").size(), 1u) << run.output();
  EXPECT_EQ(run.last(), summary_line(0, 1, 0)) << run.output();

  // Selecting nothing is an error unless asked for (suites/cli/command_line_rules_test.cpp).
  const auto none = check({kNegative, "--filter", "^no_case_matches_this$"});
  EXPECT_EQ(none.exit_code, 2) << none.output();
  expect_only_contract_lines(none);
  EXPECT_EQ(none.starting_with("ERROR --filter: ").size(), 1u) << none.output();
  const auto allowed = check({kNegative, "--filter", "^no_case_matches_this$", "--allow-empty"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output();
  EXPECT_EQ(allowed.last(), summary_line(0, 0, 0)) << allowed.output();
}

// A good fixture's bytes changed behind the manifest's back: the nudged golden, written under
// the original's name into a folder that holds a copy of fixtures/MANIFEST.json.
TEST(Manifest, ChangedBytesAreAnErrorUnlessNoManifestThenTheCaseFails) {
  TempDir dir("changed");
  fs::copy_file(kFixtures + "/MANIFEST.json", dir.path() / "MANIFEST.json");
  const auto changed = (dir.path() / (kNudgedOriginal + ".h5")).string();
  fs::copy_file(kNegative + "/" + kNudgedCase + ".h5", changed);
  fs::copy_file(kFixtures + "/" + kGoodCase + ".h5", dir.path() / (kGoodCase + ".h5"));  // untouched

  const auto verified = check({dir.path().string()});
  EXPECT_EQ(verified.exit_code, 2) << verified.output();
  expect_only_contract_lines(verified);
  const auto errors = verified.starting_with("ERROR " + changed + ": ");
  ASSERT_EQ(errors.size(), 1u) << verified.output();
  EXPECT_NE(errors[0].find("sha256"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("--no-manifest"), std::string::npos) << errors[0];
  EXPECT_EQ(verified.starting_with("PASS " + kGoodCase + " ").size(), 1u) << "the untouched copy still verifies\n"
                                                                           << verified.output();
  EXPECT_EQ(verified.last(), summary_line(1, 0, 0)) << verified.output();

  const auto unchecked = check({dir.path().string(), "--no-manifest"});
  EXPECT_EQ(unchecked.exit_code, 1) << unchecked.output();
  expect_only_contract_lines(unchecked);
  const auto fails = unchecked.starting_with("FAIL " + kNudgedCase + " output ");
  EXPECT_EQ(fails.size(), 1u) << unchecked.output();
  EXPECT_TRUE(unchecked.starting_with("ERROR ").empty()) << unchecked.output();
  EXPECT_EQ(unchecked.last(), summary_line(1, 1, 0)) << unchecked.output();
}

TEST(Manifest, FileNotListedIsAnError) {
  TempDir dir("unlisted");
  fs::copy_file(kFixtures + "/MANIFEST.json", dir.path() / "MANIFEST.json");
  const auto extra = (dir.path() / "extra_copy.h5").string();
  fs::copy_file(kFixtures + "/" + kGoodCase + ".h5", extra);  // good bytes, unlisted name

  const auto verified = check({extra});
  EXPECT_EQ(verified.exit_code, 2) << verified.output();
  expect_only_contract_lines(verified);
  const auto errors = verified.starting_with("ERROR " + extra + ": ");
  ASSERT_EQ(errors.size(), 1u) << verified.output();
  EXPECT_NE(errors[0].find("not listed"), std::string::npos) << errors[0];
  EXPECT_TRUE(verified.starting_with("PASS ").empty()) << verified.output();

  const auto unchecked = check({extra, "--no-manifest"});
  EXPECT_EQ(unchecked.exit_code, 0) << unchecked.output();
  EXPECT_EQ(unchecked.starting_with("PASS " + kGoodCase + " ").size(), 1u) << unchecked.output();
  EXPECT_EQ(unchecked.last(), summary_line(1, 0, 0)) << unchecked.output();
}

TEST(JsonReport, WrittenForAFailingRunAndParseable) {
  TempDir dir("json");
  const auto json_path = dir.path() / "nested" / "report.json";
  fs::create_directories(json_path.parent_path());
  const auto run = check({kNegative + "/" + kNudgedCase + ".h5", "--json", json_path.string()});
  EXPECT_EQ(run.exit_code, 1) << run.output();
  expect_json_agrees(json_path, run);
  const auto report = nlohmann::json::parse(read_text(json_path));
  ASSERT_EQ(report.at("cases").size(), 1u);
  const auto& c = report.at("cases")[0];
  EXPECT_EQ(c.at("case"), kNudgedCase);
  EXPECT_EQ(c.at("status"), "FAIL");
  EXPECT_EQ(c.at("decisive"), "output");
}

// --isolate: each fixture in its own process. The tool built with a crashing layer
// (crashing_layer_harness.cpp: every TTT-MLP case aborts) shows what it is for: without it
// the crash ends the run with no report; with it the crash is one ERROR line naming the
// signal, the cases after it still run, and the report is written.
const std::string kLinearA = kFixtures + "/linear_rope_f64_b1_l5_k16.h5";
const std::string kMlp = kFixtures + "/mlp_rope_f64_b2_l13_k1.h5";
const std::string kLinearB = kFixtures + "/linear_rope_f64_b2_l21_k1.h5";

Run crashing_check(const std::vector<std::string>& args, const std::string& env = "") {
  return ttt::testing::run_command_line(
      ttt::testing::check_command_line(TTT_CRASHING_LAYER_HARNESS_EXECUTABLE, args), env);
}

TEST(IsolatedCheck, WithoutIsolationTheCrashingLayerEndsTheRunWithNoReport) {
  TempDir dir("crash");
  const auto json_path = dir.path() / "report.json";
  const auto run = crashing_check({kLinearA, kMlp, kLinearB, "--json", json_path.string()});
  EXPECT_EQ(run.exit_code, 128 + SIGABRT) << run.output();  // the mutant bites
  EXPECT_EQ(run.starting_with("PASS linear_rope_f64_b1_l5_k16 ").size(), 1u) << run.output();
  EXPECT_TRUE(run.starting_with("PASS linear_rope_f64_b2_l21_k1 ").empty()) << run.output();
  EXPECT_FALSE(fs::exists(json_path));
}

class IsolatedCheckJobs : public ::testing::TestWithParam<int> {};

// With --jobs N the children run side by side and the lines still come in the files' order.
TEST_P(IsolatedCheckJobs, ACrashIsAnErrorLineAndTheOtherCasesStillRun) {
  TempDir dir("isolated");
  const auto json_path = dir.path() / "report.json";
  const auto run = crashing_check(
      {kLinearA, kMlp, kLinearB, "--isolate", "--jobs", std::to_string(GetParam()), "--json", json_path.string()});
  EXPECT_EQ(run.exit_code, 2) << run.output();
  expect_only_contract_lines(run);
  ASSERT_EQ(run.lines.size(), 5u) << run.output();
  EXPECT_EQ(run.lines[0].rfind("PASS linear_rope_f64_b1_l5_k16 ", 0), 0u) << run.output();
  EXPECT_EQ(run.lines[1].rfind("ERROR " + kMlp + ": the layer crashed running this case in its own process (signal " +
                                   std::to_string(SIGABRT) + ", ",
                               0),
            0u)
      << run.output();
  EXPECT_EQ(run.lines[2].rfind("PASS linear_rope_f64_b2_l21_k1 ", 0), 0u) << run.output();
  EXPECT_EQ(run.last(), summary_line(2, 0, 0)) << run.output();
  expect_json_agrees(json_path, run);
  const auto report = nlohmann::json::parse(read_text(json_path));
  EXPECT_EQ(report.at("cases").at(0).at("manifest"), "verified") << "the parent verified the manifest";
}

INSTANTIATE_TEST_SUITE_P(IsolatedCheck, IsolatedCheckJobs, ::testing::Values(1, 3));

TEST(IsolatedCheck, AHangingCaseIsKilledAtTheCaseTimeout) {
  const auto run = crashing_check({kLinearA, "--isolate", "--case-timeout", "2"}, "TTT_TEST_LINEAR_LAYER_HANGS=1 ");
  EXPECT_EQ(run.exit_code, 2) << run.output();
  EXPECT_EQ(run.starting_with("ERROR " + kLinearA + ": the case did not finish within 2 s in its own process").size(), 1u)
      << run.output();
  EXPECT_EQ(run.last(), summary_line(0, 0, 0)) << run.output();
}

// The production tool gives the same verdict lines isolated or not (failing files of three
// kinds and a missing path), and --filter reaches the child.
TEST(IsolatedCheck, SameVerdictsAsInProcess) {
  const std::vector<std::string> inputs = {kNegative + "/" + kNudgedCase + ".h5",
                                           kNegative + "/neg_ropetable_rolled_mlp_decode_f64_p37_t12_k16.h5",
                                           kNegative + "/neg_vrot_mlp_f64_b2_l50_k8_pos1037.h5",
                                           kNegative + "/no_such_file.h5"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = inputs;
    args.insert(args.end(), extra.begin(), extra.end());
    return check(args);
  };
  const auto in_process = with({});
  const auto isolated = with({"--isolate", "--jobs", "2"});
  EXPECT_EQ(in_process.exit_code, 2) << in_process.output();
  EXPECT_EQ(isolated.exit_code, in_process.exit_code) << isolated.output();
  EXPECT_EQ(isolated.lines, in_process.lines) << isolated.output() << "\n---\n" << in_process.output();
  const auto filtered = with({"--isolate", "--filter", "^neg_nudged_"});
  EXPECT_EQ(filtered.starting_with("FAIL ").size(), 1u) << filtered.output();
  EXPECT_EQ(filtered.starting_with("FAIL " + kNudgedCase + " output ").size(), 1u) << filtered.output();
  EXPECT_EQ(filtered.last(), summary_line(0, 1, 0)) << filtered.output();
}

// --shard i/n and report --merge: three shards of a run (failing files and a missing path,
// which only shard 1 reports) merge into the unsharded run's report: the same cases (sorted
// by file) with the same lines, and the same summary.
Run harness_command(const std::vector<std::string>& args) {
  std::string command = ttt::testing::quote(TTT_HARNESS_EXECUTABLE);
  for (const auto& a : args) command += " " + ttt::testing::quote(a);
  return ttt::testing::run_command_line(command);
}

TEST(Shards, ThreeShardsMergeIntoTheUnshardedReport) {
  TempDir dir("shards");
  const auto missing = (dir.path() / "absent.h5").string();
  const auto whole = dir.path() / "whole.json";
  check({kNegative, missing, "--json", whole.string()});
  std::vector<std::string> merge = {"report", "--merge"};
  std::size_t shard_cases = 0;
  for (int i = 1; i <= 3; ++i) {
    const auto part = dir.path() / ("shard" + std::to_string(i) + ".json");
    const auto run = check({kNegative, missing, "--shard", std::to_string(i) + "/3", "--json", part.string()});
    expect_json_agrees(part, run);
    EXPECT_EQ(run.starting_with("ERROR " + missing + ": ").size(), i == 1 ? 1u : 0u) << run.output();
    shard_cases += nlohmann::json::parse(read_text(part)).at("cases").size();
    merge.push_back(part.string());
  }
  const auto merged_path = dir.path() / "merged.json";
  merge.insert(merge.end(), {"--json", merged_path.string(), "--html", (dir.path() / "merged.html").string()});
  const auto merged_run = harness_command(merge);
  ASSERT_EQ(merged_run.exit_code, 0) << merged_run.output();
  auto a = nlohmann::json::parse(read_text(whole));
  const auto m = nlohmann::json::parse(read_text(merged_path));
  // The merged cases are sorted by file; the unsharded run printed the missing path first.
  std::stable_sort(a["cases"].begin(), a["cases"].end(),
                   [](const auto& x, const auto& y) { return x.at("file") < y.at("file"); });
  EXPECT_EQ(shard_cases, a.at("cases").size());
  EXPECT_EQ(m.at("summary"), a.at("summary"));
  ASSERT_EQ(m.at("cases").size(), a.at("cases").size());
  for (std::size_t i = 0; i < a.at("cases").size(); ++i) {
    EXPECT_EQ(m["cases"][i].at("file"), a["cases"][i].at("file"));
    EXPECT_EQ(m["cases"][i].at("status"), a["cases"][i].at("status"));
    EXPECT_EQ(m["cases"][i].at("line"), a["cases"][i].at("line"));
  }
  EXPECT_EQ(m.at("merged_from").size(), 3u);
}

TEST(Shards, AnIncompleteOrMixedSetOfShardsIsRefused) {
  TempDir dir("shards_bad");
  auto part = [&](const std::string& name, const std::vector<std::string>& extra) {
    const auto path = (dir.path() / name).string();
    auto args = std::vector<std::string>{kNegative + "/" + kNudgedCase + ".h5", "--json", path};
    args.insert(args.end(), extra.begin(), extra.end());
    check(args);
    return path;
  };
  const auto one = part("one.json", {"--shard", "1/2"});
  const auto again = part("again.json", {"--shard", "1/2"});
  const auto plain = part("plain.json", {});
  const auto out = (dir.path() / "m.json").string();
  const auto missing = harness_command({"report", "--merge", one, "--json", out});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.stderr_text.find("shard 2/2 is missing"), std::string::npos) << missing.stderr_text;
  // The merged report is still written, red, the missing shard named as an ERROR case of its own:
  // a shard whose job died must never leave a smaller green report.
  ASSERT_TRUE(fs::exists(out)) << missing.stderr_text;
  {
    const auto merged = nlohmann::json::parse(read_text(out));
    EXPECT_EQ(merged.at("cases").at(0).at("file"), "shard 2/2") << merged.dump(1);
    EXPECT_EQ(merged.at("cases").at(0).at("status"), "ERROR");
    EXPECT_EQ(merged.at("summary").at("exit_code"), 2);
    EXPECT_EQ(merged.at("missing_shards").at("indices"), nlohmann::json::array({2}));
  }
  fs::remove(out);
  const auto fewer = harness_command({"report", "--merge", one, "--shards", "3", "--json", out});
  EXPECT_EQ(fewer.exit_code, 2);
  EXPECT_NE(fewer.stderr_text.find("a shard of 2, but the run had 3 (--shards)"), std::string::npos) << fewer.stderr_text;
  const auto twice = harness_command({"report", "--merge", one, again, "--json", out});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.stderr_text.find(again + ": shard 1/2 is also " + one), std::string::npos) << twice.stderr_text;
  const auto mixed = harness_command({"report", "--merge", one, plain, "--json", out});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.stderr_text.find("were not made with --shard"), std::string::npos) << mixed.stderr_text;
  for (const std::string bad : {"0/3", "4/3", "2", "a/b", "1/0"}) {
    const auto run = check({kNegative, "--shard", bad});
    EXPECT_EQ(run.exit_code, 2) << bad;
    EXPECT_NE(run.stderr_text.find("--shard '" + bad + "'"), std::string::npos) << run.stderr_text;
  }
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
