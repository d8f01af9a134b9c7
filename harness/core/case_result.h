#pragma once
// The verdict on one fixture, with everything it was decided by.

#include <harness/core/compare.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ttt::harness {

enum class Status { Pass, Fail, Skip, Error };
const char* to_string(Status status);  // "PASS", "FAIL", "SKIP", "ERROR"

struct CaseResult {
  std::string file;
  std::string case_id;
  std::string layer_type;
  std::string mode;
  std::string dtype;
  Status status = Status::Error;
  std::string message;  // why a case was skipped, or why a file could not be used
  std::vector<Comparison> comparisons;
  double seconds = 0;
  nlohmann::json config;      // as stored in the fixture
  nlohmann::json provenance;  // as stored in the fixture
  std::string manifest;       // how the file was trusted: "verified", "no manifest", "not checked"

  // The comparison that decided the verdict: the first failure, else the closest to its bound.
  const Comparison* decisive() const;
  // "PASS linear_rope_f64 output max_abs=... (rel <= 1.0e-10) worst=[...]" or
  // "ERROR <file>: <reason>": the line the command prints for the case.
  std::string line() const;
};

// Sets status from the comparisons: PASS when every one passed, else FAIL.
void decide(CaseResult& result);

}  // namespace ttt::harness
