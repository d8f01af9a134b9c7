// ttt-harness: checks the C++ TTT layer against golden fixtures and reports on it.
#include <harness/core/check_command.h>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"ttt-harness: golden-parity checks of the C++ TTT layer against the PyTorch reference"};
  app.require_subcommand(1);
  std::vector<std::string> command(argv, argv + argc);

  ttt::harness::CheckOptions check;
  auto* check_cmd = app.add_subcommand("check", "Run every fixture (files or folders of .h5) through the layer");
  check_cmd->add_option("paths", check.paths, "Fixture files or folders")->required();
  check_cmd->add_option("--device", check.device, "Device to run on")->check(CLI::IsMember({"cpu", "cuda"}));
  check_cmd->add_option("--json", check.json_path, "Write the JSON report here");
  check_cmd->add_option("--html", check.html_path, "Write the HTML report here");
  check_cmd->add_option("--baseline", check.baseline_path, "A previous JSON report to diff against");
  check_cmd->add_flag("--no-manifest", check.no_manifest, "Run files whose sha256 is not in their folder's manifest");
  check_cmd->add_option("--filter", check.filter, "Only cases whose id matches this regular expression");
  check_cmd->add_option("--threads", check.threads, "Intra-op CPU threads (default 1)");
  check_cmd->add_option("--read-timeout", check.read_timeout_seconds, "Seconds allowed to read and validate one file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;  // bad usage is unusable input
  }
  try {
    if (*check_cmd) return ttt::harness::run_check(check, command, std::cout);
  } catch (const std::exception& e) {
    std::cerr << "ttt-harness: " << e.what() << std::endl;
    return 2;
  }
  return 2;
}
