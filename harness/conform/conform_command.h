#pragma once
// `ttt-harness conform --port SPEC [FIXTURES...]`: any TTT port judged by the same goldens and
// the same mission checks as this repository's layer (docs/PORTS.md). The port runs in a
// process of its own (ports/process/process_port.h); one line per golden case and per property
// check, PASS | FAIL | ERROR | SKIP | NOT_SUPPORTED with the figure that decided it; then the
// summary, the reports naming the port, and an exit status: 0 nothing failed, 1 a case or check
// failed (an ERROR of the port among them), 2 an unusable input or a port that cannot start.

#include <harness/conform/run_lines.h>
#include <ports/port_spec.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace ttt::conform {

struct ConformOptions {
  std::string port;                   // python:MODULE_OR_FILE.py:FACTORY | exec:PROGRAM [ARG...] | cpp
  ports::PortSpecOptions process;     // --python, --timeout
  std::vector<std::string> fixtures;  // files or folders; empty: the committed fixtures/
  LineOptions lines;                  // --filter, --exclude, --expectations, --json, --html, --device
  int threads = 1;                    // intra-op threads of this process (the checks' own layer)
};

int run_conform(const ConformOptions& options, const std::vector<std::string>& command, std::ostream& out);

// The report's list of the property checks: id, the incident it exists for, what it proves.
nlohmann::json checks_section();

}  // namespace ttt::conform
