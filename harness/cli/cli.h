#pragma once
// The ttt-harness command line (check, report, diff), as a function: the tool's main() runs it
// with the production layer; a test-only build of the tool runs it with a broken one (the
// --isolate test's layer that crashes), so that the very same command is what is tested.

#include <harness/layer_io/layer_factory.h>

namespace ttt::harness {

// Parses argv and runs the subcommand; returns the exit status (2 for bad usage).
int run_cli(int argc, char** argv, const LayerFactory& factory);

}  // namespace ttt::harness
