#pragma once
// `ttt-harness check PATH...`: every fixture found, one line each, a summary line, an exit
// status that CI can act on (0 all passed, 1 a case failed or, with --baseline, a regression
// was found, 2 a file was unusable), and the JSON and HTML reports.

#include <harness/layer_io/layer_factory.h>
#include <reports/verdict.h>
#include <reports/report_command.h>
#include <reports/report_merge.h>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ttt::harness {

struct CheckOptions {
  std::vector<std::string> paths;  // .h5 files or folders holding them
  std::string device = "cpu";      // "cpu" or "cuda"
  std::string json_path;           // write the JSON report here when set
  std::string html_path;           // write the HTML report here when set
  std::string baseline_path;       // a previous JSON report to diff against (JSON "diff", HTML, exit 1)
  DiffOptions diff;                // what counts as a regression against the baseline
  ReportSources sources;           // suite results, long-sequence series, benchmarks to fold in
  bool no_manifest = false;        // trust files whose sha256 is not in their folder's manifest
  std::string filter;              // regex on the case id; other cases are not run
  bool allow_empty = false;        // a --filter or --shard that selects no case exits 0, not 2
  // Intra-op threads. Fixture-sized work gains nothing from more, and OpenMP's spin-waits
  // collapse (100x slower seen) when a CI machine's cores are shared with other processes.
  int threads = 1;
  // Each fixture in a fresh process of this program (harness/runner/case_process.h): a case
  // that crashes or hangs the layer is an ERROR line and the run goes on. For unattended
  // runs, above all on CUDA, where one device-side fault poisons the process's context.
  bool isolate = false;
  int case_timeout_seconds = 900;  // --isolate only: a case running longer is killed (ERROR)
  int jobs = 1;                    // --isolate only: children at a time; lines keep the files' order
  // Only this part of the sorted fixture list (--shard i/n), for a CI matrix or a Slurm
  // array; `report --merge` joins the shards' reports. Unusable paths are reported by 1/n.
  std::optional<Shard> shard;
  // The layer under test; tests pass a deliberately broken one (the CLI always the production one).
  LayerFactory factory = production_layers();
};

// Runs the command; prints to `out`; returns the exit status.
int run_check(const CheckOptions& options, const std::vector<std::string>& command, std::ostream& out);

}  // namespace ttt::harness
