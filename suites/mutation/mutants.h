#pragma once
// Test-only mutants: each reproduces one bug that shipped in a TTT port (the README's
// `mutation` suite lists them), derived from the production layer through its seams. Production code
// has no switch for any of them.

#include <harness/runner/runner.h>

#include <ttt/ttt.h>

#include <string>
#include <vector>

namespace ttt::mutation {

struct Mutant {
  int bug;                     // the bug's number in the mission list; 0 for a decode invariant's mutant
  std::string name;            // e.g. "CpuBuiltRopeTables"
  std::string description;     // the bug it reproduces
  std::string catching_suite;  // the suite that must reject it (the one named after the bug)
  harness::LayerFactory factory;
  // Its precision loss must fail the bfloat16 goldens' own verdict
  // (bf16.GoldensWithinReferenceErrorBound), whatever else catches it too.
  bool fails_bf16_goldens = false;
};

// All mutants: the five shipped bugs in order (bug 3 has two: a flag that never turns RoPE
// off, one that never turns it on), then the decode invariants' and the precision bugs'.
std::vector<Mutant> all_mutants();

}  // namespace ttt::mutation
