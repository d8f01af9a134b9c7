// The RoPE table allowance of 64 float32 ulps is for files made under another torch build or
// on another device. On a file of this build it would forgive a layer whose own table drifts,
// because the file's table is then pinned into the layer and hides the drift from every
// output. RopeTableDrift (its own table 3 ulps off at the last residue) must therefore pass
// each committed float64 and float32 golden judged as another build's file (the allowance, as
// every file was judged before the check read the provenance) and fail each one as it is, a
// file of this build, whose table the layer is held to bit for bit.
#include "suites/mutation/mutants.h"
#include "suites/support/test_support.h"

#include <harness/fixture/fixture.h>
#include <harness/runner/environment.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

namespace ttt::mutation {
namespace {

const Mutant& mutant_named(const std::string& name) {
  static const auto mutants = all_mutants();
  const auto it = std::find_if(mutants.begin(), mutants.end(), [&](const Mutant& m) { return m.name == name; });
  if (it == mutants.end()) throw std::runtime_error("no mutant " + name);
  return *it;
}

// The table check's largest error in float32 ulps, and whether it passed.
std::pair<double, bool> table_check(const harness::CaseResult& result) {
  double ulps = 0;
  bool passed = true;
  for (const auto& c : result.comparisons) {
    if (c.tensor != "rope_cos" && c.tensor != "rope_sin") continue;
    ulps = std::max(ulps, c.max_abs_err / harness::kUnitRoundoffFloat32);
    passed = passed && c.passed;
  }
  return {ulps, passed};
}

TEST(RopeTableDrift, CaughtByTheFilesOfThisBuildOnly) {
  harness::RunOptions run;
  run.gradients = false;
  run.factory = mutant_named("RopeTableDrift").factory;
  int judged = 0;
  double largest_ulps = 0;
  for (const auto& file : testing::committed_fixtures()) {
    const auto fixture = harness::load_fixture(file);
    if (fixture.dtype == "bfloat16" || fixture.config.mini_batch_size == 1 ||
        fixture.intermediates.count("rope_cos") == 0) {
      continue;  // bfloat16 tables are never pinned; K = 1 has nothing to drift
    }
    ASSERT_TRUE(harness::made_by_this_build(fixture.provenance, "cpu"))
        << file << ": a committed fixture not made by this build (" << fixture.provenance.dump() << ", this build "
        << harness::torch_build() << ")";
    auto elsewhere = fixture;
    elsewhere.provenance["torch_version"] = "another build";
    const auto as_other_build = harness::run_fixture(elsewhere, run);
    const auto as_this_build = harness::run_fixture(fixture, run);
    const auto [ulps, other_passed] = table_check(as_other_build);
    EXPECT_TRUE(other_passed) << as_other_build.line();
    EXPECT_EQ(as_other_build.status, harness::Status::Pass) << "another build's file: " << as_other_build.line();
    EXPECT_EQ(as_this_build.status, harness::Status::Fail) << "this build's file: " << as_this_build.line();
    EXPECT_FALSE(table_check(as_this_build).second) << as_this_build.line();
    largest_ulps = std::max(largest_ulps, ulps);
    ++judged;
  }
  std::cout << "RopeTableDrift: " << judged << " float64/float32 goldens with a table; its table up to " << largest_ulps
            << " float32 ulps from theirs; each passes as another build's file and fails as this build's" << std::endl;
  EXPECT_GE(judged, 20);
}

}  // namespace
}  // namespace ttt::mutation
