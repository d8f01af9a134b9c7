// Modulo invariance: RoPE sees positions modulo mini_batch_size, so shifting every position
// by a multiple of the mini-batch changes nothing, bit for bit, however far out it goes,
// and shifting by anything else changes the output.
#include "suites/modulo/modulo_checks.h"
#include "suites/support/check.h"
#include "suites/support/test_support.h"

#include <sstream>

namespace ttt::checks {
namespace {

using testing::positions_from;
using testing::random_hidden;
using testing::random_layer;
using testing::relative_difference;

constexpr int64_t kK = modulo::kMiniBatch;
const std::vector<int64_t>& kWholeShifts = modulo::whole_shifts();
const std::vector<int64_t>& kOtherShifts = modulo::other_shifts();

ttt::TTTOptions options() { return ttt::TTTOptions(32, 2).mini_batch_size(kK); }

CheckResult tables_periodic(const Factory& factory) {
  auto layer = factory(ttt::LayerType::Linear, options());
  const auto like = torch::zeros({1, 1, 3 * kK, options().head_dim()});
  for (const auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kFloat64}) {
    const auto base = layer->rope_tables_for(positions_from(0, 3 * kK), like.to(dtype));
    for (const auto shift : kWholeShifts) {
      const auto shifted = layer->rope_tables_for(positions_from(shift, 3 * kK), like.to(dtype));
      if (!torch::equal(base.cos, shifted.cos) || !torch::equal(base.sin, shifted.sin)) {
        return fail("RoPE tables at p + " + std::to_string(shift) + " differ from those at p (" +
                    c10::toString(dtype) + ", max |cos diff| " +
                    std::to_string((base.cos - shifted.cos).abs().max().item<double>()) + ")");
      }
    }
  }
  return pass("cos/sin at p and p + shift bit-identical for shifts " + modulo::listed(kWholeShifts) +
              " (multiples of " + std::to_string(kK) + "), float32/bfloat16/float64");
}

// Output for positions start..start+L-1 of a fixed layer and input.
torch::Tensor output_at(ttt::TTTBaseImpl& layer, const torch::Tensor& x, int64_t start) {
  c10::InferenceMode inference;
  return layer.forward(x, positions_from(start, x.size(1)));
}

CheckResult output_invariant_under_whole_shifts(const Factory& factory) {
  std::ostringstream detail;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(), torch::kFloat64, 11);
    const auto x = random_hidden(2, 40, 32, torch::kFloat64, 12);
    const auto base = output_at(*layer, x, 5);
    for (const auto shift : kWholeShifts) {
      const auto shifted = output_at(*layer, x, 5 + shift);
      if (!torch::equal(base, shifted)) {
        return fail(ttt::to_string(type) + ": output changed when positions shifted by " + std::to_string(shift) +
                    " (a multiple of " + std::to_string(kK) + "), rel diff " +
                    std::to_string(relative_difference(shifted, base)));
      }
    }
  }
  return pass("linear and mlp outputs bit-identical under shifts of " + modulo::listed(kWholeShifts) +
              " (multiples of " + std::to_string(kK) + ")");
}

CheckResult output_changes_under_other_shifts(const Factory& factory) {
  double smallest = 1;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(), torch::kFloat64, 21);
    const auto x = random_hidden(2, 40, 32, torch::kFloat64, 22);
    const auto base = output_at(*layer, x, 0);
    for (const auto shift : kOtherShifts) {
      const auto rel = relative_difference(output_at(*layer, x, shift), base);
      smallest = std::min(smallest, rel);
      // Far above float64 noise (1e-16): the rotation really moved.
      if (rel < 1e-6) {
        return fail(ttt::to_string(type) + ": shifting positions by " + std::to_string(shift) +
                    " (not a multiple of " + std::to_string(kK) + ") left the output unchanged (rel diff " + std::to_string(rel) + ")");
      }
    }
  }
  return pass("shifts by " + modulo::listed(kOtherShifts) + " change the output; smallest rel diff " +
              std::to_string(smallest));
}

CheckResult far_positions_equal_residues(const Factory& factory) {
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(), torch::kFloat64, 31);
    const auto x = random_hidden(1, 37, 32, torch::kFloat64, 32);
    for (const int64_t start : modulo::far_starts()) {
      const auto far = positions_from(start, 37);
      c10::InferenceMode inference;
      const auto out_far = layer->forward(x, far);
      const auto out_residue = layer->forward(x, torch::remainder(far, kK));
      if (!torch::equal(out_far, out_residue)) {
        return fail(ttt::to_string(type) + ": positions from " + std::to_string(start) +
                    " give a different output than their residues mod " + std::to_string(kK) + " (rel diff " +
                    std::to_string(relative_difference(out_far, out_residue)) + ")");
      }
    }
  }
  return pass("positions from " + modulo::listed(modulo::far_starts()) +
              " give bit-identical outputs to their residues mod " + std::to_string(kK));
}

}  // namespace

namespace modulo {

const std::vector<int64_t>& whole_shifts() {
  static const std::vector<int64_t> shifts{kMiniBatch, 7 * kMiniBatch, 62500 * kMiniBatch /* 10^6 */,
                                           62500000000LL * kMiniBatch /* 10^12 */};
  return shifts;
}

const std::vector<int64_t>& other_shifts() {
  static const std::vector<int64_t> shifts{1, kMiniBatch / 2, kMiniBatch - 1, 3 * kMiniBatch + 5, 1000001};
  return shifts;
}

const std::vector<int64_t>& far_starts() {
  static const std::vector<int64_t> starts{1000003LL, 123456789012LL, 4611686018427387000LL};
  return starts;
}

std::string listed(const std::vector<int64_t>& numbers) {
  std::string out;
  for (const auto n : numbers) out += (out.empty() ? "" : ", ") + std::to_string(n);
  return out;
}

}  // namespace modulo

std::vector<Check> modulo_checks() {
  return {
      {"modulo", "TablesPeriodicInMiniBatch", false, false, tables_periodic},
      {"modulo", "OutputInvariantUnderWholeMiniBatchShifts", false, false, output_invariant_under_whole_shifts},
      {"modulo", "OutputChangesUnderOtherShifts", false, false, output_changes_under_other_shifts},
      {"modulo", "FarPositionsEqualTheirResidues", false, false, far_positions_equal_residues},
  };
}

}  // namespace ttt::checks
