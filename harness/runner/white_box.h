#pragma once
// The checks only this repository's layer can undergo, because they read its internals: the
// RoPE table it rotates with (against the file's, then pinned into it so that float64 keeps its
// 1e-10 proof whatever build made the file), a bfloat16 layer's own table and inner layer-norm
// statistics against exact ones, and its rotated Q and K against the file's. `check` runs them
// beside the golden verdict; a port judged through the interface (`conform`) cannot, and its
// report says what it was judged by instead (docs/PORTS.md).

#include <harness/runner/tolerance.h>

#include <harness/fixture/fixture.h>
#include <reports/verdict.h>

#include <ttt/ttt.h>

namespace ttt::harness {

// What a case does with its RoPE table: the table to pin into every layer it builds (none when
// the layer keeps its own) and where the layer's table then comes from.
struct RopeTablePlan {
  RopeTableSource source = RopeTableSource::Exact;
  torch::Tensor pin_cos, pin_sin;  // [K, f/2], or undefined

  void apply(ttt::TTTBaseImpl& layer) const {
    if (pin_cos.defined()) layer.pin_rope_tables(pin_cos, pin_sin);
  }
};

// Judges the file's RoPE table (when it has one) into `result`, with a note in its message,
// and decides whether to pin it: pinning keeps float64 parity portable.
RopeTablePlan judge_rope_table(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer,
                               torch::Device device, torch::ScalarType dtype);

// A bfloat16 layer's own RoPE table against the exact one (float64 angles).
void judge_layer_rope_table(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer,
                            torch::Device device, torch::ScalarType dtype);

// A bfloat16 layer's inner layer-norm statistics against exact ones on the case's own rows.
void judge_layer_norm_statistics(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer,
                                 torch::Device device, torch::ScalarType dtype);

// The rotated Q and K ([B, H, L, f]) when a prefill file stores them.
void judge_rotated_qk(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer, torch::Device device,
                      torch::ScalarType dtype, RopeTableSource table);

}  // namespace ttt::harness
