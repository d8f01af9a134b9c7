#pragma once
// `ttt-harness report --merge A.json B.json ...`: the reports of `check --shard i/n` runs (a CI
// matrix, a Slurm array, several GPU machines) as one report, equal to the unsharded run's in
// cases and verdicts. Torch-free.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ttt::harness {

// Which part of the fixture list a `check` ran: files whose position in the sorted list,
// counted from 0, is index - 1 modulo count (1 <= index <= count).
struct Shard {
  int index = 1;
  int count = 1;
  bool takes(std::size_t position) const { return static_cast<int>(position % count) == index - 1; }
};
// Parses "i/n"; throws std::invalid_argument with the reason.
Shard parse_shard(const std::string& text);

// Loads and validates each report, then merges: the shards must be 1..n of the same n, each
// once (or none of the reports sharded); no fixture file may appear in two; cases are sorted
// by file (the order of an unsharded run over one folder); the summary is recounted;
// `suites` tests, `long_sequence` series and `benchmarks` results are concatenated; the
// environment is the first report's, and `merged_from` lists each input with its shard,
// host, device and time. Throws ReportInputError naming the file at fault.
// A shard of 1..n without a report (its job died: node failure, time limit, OOM, scancel) is
// not a refusal but an ERROR case of its own, `shard i/n`, and is listed in `missing_shards`:
// the merged report names it and is never a smaller green one. `expected_shards` (0: the
// count the reports carry) is how many shards the run was started with, so a night whose
// reports all say 3 but that was submitted as 4 is caught too.
nlohmann::json merge_reports(const std::vector<std::string>& paths, const std::vector<std::string>& command,
                             int expected_shards = 0);

}  // namespace ttt::harness
