// One rule for the whole command line (docs/CLI.md, "One rule for the command line"), on the built binary:
// an unknown subcommand or option names the word and lists the valid ones; a selection that
// selects nothing is an error (exit 2) unless --allow-empty says that is fine; every numeric
// option is range-checked and the message names it; an option that does nothing without
// another is refused; `report --baseline` exits as `check --baseline` does for the same diff.
// Each of these once went through: a typo in a CI filter went green having run nothing.
#include "ttt_cli_paths.h"
#include "ttt_paths.h"

#include "suites/support/cli_run.h"
#include "suites/support/temp_dir.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ttt::testing::CliRun;
using ttt::testing::quote;
using ttt::testing::TempDir;

const std::string kFixtures = TTT_FIXTURES_DIR;
const std::string kGood = kFixtures + "/linear_rope_f64_b1_l5_k16.h5";
const std::string kOtherGood = kFixtures + "/mlp_rope_f64_b2_l13_k1.h5";

CliRun harness(const std::vector<std::string>& args) {
  std::string command = quote(TTT_HARNESS_EXECUTABLE);
  for (const auto& a : args) command += " " + quote(a);
  return ttt::testing::run_command_line(command);
}

// Usage errors go to stderr, exit 2, and say every one of `words`.
void expect_usage_error(const CliRun& run, const std::vector<std::string>& words) {
  EXPECT_EQ(run.exit_code, 2) << run.output();
  for (const auto& w : words) {
    EXPECT_NE(run.stderr_text.find(w), std::string::npos) << "the error does not say \"" << w << "\"\n" << run.output();
  }
}

TEST(CommandLine, AnUnknownSubcommandIsNamedWithTheValidOnes) {
  expect_usage_error(harness({"chek", "fixtures"}),
                     {"unknown subcommand 'chek'", "check", "report", "diff", "history", "conform", "judge", "matrix"});
}

TEST(CommandLine, AnUnknownOptionIsNamedWithTheValidOnes) {
  expect_usage_error(harness({"check", kGood, "--filtr", "x"}),
                     {"unknown option --filtr", "did you mean --filter?", "--isolate", "--threads", "ttt-harness check --help"});
  expect_usage_error(harness({"conform", "--port", "cpp", "--exclud", "x"}),
                     {"unknown option --exclud", "did you mean --exclude?", "--expectations"});
  expect_usage_error(harness({"--verbose", "check", kGood}), {"unknown option --verbose before the subcommand"});
}

TEST(CommandLine, ABadRegularExpressionNamesItsOption) {
  expect_usage_error(harness({"check", kGood, "--filter", "("}), {"--filter", "regular expression"});
  expect_usage_error(harness({"conform", "--port", "cpp", "--exclude", "[a-"}), {"--exclude", "regular expression"});
}

TEST(CommandLine, AFilterThatSelectsNothingIsAnErrorUnlessAllowed) {
  const auto none = harness({"check", kGood, "--filter", "zzz"});
  EXPECT_EQ(none.exit_code, 2) << none.output();
  EXPECT_EQ(none.starting_with("ERROR --filter: ").size(), 1u) << none.output();
  EXPECT_NE(none.output().find("selected no case"), std::string::npos) << none.output();
  EXPECT_NE(none.output().find("--allow-empty"), std::string::npos) << none.output();
  const auto allowed = harness({"check", kGood, "--filter", "zzz", "--allow-empty"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output();
  EXPECT_EQ(allowed.last(), "0 passed, 0 failed, 0 skipped") << allowed.output();

  // A shard that gets no file is the same: exit 2 unless allowed.
  const auto empty_shard = harness({"check", kGood, "--shard", "2/2"});
  EXPECT_EQ(empty_shard.exit_code, 2) << empty_shard.output();
  EXPECT_EQ(empty_shard.starting_with("ERROR --shard: ").size(), 1u) << empty_shard.output();
  EXPECT_EQ(harness({"check", kGood, "--shard", "2/2", "--allow-empty"}).exit_code, 0);

  // conform refused it already; --allow-empty is the same word there.
  const auto conform_none = harness({"conform", "--port", "cpp", kGood, "--filter", "zzz"});
  EXPECT_EQ(conform_none.exit_code, 2) << conform_none.output();
  const auto conform_allowed = harness({"conform", "--port", "cpp", kGood, "--filter", "zzz", "--allow-empty"});
  EXPECT_EQ(conform_allowed.exit_code, 0) << conform_allowed.output();
}

TEST(CommandLine, EveryNumericOptionIsRangeChecked) {
  const std::vector<std::vector<std::string>> bad = {
      {"check", kGood, "--threads", "-3"},           {"check", kGood, "--threads", "0"},
      {"check", kGood, "--threads", "many"},         {"check", kGood, "--read-timeout", "0"},
      {"check", kGood, "--isolate", "--jobs", "0"},  {"check", kGood, "--isolate", "--case-timeout", "-1"},
      {"conform", "--port", "cpp", "--threads", "0"}, {"conform", "--port", "cpp", "--timeout", "0"},
      {"diff", kGood, kGood, "--error-growth", "0.5"}, {"diff", kGood, kGood, "--slowdown", "2"},
      {"history", kFixtures, "--error-factor", "0"}, {"history", kFixtures, "--speed-change", "-1"},
  };
  for (const auto& args : bad) {
    const auto run = harness(args);
    const auto& option = args[args.size() - 2];
    expect_usage_error(run, {option});
    EXPECT_EQ(run.lines.size(), 0u) << "nothing may run: " << run.output();
  }
}

TEST(CommandLine, AnOptionWithoutEffectIsRefused) {
  expect_usage_error(harness({"check", kGood, "--jobs", "4"}), {"--jobs", "--isolate"});
  expect_usage_error(harness({"check", kGood, "--case-timeout", "60"}), {"--case-timeout", "--isolate"});
  expect_usage_error(harness({"check", kGood, "--error-growth", "3"}), {"--error-growth", "--baseline"});
  expect_usage_error(harness({"check", kGood, "--slowdown", "0.2"}), {"--slowdown", "--baseline"});
  expect_usage_error(harness({"report", "--from", "r.json", "--html", "r.html", "--error-growth", "3"}),
                     {"--error-growth", "--baseline"});
  expect_usage_error(harness({"conform", "--port", "cpp", "--python", "/usr/bin/python3"}), {"--python", "python:"});
  expect_usage_error(harness({"check", kGood, "--allow-empty"}), {"--allow-empty", "--filter or --shard"});
}

// The same diff: a case the baseline ran is gone. check --baseline exits 1 (the cases
// themselves passed); report --baseline on check's report must say so with the same exit.
TEST(CommandLine, ReportBaselineExitsAsCheckBaseline) {
  TempDir dir("baseline_exit");
  const auto base = (dir.path() / "base.json").string();
  const auto current = (dir.path() / "current.json").string();
  ASSERT_EQ(harness({"check", kGood, kOtherGood, "--json", base}).exit_code, 0);
  const auto checked = harness({"check", kGood, "--json", current, "--baseline", base});
  EXPECT_EQ(checked.exit_code, 1) << checked.output();
  const auto reported = harness({"report", "--from", current, "--baseline", base, "--html", (dir.path() / "r.html").string()});
  EXPECT_EQ(reported.exit_code, checked.exit_code) << reported.output();
  // The regression lines are the same words in both.
  int regression_lines = 0;
  for (const auto& line : checked.lines) {
    if (line.rfind("REGRESSION ", 0) == 0) {
      ++regression_lines;
      EXPECT_NE(reported.output().find(line), std::string::npos) << "report does not print: " << line;
    }
  }
  EXPECT_GE(regression_lines, 1) << checked.output();
  const auto no_regression = harness({"report", "--from", current, "--baseline", current, "--html", (dir.path() / "s.html").string()});
  EXPECT_EQ(no_regression.exit_code, 0) << no_regression.output();
}

TEST(CommandLine, TheManifestGivenAsAFixtureIsExplained) {
  const auto run = harness({"check", kFixtures + "/MANIFEST.json"});
  EXPECT_EQ(run.exit_code, 2) << run.output();
  const auto errors = run.starting_with("ERROR " + kFixtures + "/MANIFEST.json: ");
  ASSERT_EQ(errors.size(), 1u) << run.output();
  EXPECT_NE(errors[0].find("the folder's manifest, not a fixture"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("check " + kFixtures), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("not listed in"), std::string::npos) << errors[0];
}

}  // namespace
