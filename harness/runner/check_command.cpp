#include <harness/runner/check_command.h>

#include <harness/runner/case_process.h>
#include <harness/runner/fixture_files.h>

#include <harness/runner/environment.h>
#include <reports/report_inputs.h>
#include <reports/report_json.h>
#include <harness/runner/runner.h>
#include <harness/fixture/fixture.h>
#include <harness/fixture/isolated_read.h>
#include <harness/fixture/manifest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <regex>

namespace fs = std::filesystem;

namespace ttt::harness {
namespace {

// Empty when a CUDA device is there and runs a kernel; otherwise what is wrong.
std::string cuda_unusable_reason() {
  if (!torch::cuda::is_available()) {
    return "no usable CUDA device (this LibTorch build sees " + std::to_string(torch::cuda::device_count()) +
           " CUDA device(s)); run without --device cuda, or fix the driver";
  }
  try {
    (void)torch::ones({1}, torch::Device(torch::kCUDA)).sum().item<float>();
  } catch (const std::exception& e) {
    std::string what = e.what();
    return "CUDA device 0 cannot run a kernel: " + what.substr(0, what.find('\n'));
  }
  return "";
}

}  // namespace

int run_check(const CheckOptions& options, const std::vector<std::string>& command, std::ostream& out) {
  // The result files to fold in are read first: an unusable one stops the run before the
  // cases take their time, and the message names the file.
  nlohmann::json sections = nlohmann::json::object();
  nlohmann::json baseline;
  try {
    add_report_sections(sections, options.sources);
    if (!options.baseline_path.empty()) baseline = load_report(options.baseline_path);
  } catch (const std::exception& e) {
    out << "ERROR " << e.what() << std::endl;
    return 2;
  }

  torch::set_num_threads(std::max(1, options.threads));
  nlohmann::json cases = nlohmann::json::array();
  const auto record = [&](const nlohmann::json& one) {
    cases.push_back(one);
    out << one.value("line", std::string()) << std::endl;
  };
  // --device cuda that cannot run on CUDA is an unusable input, not 40 skipped cases: a
  // nightly whose driver broke must not go green.
  const bool use_cuda = options.device == "cuda";
  const std::string cuda_problem = use_cuda ? cuda_unusable_reason() : "";
  const bool cuda_ready = use_cuda && cuda_problem.empty();
  if (use_cuda && !cuda_ready) record(case_json(error_result("--device cuda", cuda_problem)));
  std::vector<CaseResult> unusable_paths;
  auto files = collect_fixture_files(options.paths, unusable_paths);
  const auto files_found = files.size();
  if (!options.shard || options.shard->index == 1) {
    for (const auto& r : unusable_paths) record(case_json(r));
  }
  if (options.shard) {
    std::vector<std::string> mine;
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (options.shard->takes(i)) mine.push_back(files[i]);
    }
    files = std::move(mine);
  }
  if (use_cuda && !cuda_ready) files.clear();  // no case can run where it was asked to
  const std::optional<std::regex> filter =
      options.filter.empty() ? std::nullopt : std::optional<std::regex>(std::regex(options.filter));
  ManifestCache manifests;
  RunOptions run;
  run.device = cuda_ready ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  run.factory = options.factory;
  CaseProcessOptions child;
  child.device = options.device;
  child.threads = options.threads;
  child.read_timeout_seconds = detail::isolation_settings().timeout_seconds;
  child.filter = options.filter;
  child.timeout_seconds = options.case_timeout_seconds;
  child.jobs = options.jobs;

  // Each file's manifest first; an untrusted file is an ERROR in its place in the order.
  std::vector<std::string> trust(files.size(), "not checked");
  std::vector<std::optional<nlohmann::json>> refused(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (options.no_manifest) continue;
    const auto why = manifests.verify(files[i], trust[i]);
    if (!why.empty()) refused[i] = case_json(error_result(files[i], why + " (pass --no-manifest to run it anyway)"));
  }
  std::size_t next = 0;  // the next file whose lines are due
  const auto flush_refused = [&]() {
    while (next < files.size() && refused[next]) record(*refused[next++]);
  };
  if (options.isolate) {
    std::vector<std::string> to_run;
    std::vector<std::size_t> position;
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!refused[i]) {
        to_run.push_back(files[i]);
        position.push_back(i);
      }
    }
    flush_refused();
    run_cases_in_children(to_run, child, [&](std::size_t k, const nlohmann::json& from_child) {
      for (auto one : from_child) {
        one["manifest"] = trust[position[k]];
        record(one);
      }
      next = position[k] + 1;
      flush_refused();
    });
  } else {
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (refused[i]) {
        record(*refused[i]);
        continue;
      }
      // load_fixture reads the file in a forked child first, so a file that crashes or hangs
      // the HDF5 library comes back as a FixtureError (an ERROR line), never a dead run.
      CaseResult result;
      try {
        const auto fixture = load_fixture(files[i]);
        if (filter && !std::regex_search(fixture.case_id, *filter)) continue;
        result = run_fixture(fixture, run);
      } catch (const std::exception& e) {
        result = error_result(files[i], e.what());
      }
      result.manifest = trust[i];
      record(case_json(result));
    }
  }

  // A selection that selected nothing is a typo until the caller says otherwise: a CI filter
  // that matches no case must not go green having run nothing.
  if (cases.empty() && !options.allow_empty) {
    const auto of = " (of " + std::to_string(files_found) + (files_found == 1 ? " fixture file" : " fixture files") +
                    "; --allow-empty if that is intended)";
    record(case_json(files.empty() && options.shard
                         ? error_result("--shard", std::to_string(options.shard->index) + "/" +
                                                       std::to_string(options.shard->count) + " took no fixture" + of)
                         : error_result("--filter", "'" + options.filter + "' selected no case" + of)));
  }
  const auto summary = summarize(cases);
  if (summary.errors > 0) out << summary.errors << " unusable file(s) (ERROR)" << std::endl;
  out << summary.line() << std::endl;

  auto report = report_json(cases, describe_environment(options.device), command);
  report.update(sections);
  if (options.shard) report["shard"] = {{"index", options.shard->index}, {"count", options.shard->count}};
  const int regressions = options.baseline_path.empty()
                              ? 0
                              : diff_against_baseline(report, baseline, options.baseline_path, options.diff, out);
  write_report_files(report, options.json_path, options.html_path);
  const int status = summary.exit_code();
  return status == 0 && regressions > 0 ? 1 : status;
}

}  // namespace ttt::harness
