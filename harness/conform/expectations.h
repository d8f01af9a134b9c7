#pragma once
// A port's own list of known failures, kept in the port's repository (the manner of ONNX's
// backend tests): `conform --expectations FILE`. One entry a line:
//
//   # comment
//   <regular expression matched against the whole line id>   <why, free text>
//   check/device\..*                  no CUDA build of this port yet (issue 12)
//   mlp_.*_bf16_.*                    bf16 MLP not written yet
//
// A listed case that fails (FAIL, an ERROR of the port, NOT_SUPPORTED) is reported as a known
// failure and does not fail the run; a listed case that passes is reported as passing now (the
// entry can go); an entry that matches no case is reported, since it may hide nothing but a typo.

#include <reports/verdict.h>

#include <regex>
#include <string>
#include <vector>

namespace ttt::conform {

class Expectations {
 public:
  Expectations() = default;
  // Throws std::invalid_argument naming FILE:LINE for an unreadable file or a bad expression.
  static Expectations load(const std::string& path);

  // Marks `result` (result.expected_failure = "FILE:LINE: why") when an entry matches its id
  // (not a SKIP, nor an unusable input's ERROR).
  void apply(harness::CaseResult& result);
  // "FILE:LINE: <expression> matches no case", for each entry that matched nothing.
  std::vector<std::string> unused() const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::regex pattern;
    std::string expression, reason, where;
    bool used = false;
  };
  std::vector<Entry> entries_;
};

}  // namespace ttt::conform
