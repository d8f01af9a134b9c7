#pragma once
// Running a port on a fixture the way the reference produced it, which yields the port's
// actual tensors, named as the fixture names its goldens. Judging them is the one judge's
// (harness/runner/judge.h); this file only drives the port.

#include <ports/port.h>

#include <harness/fixture/fixture.h>

#include <optional>
#include <string>

namespace ttt::ports {

// The layer a fixture describes: its layer type and config, `device`, the case dtype, and its
// /params cast to that dtype.
LayerSpec layer_spec(const harness::Fixture& fixture, const std::string& device);

// A prefill fixture's one call: {"output": ...}.
Tensors run_prefill(Port& port, const harness::Fixture& fixture);

struct DecodeActual {
  Tensors outputs;               // "prefill_output", "decode_output"
  std::optional<Tensors> state;  // the stream's state after the last token, when the port offers it
};
// A decode fixture's protocol (docs/FIXTURES.md section 6): a fresh stream, the prompt in one
// call at positions 0..P-1, then each token alone at P..P+T-1.
DecodeActual run_decode(Port& port, const harness::Fixture& fixture);

// A prefill fixture's backward run: the gradients of sum(output * grad_output), by /grads name.
Tensors run_gradients(Port& port, const harness::Fixture& fixture);

}  // namespace ttt::ports
