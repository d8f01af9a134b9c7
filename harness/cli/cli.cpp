#include <harness/cli/cli.h>
#include <harness/cli/usage_errors.h>

#include <harness/conform/conform_command.h>
#include <harness/conform/judge_command.h>
#include <harness/runner/check_command.h>
#include <ports/cpp/layer_port.h>
#include <ports/process/port_server.h>
#include <reports/report_command.h>
#include <reports/report_history.h>
#include <reports/report_matrix.h>
#include <harness/fixture/isolated_read.h>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include <unistd.h>

namespace ttt::harness {
namespace {

// The options that fold result files into a report, shared by `check` and `report`.
void add_source_options(CLI::App* cmd, ReportSources& sources) {
  cmd->add_option("--junit", sources.junit_path, "ctest --output-junit XML to fold in as the suite results");
  cmd->add_option("--ctest-tests", sources.ctest_tests_path,
                  "ctest --show-only=json-v1 output: gives each suite test its labels");
  cmd->add_option("--long-series", sources.long_series_path, "long_sequence.json from the long suite");
  cmd->add_option("--bench", sources.bench_path, "bench/run --json output");
}

// `baseline`: the option these only act with (check and report), or none (diff, which always diffs).
void add_diff_options(CLI::App* cmd, DiffOptions& diff, CLI::Option* baseline = nullptr) {
  auto* growth = cmd->add_option("--error-growth", diff.error_growth,
                                 "An error that grew by more than this factor is a regression (default 10)")
                     ->check(CLI::Range(1.0, 1e300));
  auto* slowdown = cmd->add_option("--slowdown", diff.slowdown,
                                   "A C++ benchmark slower by more than this fraction is a regression (default 0.10 = 10%)")
                       ->check(CLI::Range(0.0, 1.0));
  if (baseline != nullptr) {
    growth->needs(baseline);
    slowdown->needs(baseline);
  }
}

void add_allow_empty(CLI::App* cmd, bool& allow_empty, const std::string& selections) {
  cmd->add_flag("--allow-empty", allow_empty,
                "A selection (" + selections + ") that selects nothing exits 0 rather than 2");
}

// The options conform and judge share: which lines, the port's known failures, the reports.
void add_line_options(CLI::App* cmd, conform::LineOptions& lines) {
  cmd->add_option("--device", lines.device, "Where the golden cases run")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--filter", lines.filter, "Only cases and checks whose id matches this regular expression")
      ->check(regular_expression());
  cmd->add_option("--exclude", lines.exclude, "Leave out cases and checks whose id matches this regular expression")
      ->check(regular_expression());
  add_allow_empty(cmd, lines.allow_empty, "--filter, --exclude");
  cmd->add_option("--expectations", lines.expectations_path,
                  "The port's known failures: lines of '<id regex> <why>' (docs/PORTS.md)");
  cmd->add_option("--json", lines.json_path, "Write the JSON report here");
  cmd->add_option("--html", lines.html_path, "Write the HTML report here");
  cmd->add_flag("--no-manifest", lines.no_manifest, "Run files whose sha256 is not in their folder's manifest");
}

}  // namespace

int run_cli(int argc, char** argv, const LayerFactory& factory) {
  CLI::App app{"ttt-harness: golden-parity checks of the C++ TTT layer against the PyTorch reference"};
  app.require_subcommand(1);
  std::vector<std::string> command(argv, argv + argc);

  CheckOptions check;
  check.factory = factory;
  auto* check_cmd = app.add_subcommand("check", "Run every fixture (files or folders of .h5) through the layer");
  check_cmd->add_option("paths", check.paths, "Fixture files or folders")->required();
  check_cmd->add_option("--device", check.device, "Device to run on")->check(CLI::IsMember({"cpu", "cuda"}));
  check_cmd->add_option("--json", check.json_path, "Write the JSON report here");
  check_cmd->add_option("--html", check.html_path, "Write the HTML report here");
  auto* check_baseline = check_cmd->add_option("--baseline", check.baseline_path,
                                               "A previous JSON report: diff against it (exit 1 on a regression)");
  add_source_options(check_cmd, check.sources);
  add_diff_options(check_cmd, check.diff, check_baseline);
  check_cmd->add_flag("--no-manifest", check.no_manifest, "Run files whose sha256 is not in their folder's manifest");
  check_cmd->add_option("--filter", check.filter, "Only cases whose id matches this regular expression")
      ->check(regular_expression());
  add_allow_empty(check_cmd, check.allow_empty, "--filter, --shard");
  check_cmd->add_option("--threads", check.threads, "Intra-op CPU threads (default 1)")->check(CLI::Range(1, 1024));
  check_cmd->add_option("--read-timeout", detail::isolation_settings().timeout_seconds,
                        "Seconds a file's (child-process) read may take before it is declared damaged (default 60)")
      ->check(CLI::Range(1, 86400));
  auto* isolate = check_cmd->add_flag("--isolate", check.isolate,
                      "Run each fixture in its own process: a case that crashes or hangs the layer is an "
                      "ERROR line and the other cases still run (unattended and GPU runs)");
  check_cmd->add_option("--jobs", check.jobs,
                        "With --isolate: cases run at a time, each in its own process (default 1); the lines "
                        "and the report keep the files' order")
      ->check(CLI::Range(1, 256))
      ->needs(isolate);
  std::string shard;
  check_cmd->add_option("--shard", shard,
                        "i/n: only every n-th fixture of the sorted list, from the i-th (CI matrix, Slurm array); "
                        "report --merge joins the shards' reports");
  check_cmd->add_option("--case-timeout", check.case_timeout_seconds,
                        "With --isolate: seconds a case may run before it is killed (default 900)")
      ->check(CLI::Range(1, 86400))
      ->needs(isolate);

  ReportCommandOptions report;
  auto* report_cmd = app.add_subcommand("report", "Write the HTML report of a saved JSON report");
  auto* from = report_cmd->add_option("--from", report.from_path, "A JSON report written by check --json");
  auto* merge = report_cmd->add_option("--merge", report.merge_paths,
                                       "Or: the JSON reports of check --shard i/n runs, merged into one");
  report_cmd->add_option("--shards", report.shards,
                         "With --merge: how many shards the run had; a missing one is an ERROR case, exit 2")
      ->check(CLI::Range(1, 100000))
      ->needs(merge);
  from->excludes(merge);
  merge->excludes(from);
  report_cmd->add_option("--html", report.html_path, "Write the HTML report here");
  report_cmd->add_option("--json", report.json_path, "Also write the JSON with the folded-in files here");
  auto* report_baseline = report_cmd->add_option(
      "--baseline", report.baseline_path, "A previous JSON report: show the diff against it (exit 1 on a regression, as check)");
  add_source_options(report_cmd, report.sources);
  add_diff_options(report_cmd, report.diff, report_baseline);

  DiffCommandOptions diff;
  auto* diff_cmd = app.add_subcommand(
      "diff", "Regressions of NEW against BASE (exit 1 on any, 0 none, 2 unusable input)");
  diff_cmd->add_option("base", diff.base_path, "The baseline JSON report")->required();
  diff_cmd->add_option("new", diff.new_path, "The JSON report to judge")->required();
  add_diff_options(diff_cmd, diff.diff);

  HistoryCommandOptions history;
  auto* history_cmd = app.add_subcommand(
      "history", "Trends over nights: every case, benchmark and suite test of the reports as a series, change points marked");
  history_cmd->add_option("reports", history.inputs, "JSON reports, or folders searched for them")->required();
  history_cmd->add_option("--json", history.json_path, "Write the history JSON here");
  history_cmd->add_option("--html", history.html_path, "Write the history page here");
  history_cmd->add_option("--error-factor", history.options.error_factor,
                          "A case margin that moved by more than this factor is a change point (default 2)")
      ->check(CLI::Range(1.0, 1e300));
  history_cmd->add_option("--speed-change", history.options.speed_change,
                          "A C++/reference ratio that moved by more than this fraction, significantly, is a change "
                          "point (default 0.10)")
      ->check(CLI::Range(0.0, 1.0));

  conform::ConformOptions conform;
  auto* conform_cmd = app.add_subcommand(
      "conform", "Judge any TTT port by the goldens and the mission's property checks (docs/PORTS.md)");
  conform_cmd->add_option("--port", conform.port,
                          "python:MODULE_OR_FILE.py:FACTORY, exec:PROGRAM [ARG...], or cpp (this repository's layer "
                          "through the protocol)")
      ->required();
  conform_cmd->add_option("fixtures", conform.fixtures, "Fixture files or folders (default: the committed fixtures/)");
  conform_cmd->add_option("--python", conform.process.python,
                          "The Python that runs a python: port (default: the project's .venv)");
  conform_cmd->add_option("--timeout", conform.process.timeout_seconds,
                          "Seconds one call of the port may take before it is killed and restarted (default 300)")
      ->check(CLI::Range(1, 86400));
  add_line_options(conform_cmd, conform.lines);
  conform_cmd->add_option("--threads", conform.threads,
                          "Intra-op CPU threads of the harness, and asked of the port (TTT_PORT_THREADS; default 1)")
      ->check(CLI::Range(1, 1024));

  conform::JudgeOptions judge;
  auto* judge_cmd = app.add_subcommand(
      "judge", "Judge outputs a port computed itself (actual files, docs/PORTS.md) against the goldens");
  std::string golden_path, actual_path;
  judge_cmd->add_option("golden", golden_path, "Golden fixture file or folder")->required();
  judge_cmd->add_option("actual", actual_path, "The port's actual file or folder")->required();
  add_line_options(judge_cmd, judge.lines);

  MatrixCommandOptions matrix;
  auto* matrix_cmd = app.add_subcommand(
      "matrix", "Ports side by side: the conformance reports of several ports as one table (rows cases and checks)");
  matrix_cmd->add_option("reports", matrix.reports, "JSON reports of conform, judge or check")->required();
  matrix_cmd->add_option("--json", matrix.json_path, "Write the matrix JSON here");
  matrix_cmd->add_option("--html", matrix.html_path, "Write the matrix page here");

  auto* server_cmd = app.add_subcommand(
      "port-server", "Serve this repository's layer over the port protocol on stdin/stdout (what conform --port cpp runs)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return report_usage_error(app, e, argc, argv, std::cerr);  // bad usage is unusable input: 2
  }
  try {
    // --allow-empty says an empty selection is fine: without a selection it would do nothing.
    const auto allow_empty_alone = [](const std::string& cmd, const std::string& selections) {
      std::cerr << "ttt-harness " << cmd << ": --allow-empty has no effect without " << selections << std::endl;
      return 2;
    };
    if (*check_cmd) {
      if (check.allow_empty && check.filter.empty() && shard.empty()) return allow_empty_alone("check", "--filter or --shard");
      if (!shard.empty()) check.shard = parse_shard(shard);
      return run_check(check, command, std::cout);
    }
    if (*report_cmd) {
      if (report.from_path.empty() && report.merge_paths.empty()) {
        std::cerr << "ttt-harness report: give --from REPORT.json or --merge REPORT.json..." << std::endl;
        return 2;
      }
      if (report.html_path.empty() && report.json_path.empty()) {
        std::cerr << "ttt-harness report: nothing to write: give --html PAGE and/or --json FILE" << std::endl;
        return 2;
      }
      return run_report_command(report, command, std::cout, std::cerr);
    }
    if (*diff_cmd) return run_diff_command(diff, std::cout, std::cerr);
    if (*conform_cmd) {
      if (conform.lines.allow_empty && conform.lines.filter.empty() && conform.lines.exclude.empty()) {
        return allow_empty_alone("conform", "--filter or --exclude");
      }
      if (!conform.process.python.empty() && conform.port.rfind("python:", 0) != 0) {
        std::cerr << "ttt-harness conform: --python has no effect on the port '" << conform.port
                  << "': it is the Python that runs a python: port" << std::endl;
        return 2;
      }
      return conform::run_conform(conform, command, std::cout);
    }
    if (*matrix_cmd) {
      if (matrix.json_path.empty() && matrix.html_path.empty()) {
        std::cerr << "ttt-harness matrix: nothing to write: give --html PAGE and/or --json FILE" << std::endl;
        return 2;
      }
      return run_matrix_command(matrix, std::cout, std::cerr);
    }
    if (*judge_cmd) {
      if (judge.lines.allow_empty && judge.lines.filter.empty() && judge.lines.exclude.empty()) {
        return allow_empty_alone("judge", "--filter or --exclude");
      }
      judge.golden = {golden_path};
      judge.actual = {actual_path};
      return conform::run_judge(judge, command, std::cout);
    }
    if (*server_cmd) {
      const int protocol = ports::protocol_stdout();
      // The intra-op threads conform asks for (TTT_PORT_THREADS).
      if (const char* threads = std::getenv("TTT_PORT_THREADS"); threads != nullptr && std::atoi(threads) > 0) {
        torch::set_num_threads(std::atoi(threads));
      }
      ports::LayerPort port(factory);
      return ports::serve(port, STDIN_FILENO, protocol);
    }
    if (*history_cmd) return run_history_command(history, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "ttt-harness: " << e.what() << std::endl;
    return 2;
  }
  return 2;
}

}  // namespace ttt::harness
