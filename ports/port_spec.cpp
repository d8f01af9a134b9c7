#include <ports/port_spec.h>

#include <ports/process/subprocess.h>

#include "ttt_paths.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ttt::ports {
namespace {

const char kDriver[] = "ttt_port_driver.py";

std::string default_python() {
  const fs::path venv = fs::path(TTT_SOURCE_DIR) / ".venv" / "bin" / "python";
  if (fs::exists(venv)) return venv.string();
  return TTT_PYTHON_EXECUTABLE;
}

}  // namespace

std::string python_driver_path() {
  std::error_code ec;
  const auto installed = fs::path(self_executable()).parent_path() / ".." / "share" / "ttt-harness" / kDriver;
  if (fs::exists(installed, ec)) return fs::weakly_canonical(installed, ec).string();
  return (fs::path(TTT_SOURCE_DIR) / "ports" / "python" / kDriver).string();
}

ProcessPortOptions port_process(const std::string& spec, const PortSpecOptions& options) {
  ProcessPortOptions p;
  p.spec = spec;
  p.timeout_seconds = options.timeout_seconds;
  p.start_timeout_seconds = options.start_timeout_seconds;
  p.threads = options.threads;
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("--port " + spec + ": " + why);
  };
  if (spec == "cpp") {
    p.argv = {self_executable(), "port-server"};
    return p;
  }
  if (spec.rfind("python:", 0) == 0) {
    const auto rest = spec.substr(7);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      throw bad("expected python:MODULE_OR_FILE.py:FACTORY (a file or an importable module, then the function "
                "that makes the layer)");
    }
    const auto target = rest.substr(0, colon);
    const auto factory = rest.substr(colon + 1);
    if (target.size() > 3 && target.compare(target.size() - 3, 3, ".py") == 0 && !fs::is_regular_file(target)) {
      throw bad("no such file: " + target);
    }
    const auto python = options.python.empty() ? default_python() : options.python;
    p.argv = {python, python_driver_path(), target, factory};
    return p;
  }
  if (spec.rfind("exec:", 0) == 0) {
    std::istringstream words(spec.substr(5));
    for (std::string word; words >> word;) p.argv.push_back(word);
    if (p.argv.empty()) throw bad("expected exec:PROGRAM [ARG...]");
    return p;
  }
  throw bad("unknown kind of port; expected python:MODULE_OR_FILE.py:FACTORY, exec:PROGRAM [ARG...] or cpp");
}

}  // namespace ttt::ports
