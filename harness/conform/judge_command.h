#pragma once
// `ttt-harness judge GOLDEN ACTUAL`: the golden verdicts for outputs a port computed itself and
// wrote in the contract's layout (harness/fixture/actual_file.h; docs/PORTS.md, "Ports that
// cannot be driven"), by the one judge and in the same lines as `conform`. Golden and actual
// files are paired by case id. Exit 0 nothing failed, 1 a case failed, 2 an unusable file or no
// actual file matching any golden case.

#include <harness/conform/run_lines.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace ttt::conform {

struct JudgeOptions {
  std::vector<std::string> golden;  // fixture files or folders
  std::vector<std::string> actual;  // actual files or folders
  LineOptions lines;
};

int run_judge(const JudgeOptions& options, const std::vector<std::string>& command, std::ostream& out);

}  // namespace ttt::conform
