#include <harness/conform/conform_command.h>

#include <harness/conform/golden_units.h>
#include <harness/conform/port_checks.h>
#include <harness/conform/unit.h>

#include <ports/process/process_port.h>

#include "ttt_paths.h"

#include <ostream>

namespace ttt::conform {
namespace {

using harness::CaseResult;

std::string environment_line(const nlohmann::json& environment) {
  std::string text;
  for (const auto& [key, value] : environment.items()) {
    if (value.is_string() && key != "python_executable" && key != "port_source") {
      text += (text.empty() ? "" : ", ") + key + " " + value.get<std::string>();
    }
  }
  return text;
}

}  // namespace

nlohmann::json checks_section() {
  auto checks = nlohmann::json::array();
  for (const auto& c : port_checks()) {
    checks.push_back({{"case", check_case_id(c)},
                      {"incident", c.incident == 0 ? nlohmann::json(nullptr) : nlohmann::json(c.incident)},
                      {"what", c.what}});
  }
  return checks;
}

int run_conform(const ConformOptions& options, const std::vector<std::string>& command, std::ostream& out) {
  torch::set_num_threads(std::max(1, options.threads));
  // An unusable input stops the run before the port starts: exit 2, naming it.
  std::optional<RunLines> lines;
  ports::ProcessPortOptions process;
  try {
    lines.emplace(options.lines, out);
    auto spec_options = options.process;
    spec_options.threads = options.threads;
    process = ports::port_process(options.port, spec_options);
  } catch (const std::exception& e) {
    out << "ERROR " << e.what() << std::endl;
    return 2;
  }
  ports::ProcessPort port(process);
  ports::PortIdentity identity;
  std::string cannot_start;
  try {
    identity = port.identity();
  } catch (const ports::PortFailure& e) {
    cannot_start = e.what();
  }
  const auto finish = [&](int forced) {
    nlohmann::json section = {{"spec", options.port},         {"name", identity.name},
                              {"version", identity.version},  {"environment", identity.environment},
                              {"device", options.lines.device}, {"restarts", port.restarts()}};
    if (!cannot_start.empty()) section["cannot_start"] = cannot_start;
    return lines->finish(section, {{"checks", checks_section()}}, command,
                         "the fixtures given and " + std::to_string(port_checks().size()) + " checks", forced);
  };
  if (!cannot_start.empty()) {
    lines->record(harness::error_result("--port " + options.port, cannot_start));
    return finish(2);
  }
  // As check: --device cuda where no case can run there is an unusable input, not a column of
  // errors (a nightly whose port lost its GPU must not look like a port that fails).
  if (options.lines.device == "cuda" && !identity.cuda_available) {
    lines->record(harness::error_result("--device cuda", "the port sees no CUDA device (its own runtime says so at hello)"));
    return finish(2);
  }
  out << "PORT " << identity.name << (identity.version.empty() ? "" : " " + identity.version) << " (" << options.port
      << "): " << environment_line(identity.environment) << std::endl;

  const auto paths = options.fixtures.empty() ? std::vector<std::string>{TTT_FIXTURES_DIR} : options.fixtures;
  const auto selected = [&](const std::string& id) { return lines->selected(id); };
  lines->for_each_fixture(paths, [&](const harness::Fixture& fixture, const std::string& trust) {
    for (auto result : judge_port_on_fixture(port, fixture, options.lines.device, selected)) {
      result.manifest = trust;
      lines->record(std::move(result));
    }
  });
  for (const auto& check : port_checks()) {
    if (!lines->selected(check_case_id(check))) continue;
    CaseResult base;
    base.case_id = check_case_id(check);
    base.mode = "check";
    lines->record(run_unit(base, [&](CaseResult& r) { check.run(port, identity, r); }));
  }
  return finish(0);
}

}  // namespace ttt::conform
