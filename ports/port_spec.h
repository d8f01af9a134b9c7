#pragma once
// A port as the command line names it (`conform --port SPEC`, docs/PORTS.md):
//   python:MODULE_OR_FILE.py:FACTORY   a Python port, FACTORY(config) -> torch.nn.Module, served
//                                      by the Python driver (ports/python/ttt_port_driver.py)
//                                      under --python (default: the project's .venv)
//   exec:PROGRAM [ARG...]              any program that serves the protocol itself
//   cpp                                this repository's C++ layer, through the protocol
//                                      (`ttt-harness port-server` in a process of its own)

#include <ports/process/process_port.h>

#include <string>

namespace ttt::ports {

struct PortSpecOptions {
  std::string python;  // the interpreter for python: ports; empty: the project's .venv
  int timeout_seconds = 300;
  int start_timeout_seconds = 120;
  int threads = 1;  // asked of the port (TTT_PORT_THREADS)
};

// The process a spec runs. Throws std::invalid_argument naming the spec and what is wrong
// with it (no such file, no factory, unknown kind) before anything is started.
ProcessPortOptions port_process(const std::string& spec, const PortSpecOptions& options);

// Where the Python driver is: beside an installed tool (share/ttt-harness/), else in this
// source tree.
std::string python_driver_path();

}  // namespace ttt::ports
