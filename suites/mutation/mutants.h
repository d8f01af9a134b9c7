#pragma once
// Test-only mutants: each reproduces one bug that shipped in a TTT port (DEVELOPERS.md,
// "The mission"), derived from the production layer through its seams. Production code
// has no switch for any of them.

#include <harness/core/runner.h>

#include <ttt/ttt.h>

#include <string>
#include <vector>

namespace ttt::mutation {

struct Mutant {
  int bug;                  // the bug's number in the mission list
  std::string name;         // e.g. "CpuBuiltRopeTables"
  std::string description;  // the shipped bug it reproduces
  harness::LayerFactory factory;
};

// All mutants, in bug order (bug 3 has two: a flag that never turns RoPE off, one that
// never turns it on).
std::vector<Mutant> all_mutants();

}  // namespace ttt::mutation
