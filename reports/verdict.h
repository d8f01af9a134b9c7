#pragma once
// What a run decided, case by case: the verdict on each fixture with every comparison and
// tolerance it was decided by. The torch side (harness/runner) fills these; every report
// (JSON, HTML, diff) reads them. No torch here, so the report library stays torch-free.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ttt::harness {

// One rounding of each dtype: half the gap between 1 and the next value (for float32 also
// one ulp of the values in [0.5, 1), the unit RoPE table differences are printed in). Header
// constants, so that the torch-free report library uses the same numbers.
constexpr double kUnitRoundoffFloat64 = 0x1p-53;
constexpr double kUnitRoundoffFloat32 = 0x1p-24;
constexpr double kUnitRoundoffBFloat16 = 0x1p-8;
constexpr double kUnitRoundoffFloat16 = 0x1p-11;

struct Tolerance {
  enum class Rule {
    // max|actual - expected| <= bound * scale, scale = max|expected| (1 for an all-zero tensor).
    Relative,
    // Against the float64 reference output f: max|actual - f| <= multiple * max|expected - f|
    // + floor * max|f|, where expected is the reference's own low-precision output.
    ReferenceError,
    // max|actual - expected| <= bound, in absolute units (RoPE tables, whose values lie in [-1, 1]).
    Absolute,
    // An error already divided, element by element, by the bound derived for that element
    // (a low-precision layer's own arithmetic: its layer-norm statistics): max <= bound (1).
    Units,
  };
  Rule rule = Rule::Relative;
  double bound = 0;     // Relative, Absolute
  double multiple = 0;  // ReferenceError
  double floor = 0;     // ReferenceError, relative to max|f|
  // ReferenceError, two more statistics, each held to a multiple of the reference's own:
  // the RMS error (rms|actual - f| <= rms_multiple * rms|expected - f| + floor * rms|f|),
  // which sees an error spread over many elements that the largest one hides; and the worst
  // row (last axis: a head's bias, a row of a head's weights, a token's channels), each row's
  // RMS error relative to its own RMS magnitude floored at row_floor * rms|f|
  // (<= row_multiple * the reference's own + floor), which sees a wrong small-magnitude head.
  double rms_multiple = 0;
  double row_multiple = 0;
  double row_floor = 0;
  std::string name;     // short label for reports, e.g. "float64 relative"

  std::string describe() const;  // "rel <= 1e-10" / "err <= 2 x ref_err + 3.9e-03 x max|f64|"
};

struct Comparison {
  // What is compared. Golden: a tensor the fixture stores (outputs, decode state, gradients,
  // the rotated Q and K), the reference's behaviour any port is held to. WhiteBox: this
  // layer's own internals against exact values (the RoPE table it rotates with, a bfloat16
  // layer's own table and layer-norm statistics, harness/runner/white_box.cpp), which a port
  // judged through its interface never undergoes. Both decide the verdict; reports show them
  // apart, because a white-box statistic near its bound says nothing about how close the
  // outputs came to theirs.
  enum class Check { Golden, WhiteBox };

  std::string tensor;  // e.g. "output", "decode_output", "state/W1_states", "grad/W1"
  Check check = Check::Golden;
  Tolerance tolerance;
  // Judged error: against the golden (Relative) or against the float64 reference (ReferenceError).
  double max_abs_err = 0;
  double max_rel_err = 0;  // max_abs_err / scale
  double scale = 0;        // max|golden| (1 for an all-zero golden)
  std::vector<int64_t> worst_index;
  double actual_at_worst = 0;
  double expected_at_worst = 0;
  // ReferenceError only: the reference's own error max|golden - f64| and the max|actual - golden|.
  double reference_err = 0;
  double diff_to_golden = 0;
  double allowed = 0;    // the bound max_abs_err was held to, in absolute units
  // ReferenceError only: the other two statistics (see Tolerance), the port's, the
  // reference's own, and the bound the port's was held to.
  double rms_err = 0;
  double reference_rms_err = 0;
  double rms_allowed = 0;
  double row_err = 0;
  double reference_row_err = 0;
  double row_allowed = 0;
  int64_t nonfinite = 0;  // NaN/inf in the computed tensor: always a failure
  // Why a tensor the golden holds could not be compared (the layer has nothing for it):
  // always a failure, so that nothing a fixture stores goes unjudged.
  std::string not_compared;
  bool passed = false;

  // How close to the bound: the largest of max_abs_err / allowed and, under ReferenceError,
  // rms_err / rms_allowed and row_err / row_allowed (> 1 fails). Used to pick
  // the decisive comparison.
  double margin() const;
  // The statistic that margin() comes from: "max", "rms" or "row".
  const char* deciding_statistic() const;
  std::string summary() const;  // "max_abs=1.2e-16 rel=2.3e-16 (rel <= 1.0e-10) worst=[0, 12, 5]"
};

const char* to_string(Comparison::Check check);  // "golden", "white_box"

// A failed comparison for a golden tensor the layer has no counterpart for.
Comparison not_compared(const std::string& name, const std::string& why);

// A case's status (and a suite test's: ctest has no Error). Spelled in one place: a case as
// PASS, FAIL, SKIP, ERROR, NOT_SUPPORTED (its line and its JSON "status"); a suite test, as
// the report keeps ctest's JUnit results, as pass, fail, skip.
//   SKIP: this machine cannot run it (no CUDA device); NOT_SUPPORTED: the port under test does
//   not offer what it needs (a port without streaming, gradients or a use_rope toggle). Neither
//   is ever counted as passed.
enum class Status { Pass, Fail, Skip, Error, NotSupported };
const char* to_string(Status status);          // "PASS", "FAIL", "SKIP", "ERROR", "NOT_SUPPORTED"
const char* suite_test_spelling(Status status);  // "pass", "fail", "skip" ("fail" for Error)
std::optional<Status> case_status_from(const std::string& text);        // nullopt: not a case status
std::optional<Status> suite_test_status_from(const std::string& text);  // nullopt: not a suite test status

// Whose fault an ERROR is. Input: a file or an option could not be used (exit 2). Port: the
// port under test raised, crashed, hung or broke the protocol (`conform`: the case or check
// failed to run, exit 1; the port is restarted and the run goes on).
enum class ErrorSource { Input, Port };
const char* to_string(ErrorSource source);  // "input", "port"

struct CaseResult {
  std::string file;
  std::string case_id;
  std::string layer_type;
  std::string mode;
  std::string dtype;
  Status status = Status::Error;
  std::string message;  // why a case was skipped, or why a file could not be used
  // What a reader of the verdict must know about how it was reached, e.g. config keys the
  // layer does not implement and the case was judged without. Printed as "NOTE: ...".
  std::vector<std::string> notes;
  std::vector<Comparison> comparisons;
  double seconds = 0;
  nlohmann::json config;      // as stored in the fixture
  nlohmann::json provenance;  // as stored in the fixture
  std::string manifest;       // how the file was trusted: "verified", "no manifest", "not checked"
  ErrorSource error_source = ErrorSource::Input;  // ERROR only
  // Set from a port's expectations file (conform --expectations): where the entry that lists
  // this case as a known failure is and why, "FILE:LINE: reason". A listed case that does not
  // pass is not counted as failed; one that passes is reported as passing now.
  std::string expected_failure;

  // Whether it counts against the run: FAIL, or ERROR caused by the port, not listed as known.
  bool counts_as_failure() const;

  // The comparison that decided the verdict: the first failure, else the closest to its bound.
  const Comparison* decisive() const;
  // "PASS linear_rope_f64 output max_abs=... (rel <= 1.0e-10) worst=[...]" or
  // "ERROR <file>: <reason>": the line the command prints for the case.
  std::string line() const;
};

// The result for a file that could not be judged (missing, refused by its manifest, or its
// own process crashed): status ERROR, the file, and why.
CaseResult error_result(const std::string& file, const std::string& message);

// Sets status from the comparisons: PASS when every one passed, else FAIL.
void decide(CaseResult& result);

}  // namespace ttt::harness
