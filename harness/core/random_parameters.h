#pragma once
// Random layers for the suites and the benchmarks: every parameter moved away from its
// default initialisation (biases, norms, token offsets, learning-rate gate), so that no term of
// the forward is trivially zero and a port that ignores a parameter shows it.

#include <ttt/layer.h>

#include <cstdint>

namespace ttt::harness {

// Overwrites every parameter of `layer` from one seed. The values are drawn in float64 on the
// CPU, then copied into the parameter's own dtype and device, so the same seed gives the same
// weights for every dtype, device and layer subclass.
void randomize_parameters(ttt::TTTBaseImpl& layer, uint64_t seed);

}  // namespace ttt::harness
