// Negative golden fixtures (suites/golden/negative/, written by reference/negative.py): each
// follows the contract exactly but its golden comes from a deliberately broken reference
// (rope without the position modulo, V rotated, rope ignored, output nudged by 1e-6), or its
// stored RoPE table is not the reference's (another theta, rolled by one residue). The
// harness must judge every one FAIL -- not ERROR (the file is usable), not PASS -- and the
// failing comparison must name the tensor and show an error far above the float64 bound.
#include "suites/support/test_support.h"
#include "ttt_paths.h"

#include <harness/runner/runner.h>
#include <harness/fixture/fixture.h>
#include <harness/fixture/manifest.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace ttt::testing {
namespace {

const std::string kNegativeDir = TTT_SOURCE_DIR "/suites/golden/negative";

// The float64 golden bound the harness applies (harness/runner/tolerance.cpp).
constexpr double kFloat64Bound = 1e-10;
// "Well above": the smallest breakage (one part in a million) is 1e4 times the bound.
constexpr double kWellAbove = 1e3;

std::vector<std::string> negative_fixtures() {
  std::vector<std::string> files;
  if (!fs::is_directory(kNegativeDir)) return files;
  for (const auto& entry : fs::directory_iterator(kNegativeDir)) {
    if (entry.path().extension() == ".h5") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return test_name_for(info.param); }

bool is_output(const std::string& tensor) {
  return tensor == "output" || tensor == "prefill_output" || tensor == "decode_output";
}

class NegativeFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(NegativeFixture, IsJudgedFail) {
  const auto fixture = harness::load_fixture(GetParam());  // usable: loads and validates
  EXPECT_EQ(fixture.case_id.rfind("neg_", 0), 0u) << "negative case ids start with neg_";
  EXPECT_EQ(fixture.dtype, "float64");

  const auto result = harness::run_fixture(fixture);
  std::cout << result.line() << std::endl;  // the verdict, printed on success too
  ASSERT_EQ(result.status, harness::Status::Fail) << result.line();

  const auto* decisive = result.decisive();
  ASSERT_NE(decisive, nullptr) << result.line();
  EXPECT_FALSE(decisive->passed);
  if (fixture.case_id.rfind("neg_ropetable_", 0) == 0) {
    // Right outputs, wrong stored RoPE table: the table comparison decides.
    EXPECT_EQ(decisive->tensor.rfind("rope_", 0), 0u) << "the decisive comparison names the table: " << decisive->tensor;
    EXPECT_EQ(decisive->tolerance.rule, harness::Tolerance::Rule::Absolute);
    EXPECT_GT(decisive->margin(), kWellAbove) << decisive->summary();
  } else {
    EXPECT_TRUE(is_output(decisive->tensor)) << "the decisive comparison names an output: " << decisive->tensor;
    EXPECT_EQ(decisive->tolerance.rule, harness::Tolerance::Rule::Relative);
    EXPECT_LE(decisive->tolerance.bound, kFloat64Bound) << decisive->tolerance.describe();
    EXPECT_GT(decisive->max_rel_err, kWellAbove * decisive->tolerance.bound) << decisive->summary();
    EXPECT_NE(result.line().find("rel="), std::string::npos) << result.line();
  }
  EXPECT_EQ(decisive->nonfinite, 0) << "a wrong golden, not a numerical blow-up";
  EXPECT_FALSE(decisive->worst_index.empty()) << "the worst element is located";

  // The printed line carries the case, the tensor and its metrics.
  const auto line = result.line();
  EXPECT_EQ(line.rfind("FAIL " + fixture.case_id + " " + decisive->tensor + " ", 0), 0u) << line;
  EXPECT_NE(line.find("max_abs="), std::string::npos) << line;
}

INSTANTIATE_TEST_SUITE_P(Negative, NegativeFixture, ::testing::ValuesIn(negative_fixtures()), param_name);

TEST(NegativeFixtures, CoverEveryBreakage) {
  std::vector<std::string> ids;
  for (const auto& f : negative_fixtures()) ids.push_back(fs::path(f).stem().string());
  ASSERT_GE(ids.size(), 10u) << "the negative fixtures live in " << kNegativeDir;
  for (const std::string prefix : {"neg_nomod_linear_", "neg_nomod_mlp_", "neg_vrot_linear_", "neg_vrot_mlp_",
                                   "neg_nudged_", "neg_ropeignored_", "neg_ropetable_theta_",
                                   "neg_ropetable_rolled_"}) {
    EXPECT_TRUE(std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return id.rfind(prefix, 0) == 0; }))
        << "no negative fixture " << prefix << "*";
  }
}

TEST(NegativeFixtures, ListedInTheirManifest) {
  const auto manifest = harness::read_manifest(kNegativeDir);
  ASSERT_TRUE(manifest.has_value()) << kNegativeDir << "/MANIFEST.json";
  const auto files = negative_fixtures();
  EXPECT_EQ(manifest->entries.size(), files.size());
  for (const auto& file : files) EXPECT_EQ(harness::verify_against_manifest(*manifest, file), "") << file;
}

// One part in a million is caught, and it is the nudge that is caught: the good case it was
// copied from passes, and the nudged one fails by exactly the nudge.
TEST(NegativeFixtures, NudgedGoldenFailsWhereItsOriginalPasses) {
  const auto nudged = harness::run_fixture(harness::load_fixture(kNegativeDir + "/neg_nudged_linear_rope_f64_b2_l75_k16.h5"));
  const auto good = harness::run_fixture(harness::load_fixture(TTT_FIXTURES_DIR "/linear_rope_f64_b2_l75_k16.h5"));
  std::cout << good.line() << "\n" << nudged.line() << std::endl;
  ASSERT_EQ(good.status, harness::Status::Pass) << good.line();
  ASSERT_EQ(nudged.status, harness::Status::Fail) << nudged.line();
  const auto* c = nudged.decisive();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tensor, "output");
  EXPECT_NEAR(c->max_rel_err, 1e-6, 1e-8) << c->summary();
}

}  // namespace
}  // namespace ttt::testing
