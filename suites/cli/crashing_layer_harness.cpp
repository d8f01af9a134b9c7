// Test-only build of ttt-harness (never installed, never in the production tool): the same
// command line (harness/cli/cli.h) run with a layer that crashes, to prove `check --isolate`
// turns one case's crash into an ERROR line while the other cases still run:
//   - every TTT-MLP case aborts the process (SIGABRT) as its layer is built, as a CUDA
//     device-side assert or a segfault in a kernel would end it;
//   - with TTT_TEST_LINEAR_LAYER_HANGS=1, every TTT-Linear case hangs instead (--case-timeout).
// TTT-Linear cases otherwise get the production layer and pass.
#include <harness/cli/cli.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  const auto production = ttt::harness::production_layers();
  const char* hang = std::getenv("TTT_TEST_LINEAR_LAYER_HANGS");
  const bool linear_hangs = hang != nullptr && std::string(hang) == "1";
  ttt::harness::LayerFactory crashing = [production, linear_hangs](ttt::LayerType type, const ttt::TTTOptions& options) {
    if (type == ttt::LayerType::MLP) std::abort();
    if (linear_hangs) {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return production(type, options);
  };
  return ttt::harness::run_cli(argc, argv, crashing);
}
