// Modulo invariance suite: the checks live in suites/modulo/modulo_checks.cpp.
#include "suites/support/check_test.h"
#include "suites/modulo/modulo_checks.h"

#include <harness/layer_io/layer_factory.h>

TTT_CHECK_SUITE(Modulo, "modulo", false);

namespace ttt::checks {
namespace {

std::string detail_of(const std::string& name) {
  for (const auto& check : checks_of("modulo", false)) {
    if (check.name == name) return run_check(check, harness::production_layers()).detail;
  }
  return "no check " + name;
}

// The evidence a passing check prints says what it did: every number it used, as used.
TEST(ModuloEvidence, EachDetailNamesTheNumbersItsCheckUsed) {
  const auto whole = detail_of("OutputInvariantUnderWholeMiniBatchShifts");
  EXPECT_NE(whole.find(modulo::listed(modulo::whole_shifts())), std::string::npos) << whole;
  const auto other = detail_of("OutputChangesUnderOtherShifts");
  EXPECT_NE(other.find(modulo::listed(modulo::other_shifts())), std::string::npos) << other;
  const auto far = detail_of("FarPositionsEqualTheirResidues");
  EXPECT_NE(far.find(modulo::listed(modulo::far_starts())), std::string::npos) << far;
  const auto tables = detail_of("TablesPeriodicInMiniBatch");
  EXPECT_NE(tables.find(modulo::listed(modulo::whole_shifts())), std::string::npos) << tables;
}

}  // namespace
}  // namespace ttt::checks
